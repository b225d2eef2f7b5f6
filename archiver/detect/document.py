"""One document in, everything detection finds out: ``detect(text, fmt)``.

Pure: no network, no database, no clock. The three source formats become
paragraphs (see paragraphs.py); embeds, flattened citations and lone status
URLs become ``Citation`` values; tweet links anywhere become ``LinkRef``s tied
to the citation they sit in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePath
from typing import TYPE_CHECKING

from archiver.detect import linkrefs
from archiver.detect.dates import parse_tweet_date
from archiver.detect.entities import hashtags_and_mentions
from archiver.detect.language import guess_language, language_of
from archiver.detect.links import normalize_url, parse_status_url
from archiver.detect.paragraphs import Anchor, Para
from archiver.detect.snowflake import date_mismatch, tweet_time
from archiver.detect.textcites import TextCitation, find_text_citations
from archiver.detect.textformats import markdown_paragraphs, text_paragraphs
from archiver.detect.values import Article, Citation, Detection, LinkRef, Position

if TYPE_CHECKING:
    from bs4 import Tag

    from archiver.detect.embeds import EmbedInfo
    from archiver.detect.html import HtmlMeta

# BeautifulSoup (and the html and embeds modules built on it) is imported only for
# a document that holds HTML: plain text and most Markdown never need it.

FORMATS = ("html", "markdown", "text")
_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<meta|<article|<div|<p[\s>])", re.IGNORECASE)


def sniff_format(name: str | None, content_type: str | None, text: str) -> str | None:
    """html, markdown or text from the file name, the media type, or the text itself.
    None when the content is plainly not an article (an image, a PDF, JSON)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if ctype in ("text/markdown", "text/x-markdown"):
        return "markdown"
    suffix = PurePath(name or "").suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if ctype and not ctype.startswith("text/"):
        return None
    if _HTML_SNIFF.match(text[:1000]):
        return "html"
    return "text"


def _status_only(para: Para) -> tuple[str, str | None, str] | None:
    """A paragraph that is nothing but one status URL: (url, handle, id)."""
    if para.code_spans:  # a URL written as code is an example, not a citation
        return None
    text = para.text.strip().strip("<>")
    # A link whose visible text is the URL itself; a date or a quote that links
    # to a status (a static embed's parts) is not a bare URL.
    candidates = [a.href for a in para.anchors
                  if a.text.strip() == para.text.strip() and parse_status_url(a.text.strip())]
    if not candidates and re.fullmatch(r"\S+", text):
        candidates = [text]
    for url in candidates:
        parsed = parse_status_url(url)
        if parsed:
            return url, parsed[0], parsed[1]
    return None


def _title_of_text(paras: Sequence[Para]) -> str | None:
    for para in paras:
        if not para.code and para.embed is None:
            return para.text[:200]
    return None


def main_text(text: str, fmt: str, source_url: str | None = None) -> str:
    """Only the main text, as ``detect`` reads it: what drift checks compare.
    Much cheaper than ``detect`` (no metadata, citations, links or language)."""
    return "\n".join(p.text for p in _paragraphs(text, fmt, source_url, metadata=False)[0])


def _paragraphs(text: str, fmt: str, source_url: str | None, *, metadata: bool = True
                ) -> tuple[list[Para], list[EmbedInfo], HtmlMeta | None]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    embeds: list[Tag] = []
    meta = None
    if fmt == "html":
        from archiver.detect import html as htmlmod

        soup = htmlmod.parse(text)
        meta = htmlmod.metadata(soup, source_url) if metadata else None
        paras, embeds = htmlmod.extract(soup, meta.base_url if meta else source_url)
    elif fmt == "markdown":
        paras, embeds = markdown_paragraphs(text)
    else:
        paras = text_paragraphs(text)
    infos = _embed_infos(embeds)
    for para in paras:
        if para.embed is not None and not para.text:  # an embed that shows no text
            info = infos[para.embed]
            para.text = f"[embedded tweet {info.tweet_id or ''}]".replace(" ]", "]")
            if info.status_in_markup and info.status_url:
                para.anchors.append(Anchor(0, len(para.text), info.status_url, para.text))
    return paras, infos, meta


