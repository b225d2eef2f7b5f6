"""Bytes of unknown charset -> text.

Order of trust: a byte-order mark, the charset the server declared, the charset
the document declares (``<meta charset>``), strict UTF-8, UTF-16 without a BOM
(told by its zero bytes), then detection. Detection asks charset-normalizer; a
multi-byte answer (Shift-JIS, GB18030, Big5, EUC-KR) stands, but its single-byte
guesses are unreliable on short texts (``Genève`` read as cp1257 ``Genčve``), so
the likely European code pages are each tried and the one whose text the
language model recognises best wins, Windows-1252 first on a tie. Windows-1252
is also the last resort (it maps every byte).
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):  # rot13, hex, zlib: not for bytes->text
        return None
    codec = info.name
    # Browsers read a declared latin-1 as windows-1252 (WHATWG encoding standard).
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def declared_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return _known(match.group(1)) if match else None


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Never raises on any bytes."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    for candidate in (declared_charset(content_type), _meta_charset(data)):
        if candidate:
            try:
                return data.decode(candidate), candidate
            except (UnicodeError, LookupError):  # idna and punycode raise the base class
                pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    wide = utf16_without_bom(data)
    if wide:
        return data.decode(wide, errors="replace"), wide
    from charset_normalizer import from_bytes  # only for bytes nothing above could read

    best = from_bytes(data[:200_000]).best()
    guess = codecs.lookup(best.encoding).name if best is not None and best.encoding else None
    if guess and guess not in _SINGLE_BYTE_GUESSES:
        return data.decode(guess, errors="replace"), guess
    chosen = _likeliest(data, [*EUROPEAN_CODE_PAGES, *([guess] if guess else [])])
    return data.decode(chosen, errors="replace"), chosen


# Single-byte code pages, in the order they are preferred on a tie.
EUROPEAN_CODE_PAGES = ("cp1252", "cp1250", "iso8859-2", "iso8859-15", "cp1257")
# charset-normalizer answers that are single-byte guesses (weighed, not trusted).
_SINGLE_BYTE_GUESSES = frozenset(
    {codecs.lookup(n).name for n in (*EUROPEAN_CODE_PAGES, "latin-1", "iso8859-10",
                                     "iso8859-4", "iso8859-13", "mac-latin2", "cp775",
                                     "cp850", "mac-roman", "cp1254", "iso8859-9")})


# A later code page must read clearly better than an earlier one to be chosen: one
# letter that differs (ë in cp1252, ė in cp1257) moves the model's probability a little.
PREFERENCE_MARGIN = 0.05


def _likeliest(data: bytes, encodings: list[str]) -> str:
    """The encoding whose strict decoding of ``data`` reads most like a language."""
    from archiver.detect.language import _identifier  # the model loads only when needed

    sample = data[:20_000]
    best, best_score = "cp1252", -1.0 - PREFERENCE_MARGIN
    for name in dict.fromkeys(codecs.lookup(e).name for e in encodings):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue  # a byte this code page does not define
        if _C1_CONTROLS.search(text):
            continue  # control characters no text contains: the wrong code page
        _lang, probability = _identifier().classify(text)
        if probability > best_score + PREFERENCE_MARGIN:
            best, best_score = name, probability
    return best


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` is text in UTF-16 without a BOM:
    most characters of such a text (ASCII, Latin) have a zero high byte."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 4 or len(data) % 2:
        return None
    zero_odd = sample[1::2].count(0) / pairs
    zero_even = sample[0::2].count(0) / pairs
    for name, high, low in (("utf-16-le", zero_odd, zero_even), ("utf-16-be", zero_even, zero_odd)):
        if high >= 0.3 and low <= 0.02:
            try:
                data.decode(name)
            except UnicodeDecodeError:
                return None
            return name
    return None


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return _known(match.group(1).decode("ascii")) if match else None
