"""Flattened citations: the text an embed leaves behind when its script fails.

    BREAKING: ... pic.twitter.com/QDhfkrnCsP
    — SV News 🚨 (@SVNewsAlerts) October 1, 2020

The attribution line is unambiguous: a dash, a display name, ``(@handle)`` and
a date. The quote above it is not delimited, so we decide how far up it goes:

1. Inside a blockquote, the quote is the rest of that blockquote.
2. Otherwise the quote is the paragraph just above the attribution, all of its
   lines: lines joined by ``<br>`` or written without a blank line between them
   in a text that separates paragraphs with blank lines. In a text that writes
   one paragraph a line (the seed article), that is the one line above.
   A paragraph ending with a colon ("He wrote:") introduces a quote and is
   never part of it.
3. Run together in one paragraph ("... prose. Quote — Name (@h) 1 May 2020
   more prose"), the quote is the text since the previous attribution, cut to
   its last sentences within a tweet's 280 weighted characters.

An attribution without a date is accepted only with evidence that a tweet is
quoted: a t.co or pic.twitter.com link or a hashtag, a blockquote, a line ending
with a colon that introduces the quote, or the quote standing right above it with
no blank line (no new block in HTML), and not ending with a comma. So
signatures under a newsletter ("À vendredi,", blank line, "— Maria
(@maria_writes)") are not taken. The rules are measured on tests/corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from archiver.detect.dates import parse_tweet_date
from archiver.detect.links import find_links, host_of, parse_status_url
from archiver.detect.paragraphs import Para

_DASH = r"(?:—|–|―|&mdash;|&#8212;|&#x2014;|&ndash;|--)"
_NAME_HANDLE = (
    rf"{_DASH}\s*(?P<name>[^\n—–]{{0,80}}?)\s*[(（]\s*[@＠](?P<handle>\w{{1,15}})\s*[)）]"
)
ATTRIBUTION = re.compile(rf"^\s*>?\s*{_NAME_HANDLE}\s*(?P<rest>.*?)\s*$")
RUN_TOGETHER = re.compile(rf"\s{_NAME_HANDLE}")
_TWEET_EVIDENCE = re.compile(r"(?:t\.co/|pic\.twitter\.com/|(?<!\w)#\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
TWEET_LIMIT = 280
DATE_MAX_TOKENS = 6


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
    """(date text, acceptable): the remainder after ``(@handle)`` must be a date or
    empty, or a date glued to the next sentence ("December 30, 2017In the ...")."""
    rest = rest.strip().strip("·|").strip()
    if not rest:
        return None, True
    if parse_tweet_date(rest) is not None:
        return rest, True
    glued = _GLUED_YEAR.search(rest)
    if glued:
        head = rest[: glued.end(1)]
        if _leading_date(head) == head:
            return head, True
    return rest, False


# A year that runs straight into the next word, as flattened pages glue the
# date of an attribution to the sentence after it: "2017In the meantime".
_GLUED_YEAR = re.compile(r"((?:19|20)\d\d)(?=[^\W\d_])")


# A CJK date written without spaces, so it may run into the next sentence:
# 2024年6月15日据了解 (Chinese, Japanese), 2024년 7월 10일 (Korean).
_CJK_DATE = re.compile(r"\s*(\d{4}\s*[年년]\s*\d{1,2}\s*[月월]\s*\d{1,2}\s*[日일])")


def _leading_date(text: str) -> str | None:
    """The longest run of words at the start of ``text`` that reads as a date;
    failing that, a CJK date or the words up to a year glued to the next word
    ("2017In")."""
    cjk = _CJK_DATE.match(text)
    if cjk and parse_tweet_date(cjk.group(1)) is not None:
        return cjk.group(1)
    found = _leading_words_date(text)
    if found is None:
        glued = _GLUED_YEAR.search(text)
        if glued and len(text[: glued.end(1)].split()) <= DATE_MAX_TOKENS:
            found = _leading_words_date(text[: glued.end(1)])
    return found


def _leading_words_date(text: str) -> str | None:
    tokens = text.split()[:DATE_MAX_TOKENS]
    for count in range(len(tokens), 0, -1):
        candidate = " ".join(tokens[:count])
        if parse_tweet_date(candidate) is not None:
            return candidate
    return None


def find_text_citations(paras: Sequence[Para]) -> list[TextCitation]:
    """Every flattened citation in ``paras``; embeds and code are not looked at."""
    found: list[TextCitation] = []
    used: set[int] = set()
    own: set[str] | None = None  # the document's own accounts, read when first needed
    for i, para in enumerate(paras):
        if para.code or para.embed is not None:
            continue
        match = ATTRIBUTION.match(para.text)
        if match:
            date_text, ok = _date(match.group("rest"))
            if not ok:
                continue
            first = _quote_start(paras, i, used)
            lines = [paras[j].text.lstrip("> ").strip() for j in range(first, i)]
            quote = "\n".join(line for line in lines if line)
            if date_text is None:
                if not _has_evidence(quote, paras, first, i):
                    continue
                own = _own_accounts(paras) if own is None else own
                if _signs_for_itself(match.group("handle"), quote, own):
                    continue
            if _source_line(paras, first, match.group("handle"), used):
                first -= 1  # the line naming the status belongs to the citation
            used.update(range(first, i + 1))
            end = len(para.text)
            if date_text is not None:  # a date glued to the next sentence ends the citation
                end = para.text.find(date_text, match.start("rest")) + len(date_text)
            found.append(
                TextCitation(first, i, 0, end, match.group("handle"),
                             match.group("name").strip() or None, date_text, quote)
            )
            continue
        inline = _run_together(para.text, i)
        if inline:
            used.add(i)
            found.extend(inline)
    return found


def _run_together(text: str, index: int) -> list[TextCitation]:
    """Attributions inside a paragraph, each ending the quote before it; dated only."""
    found: list[TextCitation] = []
    cursor = 0
    for match in RUN_TOGETHER.finditer(text):
        if match.start() < cursor:
            continue
        date_text = _leading_date(text[match.end() :])
        if date_text is None:
            continue
        quote = _last_sentences(text[cursor : match.start()].strip())
        if not quote:
            continue
        start = text.index(quote, cursor)
        end = text.index(date_text, match.end()) + len(date_text)
        found.append(TextCitation(index, index, start, end, match.group("handle"),
                                  match.group("name").strip() or None, date_text, quote))
        cursor = end
    return found


def _last_sentences(text: str) -> str:
    """The longest tail of whole sentences of ``text`` that fits in a tweet."""
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    quote = ""
    for sentence in reversed(sentences):
        candidate = f"{sentence} {quote}".strip()
        if quote and weighted_length(candidate) > TWEET_LIMIT:
            break
        quote = candidate
    return quote


# A line that is only a label and the status URL: "Source : URL", "(Fonte: URL)".
_SOURCE_LABEL = re.compile(r"\s*[(\[（【]?\s*(?:\w+\s*){1,3}[:：]\s*")
# What may follow the status URL of a source line: a closing bracket and a colon.
_SOURCE_TAIL = re.compile(r"[\s)\]»”\"'）】」』]*[:：]\s*")


def _source_line(paras: Sequence[Para], first: int, handle: str, used: set[int]) -> bool:
    """Does the paragraph above the quote introduce it with the tweet's own status
    URL ("(source: https://twitter.com/h/status/ID):", "Source : URL")? The URL must
    close it, with only a bracket and a colon after it, or follow only a short
    label; and it must name the quoted account (or none)."""
    j = first - 1
    if j < 0 or j in used or paras[j].code or paras[j].embed is not None:
        return False
    para = paras[j]
    spans = [(a.start, a.end, a.href) for a in para.anchors]
    spans += [(link.start, link.end, link.url) for link in find_links(para.text)]
    statuses = [(start, end, parsed) for start, end, url in spans
                if (parsed := parse_status_url(url))]
    if not statuses:
        return False
    start, end, (named, _) = max(statuses, key=lambda item: item[1])
    closes = _SOURCE_TAIL.fullmatch(para.text[end:])  # "... (source: URL):"
    labelled = (_SOURCE_LABEL.fullmatch(para.text[:start])  # "Source : URL"
                and not para.text[end:].strip(" )]）】.,;:："))
    if not (closes or labelled):
        return False
    return named is None or named.casefold() == handle.casefold()


_PROFILE = re.compile(r"(?i)^(?:https?://)?(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w{1,15})/?$")


def _own_accounts(paras: Sequence[Para]) -> set[str]:
    """Accounts the document presents as its own: one whose profile it links to
    ("Follow us: https://x.com/Name") or named like its own site (name.example)."""
    own: set[str] = set()
    for para in paras:
        urls = [a.href for a in para.anchors] + [link.url for link in find_links(para.text)]
        for url in urls:
            profile = _PROFILE.match(url.strip())
            if profile:
                own.add(profile.group(1).casefold())
            host = host_of(url if "//" in url else "https://" + url)
            labels = host.casefold().removeprefix("www.").split(".")
            if len(labels) >= 2:
                own.add(labels[-2].replace("-", ""))
    return own


def _signs_for_itself(handle: str, quote: str, own: set[str]) -> bool:
    """An undated "— Team (@OwnAccount)" under a newsletter or a column is its
    signature, unless what stands above carries a tweet's marks."""
    return handle.casefold() in own and not _TWEET_EVIDENCE.search(quote)