def _embed_infos(embeds: list[Tag]) -> list[EmbedInfo]:
    if not embeds:
        return []
    from archiver.detect.embeds import parse_embed  # embeds come only from parsed HTML

    return [parse_embed(tag) for tag in embeds]


def detect(text: str, fmt: str, source_url: str | None = None) -> Detection:
    """Detect the article, its tweet citations and its links."""
    paras, infos, meta = _paragraphs(text, fmt, source_url)

    found: list[tuple[Position, Citation]] = []
    rows: dict[int, list[int]] = {}
    for i, para in enumerate(paras):
        if para.embed is not None:
            rows.setdefault(para.embed, []).append(i)
    for index, info in enumerate(infos):
        first, last = rows[index][0], rows[index][-1]
        position = Position(first, 0, len(paras[last].text), last)
        found.append((position, _embed_citation(info, position)))
    for cite in find_text_citations(paras):
        position = Position(cite.first, cite.start, cite.end, cite.last)
        found.append((position, _text_citation(cite, position)))
    taken = {i for p, _ in found for i in range(p.paragraph, (p.last_paragraph or p.paragraph) + 1)}
    for i, para in enumerate(paras):
        if para.code or para.embed is not None or i in taken:
            continue
        lone = _status_only(para)
        if lone:
            position = Position(i, 0, len(para.text), i)
            found.append((position, _url_citation(lone, position)))
    page_url = (meta.canonical_url if meta else None) or source_url
    citations, links = _tied(paras, found, page_url)
    found.extend(_references(paras, citations, links))
    citations, links = _tied(paras, found, page_url)
    owners = linkrefs.paragraph_owners(citations, len(paras))
    body = [p.text for p, owner in zip(paras, owners, strict=True) if owner is None]
    language = (meta.language if meta else None) or guess_language(body or [p.text for p in paras])
    citations = [_dated(c, language) for c in citations]
    article = Article(
        format=fmt,
        title=(meta.title if meta else None) or _title_of_text(paras),
        canonical_url=meta.canonical_url if meta else None,
        authors=meta.authors if meta else (),
        published=meta.published if meta else None,
        language=language,
        paragraphs=tuple(p.text for p in paras),
    )
    return Detection(article=article, citations=tuple(citations), links=tuple(links))


def _tied(paras: Sequence[Para], found: list[tuple[Position, Citation]],
          page_url: str | None) -> tuple[list[Citation], list[LinkRef]]:
    """Citations in reading order and every link, each tied to the citation it sits in."""
    found.sort(key=lambda item: (item[0].paragraph, item[0].start))
    citations = [c for _, c in found]
    links = linkrefs.collect(paras, citations, page_url=page_url)
    owned: dict[int, list[LinkRef]] = {}
    for ref in links:
        if ref.citation_index is not None:
            owned.setdefault(ref.citation_index, []).append(ref)
    return [_with_links(c, owned.get(i, [])) for i, c in enumerate(citations)], links


# Quoted words next to a referenced tweet: "...", “...”, „...“, «...», ‹...›, 「...」.
_QUOTED = re.compile(r'"([^"\n]{2,}?)"|“([^”\n]{2,}?)”|„([^“”\n]{2,}?)[“”]|«\s?([^»\n]{2,}?)\s?»'
                     r'|‹([^›\n]{2,}?)›|「([^」\n]{2,}?)」')


