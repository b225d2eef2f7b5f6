"""Language identification (py3langid), loaded once and only when needed.

py3langid is a maintained fork of langid.py with its model in the wheel: no
download at run time, and it is pure Python over numpy. Short strings are
unreliable, so ``language_of`` answers only when the text is long enough and
the model is confident.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

_LETTERS = re.compile(r"[^\W\d_]")
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)[#@]\w+|\S+\.\S+/\S+")
MIN_LETTERS = 25
MIN_PROBABILITY = 0.9


_LOAD = threading.Lock()


@cache
def _load() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _identifier() -> Any:
    # Loading the model from several threads at once crashes inside numpy's
    # header parser (seen under `archiver check --concurrency 64`): load it once.
    with _LOAD:
        return _load()


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text)


def language_of(text: str) -> str | None:
    """ISO 639-1 code of ``text`` when the model is confident, else None."""
    text = _clean(text)
    if len(_LETTERS.findall(text)) < MIN_LETTERS:
        return None
    lang, prob = _identifier().classify(text)
    return str(lang) if prob >= MIN_PROBABILITY else None


def guess_language(paragraphs: Iterable[str]) -> str | None:
    """The language of a whole text (quotes in other languages included)."""
    text = _clean(" ".join(paragraphs))[:20000]
    if len(_LETTERS.findall(text)) < 10:
        return None
    lang, _prob = _identifier().classify(text)
    return str(lang)