def _has_evidence(quote: str, paras: Sequence[Para], first: int, last: int) -> bool:
    if not quote:
        return False
    if paras[last].quote_group is not None or _TWEET_EVIDENCE.search(quote):
        return True
    if first > 0 and paras[first - 1].text.rstrip().endswith((":", "：")):
        return True  # "He wrote:" introduces the quote
    return not paras[last].gap and not quote.rstrip().endswith((",", "，"))


def _is_stop(para: Para, index: int, used: set[int]) -> bool:
    return (
        index in used
        or para.code
        or para.embed is not None
        or bool(ATTRIBUTION.match(para.text))
        or para.text.rstrip().endswith((":", "："))
    )


def _quote_start(paras: Sequence[Para], i: int, used: set[int]) -> int:
    """Index of the first paragraph of the quote that ends just above ``i``."""
    group = paras[i].quote_group
    if group is not None:
        j = i
        while j > 0 and paras[j - 1].quote_group == group and not _is_stop(paras[j - 1], j - 1, used):
            j -= 1
        return j
    j = i - 1
    if j < 0 or _is_stop(paras[j], j, used):
        return i
    above_group = paras[j].quote_group
    if above_group is not None:  # <blockquote>quote</blockquote><p>— Name (@h) date</p>
        while j > 0 and paras[j - 1].quote_group == above_group and not _is_stop(
            paras[j - 1], j - 1, used
        ):
            j -= 1
        return j
    while j > 0 and not paras[j].blank_before and not _is_stop(paras[j - 1], j - 1, used):
        j -= 1
    return j
