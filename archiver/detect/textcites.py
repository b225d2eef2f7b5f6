"""Flattened citations: the text an embed leaves behind when its script fails.

    BREAKING: ... pic.twitter.com/QDhfkrnCsP
    — SV News 🚨 (@SVNewsAlerts) October 1, 2020

The attribution line is unambiguous: a dash, a display name, ``(@handle)`` and
a date. The quote above it is not delimited, so we decide how far up it goes:

1. Inside a blockquote, the quote is the rest of that blockquote.
2. Otherwise the line just above the attribution is always the quote's first
   line (one blank line between them is allowed). Further lines are added
   while all of these hold: no blank line or block boundary in between, the
   line is not another citation, code or an embed, it does not end with a
   colon (an introduction such as "He wrote:"), the quote stays within a
   tweet's 280 weighted characters (URLs count 23, CJK 2), and the line is
   not confidently in another language than the quote.

An attribution without a date is accepted only with evidence that a tweet is
quoted (a t.co or pic.twitter.com link, a hashtag, or a blockquote), so that
signatures such as "— Maria (@maria_writes)" under a newsletter are not taken.
The precision of these rules is measured on tests/corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archiver.detect.dates import parse_tweet_date
from archiver.detect.links import find_links
from archiver.detect.paragraphs import Para

_DASH = r"(?:—|–|―|&mdash;|&#8212;|&#x2014;|&ndash;|--)"
ATTRIBUTION = re.compile(
    rf"^\s*>?\s*{_DASH}\s*(?P<name>[^()\n]{{0,80}}?)\s*\(\s*[@＠](?P<handle>\w{{1,15}})\s*\)"
    r"\s*(?P<rest>.*?)\s*$"
)
INLINE = re.compile(
    rf"(?P<quote>\S.*?)\s*{_DASH}\s*(?P<name>[^()—–\n]{{1,80}}?)\s*\(\s*[@＠](?P<handle>\w{{1,15}})"
    r"\s*\)\s*(?P<rest>[^—–()]{4,40}?)\s*$"
)
_TWEET_EVIDENCE = re.compile(r"(?:t\.co/|pic\.twitter\.com/|(?<!\w)#\w)")
TWEET_LIMIT = 280


@dataclass(frozen=True)
class TextCitation:
    first: int  # paragraph of the quote's first line
    last: int  # paragraph of the attribution
    start: int  # offset of the quote in the first paragraph
    end: int  # end of the attribution in the last paragraph
    handle: str
    author_name: str | None
    date_text: str | None
    text: str


def weighted_length(text: str) -> int:
    """Tweet length as Twitter counts it: URLs 23, wide (CJK) characters 2."""
    total = 0
    cursor = 0
    for link in find_links(text):
        total += _chars(text[cursor : link.start]) + 23
        cursor = link.end
    return total + _chars(text[cursor:])


def _chars(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _date(rest: str) -> tuple[str | None, bool]:
    """(date text, acceptable): the remainder after ``(@handle)`` must be a date or empty."""
    rest = rest.strip().strip("·|").strip()
    if not rest:
        return None, True
    if parse_tweet_date(rest) is not None:
        return rest, True
    return rest, False


LanguageOf = Callable[[str], str | None]


def find_text_citations(
    paras: Sequence[Para], language_of: LanguageOf | None = None
) -> list[TextCitation]:
    """Every flattened citation in ``paras``; embeds and code are not looked at."""
    found: list[TextCitation] = []
    used: set[int] = set()
    for i, para in enumerate(paras):
        if para.code or para.embed is not None:
            continue
        match = ATTRIBUTION.match(para.text)
        if match:
            date_text, ok = _date(match.group("rest"))
            if not ok:
                continue
            first = _quote_start(paras, i, used, language_of)
            lines = [paras[j].text.lstrip("> ").strip() for j in range(first, i)]
            quote = "\n".join(line for line in lines if line)
            if date_text is None and not _has_evidence(quote, paras[i]):
                continue
            used.update(range(first, i + 1))
            found.append(
                TextCitation(first, i, 0, len(para.text), match.group("handle"),
                             match.group("name").strip() or None, date_text, quote)
            )
            continue
        inline = INLINE.search(para.text)
        if inline and parse_tweet_date(inline.group("rest")) is not None:
            used.add(i)
            found.append(
                TextCitation(i, i, inline.start("quote"), len(para.text),
                             inline.group("handle"), inline.group("name").strip() or None,
                             inline.group("rest").strip(), inline.group("quote").strip())
            )
    return found


def _has_evidence(quote: str, attribution: Para) -> bool:
    return bool(quote) and (
        attribution.quote_group is not None or bool(_TWEET_EVIDENCE.search(quote))
    )


def _is_stop(para: Para, index: int, used: set[int]) -> bool:
    return (
        index in used
        or para.code
        or para.embed is not None
        or bool(ATTRIBUTION.match(para.text))
    )


def _quote_start(
    paras: Sequence[Para], i: int, used: set[int], language_of: LanguageOf | None
) -> int:
    """Index of the first paragraph of the quote that ends just above ``i``."""
    group = paras[i].quote_group
    if group is not None:
        j = i
        while j > 0 and paras[j - 1].quote_group == group and not _is_stop(paras[j - 1], j - 1, used):
            j -= 1
        return j
    j = i - 1
    if j < 0 or _is_stop(paras[j], j, used) or paras[j].quote_group is not None:
        return i
    length = weighted_length(paras[j].text)
    quote_lang = language_of(paras[j].text) if language_of else None
    while j > 0:
        above = paras[j - 1]
        if paras[j].blank_before or _is_stop(above, j - 1, used) or above.quote_group is not None:
            break
        text = above.text.strip()
        if text.endswith((":", "：")):
            break
        length += weighted_length(text) + 1
        if length > TWEET_LIMIT:
            break
        if quote_lang and language_of:
            lang = language_of(text)
            if lang and lang != quote_lang:
                break
        j -= 1
    return j
