"""Hashtags and @mentions of a tweet's text, by Twitter's own rules.

The rules are those of twitter-text (github.com/twitter/twitter-text, the
library Twitter published for its clients), checked against its conformance
file: tests/data/twitter-text/extract.yml. In short:

* A hashtag is ``#`` or ``＃`` and a run of letters, marks, digits and a few
  joiners (underscore, ZWJ/ZWNJ, Hebrew maqaf and geresh, Tibetan tsheg,
  middle dot, Japanese iteration and sound marks...) holding at least one
  letter. It may not follow a letter, digit or ``&`` (``abc#x``, ``&#39;``),
  the sign may not start a keycap emoji (``#️⃣``), and a match followed by
  another hash sign or by ``://`` (``#http://...``) is no hashtag.
* A mention is ``@`` or ``＠`` and 1 to 20 ASCII letters, digits or ``_``. It
  may not follow a letter, digit, ``_`` or any of ``!#$%&*@＠`` (``f!@kn``,
  e-mail addresses), except right after ``RT`` or ``RT:`` in any case
  (``RT@user``). A match followed by an at sign, an accented Latin letter or
  ``://`` (``@user@host``, ``@aliceìnheiro``, ``@http://``) is no mention.
* ``@user/slug`` (slug: a letter then up to 24 letters, digits, ``_`` or
  ``-``) names one of the user's lists, not the user: it is a list reference,
  not a mention.
* A hashtag or mention inside a URL (``example.com/#top``,
  ``medium.com/@author/post``) is part of the URL, as in Twitter's entities.

Where twitter-text's own ports differ (the Java port takes ``@@user``), the
rule of the JavaScript and Ruby ports is kept. Indices are offsets into the
Python string (code points), ``start`` at the sign.

The letter and mark classes need Unicode properties (``\\p{L}``, ``\\p{M}``,
``\\p{Nd}``), which :mod:`re` lacks; hence :mod:`regex`.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

import regex

# -- hashtags -----------------------------------------------------------------

# Letters and marks. twitter-text adds to \p{L}\p{M} the letters of newer
# Unicode versions than Java's (all already in \p{L}\p{M} here) and these
# private-use code points, kept for fidelity.
_LETTERS = r"\p{L}\p{M}\uf870-\uf87f\uf882\uf884-\uf89f\uf8b8\uf8c1-\uf8d6"
_NUMERALS = r"\p{Nd}"
_JOINERS = (
    "_"
    "\u200c\u200d"  # zero width non-joiner, joiner
    "\ua67e"  # Cyrillic kavyka
    "\u05be\u05f3\u05f4"  # Hebrew maqaf, geresh, gershayim
    "\uff5e\u301c"  # fullwidth tilde, wave dash
    "\u309b\u309c\u30a0\u30fb"  # kana sound marks, double hyphen, middle dot
    "\u3003"  # ditto mark
    "\u0f0b\u0f0c"  # Tibetan tsheg, tsheg bstar
    "\u00b7"  # middle dot
)
_TAG_CHAR = f"[{_LETTERS}{_NUMERALS}{_JOINERS}]"
_HASHTAG = regex.compile(
    # what may come before the sign: start, an emoji variation selector
    # (U+FE0E/F are marks, so they need saying), or anything but a tag
    # character or "&" (HTML entities such as &#39;)
    rf"(?:^|[\ufe0e\ufe0f]|[^&{_LETTERS}{_NUMERALS}{_JOINERS}])"
    r"(?P<sign>[#＃])(?![\ufe0f\u20e3])"  # not a keycap emoji
    rf"(?P<tag>{_TAG_CHAR}*[{_LETTERS}]{_TAG_CHAR}*)"
)
_HASHTAG_BAD_END = regex.compile(r"[#＃]|://")

# -- mentions and lists -------------------------------------------------------

_LATIN_ACCENTS = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f"
    r"\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b"
    r"\u02bb\u0300-\u036f\u1e00-\u1eff"
)
# Classes are spelled out in ASCII and no IGNORECASE flag is used: under
# Unicode case folding [a-z] would also take the Kelvin sign and long s.
_MENTION = regex.compile(
    r"(?:[^A-Za-z0-9_!#$%&*@＠]|^"
    r"|(?:^|[^A-Za-z0-9_+~.\-])[Rr][Tt]:?)"  # RT@user, RT:@user
    r"(?P<sign>[@＠])(?P<name>[A-Za-z0-9_]{1,20})"
    r"(?P<slug>/[A-Za-z][A-Za-z0-9_\-]{0,24})?"
)
_MENTION_BAD_END = regex.compile(rf"[@＠{_LATIN_ACCENTS}]|://")

# -- URLs a sign may sit inside -----------------------------------------------

# Characters twitter-text lets a URL path or query run through.
_URL_CHARS = rf"[A-Za-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@?(){_LATIN_ACCENTS}\u0400-\u04ff]"
_URL = regex.compile(
    # a URL with a scheme: its host may be any non-space run
    r"(?:(?i:https?)://[^\s/?#<>\"]*"
    # a bare host name with a path or query: label.label.tld/...
    r"|(?<![A-Za-z0-9@＠$#＃_./\-])(?:[A-Za-z0-9_\-]++\.)++[A-Za-z]{2,63}(?::[0-9]++)?(?=[/?]))"
    rf"(?:[/?]{_URL_CHARS}*)?"
)


class Entity(NamedTuple):
    """A hashtag, mention or list reference found in a text."""

    text: str  # the tag or screen name as written, without the # or @
    start: int  # offset of the sign
    end: int  # offset just after the entity (after the slug of a list)
    list_slug: str = ""  # "/slug" of an @user/slug list reference, else ""


def _outside_urls(text: str, found: list[Entity]) -> list[Entity]:
    """``found`` less the entities whose sign lies inside a URL of ``text``."""
    spans = [m.span() for m in _URL.finditer(text)]  # in order, disjoint
    if not spans:
        return found
    starts = [start for start, _ in spans]
    kept = []
    for e in found:
        i = bisect_right(starts, e.start) - 1
        if i < 0 or spans[i][1] <= e.start:
            kept.append(e)
    return kept


def extract_hashtags(text: str) -> list[Entity]:
    """Every hashtag in ``text``, in order, repeats included."""
    if "#" not in text and "＃" not in text:
        return []
    found = []
    for m in _HASHTAG.finditer(text):
        if not _HASHTAG_BAD_END.match(text, m.end()):
            found.append(Entity(m["tag"], m.start("sign"), m.end()))
    return _outside_urls(text, found) if found else found


def extract_mentions_or_lists(text: str) -> list[Entity]:
    """Every @mention and @user/slug list reference, in order, repeats included."""
    if "@" not in text and "＠" not in text:
        return []
    found = []
    for m in _MENTION.finditer(text):
        if not _MENTION_BAD_END.match(text, m.end()):
            found.append(Entity(m["name"], m.start("sign"), m.end(), m["slug"] or ""))
    return _outside_urls(text, found) if found else found


def extract_mentions(text: str) -> list[Entity]:
    """Every @mention in ``text`` (list references left out), in order, repeats included."""
    return [e for e in extract_mentions_or_lists(text) if not e.list_slug]


def hashtags_and_mentions(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hashtags and @mentions of a quote, as written, in order, without duplicates."""
    tags = tuple(dict.fromkeys(e.text for e in extract_hashtags(text)))
    mentions = tuple(dict.fromkeys(e.text for e in extract_mentions(text)))
    return tags, mentions