def _references(paras: Sequence[Para], citations: Sequence[Citation],
                links: Sequence[LinkRef]) -> list[tuple[Position, Citation]]:
    """Tweets linked in prose (``in a post on X, [she said](status URL) ...``): a status
    link that no citation holds cites that tweet, once per article; the words the
    paragraph quotes next to it are its quote."""
    cited = {c.tweet_id for c in citations if c.tweet_id}
    found: list[tuple[Position, Citation]] = []
    for ref in links:
        if (ref.kind != "status" or not ref.tweet_id or ref.citation_index is not None
                or ref.position is None or ref.tweet_id in cited):
            continue
        cited.add(ref.tweet_id)
        para = paras[ref.position.paragraph]
        position = Position(ref.position.paragraph, ref.position.start, ref.position.end,
                            ref.position.paragraph)
        quote = _nearest_quote(para.text, ref.position.start, ref.position.end)
        tags, mentions = hashtags_and_mentions(quote)
        found.append((position, Citation(
            kind="reference", handle=ref.handle, author_name=None, date_text=None, date=None,
            text=quote, lang=language_of(quote) if quote else None, tweet_id=ref.tweet_id,
            status_url=ref.normalized, hashtags=tags, mentions=mentions, position=position,
        )))
    return found


def _nearest_quote(text: str, start: int, end: int) -> str:
    best, distance = "", None
    for match in _QUOTED.finditer(text):
        if match.start() < end and match.end() > start:  # the link's own text
            continue
        gap = match.start() - end if match.start() >= end else start - match.end()
        if distance is None or gap < distance:
            best = next(g for g in match.groups() if g is not None).strip()
            distance = gap
    return best


def _embed_citation(info: EmbedInfo, position: Position) -> Citation:
    tags, mentions = hashtags_and_mentions(info.text)
    return Citation(
        kind="embed", handle=info.handle, author_name=info.author_name,
        date_text=info.date_text, date=None, text=info.text, lang=info.lang,
        tweet_id=info.tweet_id, status_url=info.status_url, links=info.links,
        hashtags=tags, mentions=mentions, position=position,
    )


def _text_citation(cite: TextCitation, position: Position) -> Citation:
    tags, mentions = hashtags_and_mentions(cite.text)
    return Citation(
        kind="text", handle=cite.handle, author_name=cite.author_name,
        date_text=cite.date_text, date=None, text=cite.text, lang=language_of(cite.text),
        hashtags=tags, mentions=mentions, position=position,
    )


def _url_citation(lone: tuple[str, str | None, str], position: Position) -> Citation:
    url, handle, tweet_id = lone
    return Citation(
        kind="url", handle=handle, author_name=None, date_text=None, date=None, text="",
        tweet_id=tweet_id, status_url=normalize_url(url), position=position,
    )


def _dated(citation: Citation, language: str | None) -> Citation:
    """Parse the cited date; a lone URL is dated by its snowflake; flag mismatches."""
    date = parse_tweet_date(citation.date_text, lang=language) if citation.date_text else None
    shows_no_date = citation.kind in ("url", "reference") or (citation.kind == "embed" and not citation.date_text)
    if shows_no_date and citation.tweet_id:
        created = tweet_time(citation.tweet_id)
        date = created.date() if created else None
    flags = list(citation.flags)
    if date and citation.tweet_id and date_mismatch(citation.tweet_id, date):
        flags.append("date_mismatch")
    return replace(citation, date=date, flags=tuple(flags))


def _with_links(citation: Citation, own: Sequence[LinkRef]) -> Citation:
    inside = tuple(dict.fromkeys(
        [*citation.links, *(r.normalized for r in own if r.normalized != citation.status_url)]
    ))
    tweet_id, status_url, handle = citation.tweet_id, citation.status_url, citation.handle
    if tweet_id is None:
        status = next((r for r in own if r.kind == "status" and r.tweet_id), None)
        if status:
            tweet_id, status_url = status.tweet_id, status.normalized
            handle = handle or status.handle
            inside = tuple(u for u in inside if u != status_url)
    return replace(citation, links=inside, tweet_id=tweet_id, status_url=status_url, handle=handle)
