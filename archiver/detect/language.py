"""Language identification (py3langid), loaded once and only when needed.

py3langid is a maintained fork of langid.py with its model in the wheel: no
download at run time, and it is pure Python over numpy. Short strings are
unreliable, so ``language_of`` answers only when the text is long enough and
the model is confident.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

_LETTERS = re.compile(r"[^\W\d_]")
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)[#@]\w+|\S+\.\S+/\S+")
MIN_LETTERS = 25
MIN_PROBABILITY = 0.9


_LOAD = threading.Lock()


@cache
def _load() -> Any:
    _import_numpy_single_threaded()
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        return _load_unpacked(LanguageIdentifier, MODEL_DIR / MODEL_FILE)
    except Exception:  # noqa: BLE001 - an optimisation: any failure falls back to the wheel's way
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_OPENBLAS_THREADS = "OPENBLAS_NUM_THREADS"


def _import_numpy_single_threaded() -> None:
    """Import numpy with OpenBLAS on one thread. On import OpenBLAS starts a thread
    per core and sets up buffers for each (about 0.05 s of CPU, a sixth of a short
    `archiver detect`); identifying a language multiplies one small vector by a
    matrix, which OpenBLAS does on one thread anyway. OpenBLAS reads the variable
    only when it loads, so it is set for the import alone and a user's own setting
    stands."""
    if "numpy" in sys.modules or _OPENBLAS_THREADS in os.environ:
        return
    os.environ[_OPENBLAS_THREADS] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        os.environ.pop(_OPENBLAS_THREADS, None)


# The model ships xz-compressed: unpacking it costs about half a second on every run
# of a short command (`archiver detect`). It is unpacked once into the user's cache
# folder, as plain arrays that are memory-mapped, and only the pages a text touches
# are read. Keyed by py3langid's version and the model file's size and mtime.
def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "archiver"


def _load_unpacked(identifier: Any, model: Path) -> Any:
    import mmap

    import numpy as np
    from py3langid import __version__ as version

    stat = model.stat()
    folder = _cache_root() / f"py3langid-{version}-{stat.st_size}-{int(stat.st_mtime)}"
    if not (folder / "done").exists():
        _unpack(model, folder)
    with (folder / "nextmove.bin").open("rb") as file:
        nextmove = memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)).cast("I")
    classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
    return identifier(np.load(folder / "ptc.npy", mmap_mode="r"), np.load(folder / "pc.npy"),
                      classes, nextmove, np.load(folder / "out_feat.npy").tolist(),
                      norm_probs=True, tk_row=np.load(folder / "row.npy").tolist())


def _unpack(model: Path, folder: Path) -> None:
    """Unpack the model into ``folder`` atomically (a temporary folder renamed)."""
    import lzma
    import shutil
    import tempfile

    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=folder.parent))
    try:
        with tempfile.TemporaryFile(suffix=".npz") as npz:
            with lzma.open(model) as src:
                shutil.copyfileobj(src, npz, length=1 << 20)
            npz.seek(0)
            with np.load(npz, allow_pickle=False) as data:
                nextmove = np.ascontiguousarray(data["nextmove"])
                if nextmove.dtype.itemsize != 4:
                    raise ValueError(f"unexpected model layout: nextmove {nextmove.dtype}")
                nextmove.astype(np.uint32).tofile(tmp / "nextmove.bin")
                np.save(tmp / "ptc.npy", data["ptc"])
                np.save(tmp / "pc.npy", data["pc"])
                np.save(tmp / "row.npy", data["nextmove_row"])
                np.save(tmp / "out_feat.npy", data["out_feat"])
                (tmp / "classes.json").write_text(json.dumps(data["classes"].tolist()),
                                                  encoding="utf-8")
        (tmp / "done").touch()
        try:
            tmp.rename(folder)
        except OSError:  # another process unpacked it first
            if not (folder / "done").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
