"""Every link of an article's main text, with where it stands and what it is.

Links come from anchors (``<a href>``, Markdown ``[text](url)``) and from URLs
written out in the text. Each gets a kind: the tweet kinds (``tco``, ``pic``,
``status``, ``media``), ``internal`` for the article's own site, ``external``
for the rest. Not links to watch: ``mailto:``, ``javascript:``, ``data:``,
``tel:`` and fragments of the same page. Inside an embedded tweet, the tweet's
own hashtag and profile links are entities of the tweet, not the author's
links, and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urldefrag

from archiver.detect.links import classify_url, find_links, host_of, is_entity_link, normalize_url
from archiver.detect.paragraphs import Para
from archiver.detect.values import Citation, LinkRef, Position

NOT_LINKS = ("mailto:", "javascript:", "data:", "tel:", "#", "about:", "sms:")
TWEET_KINDS = frozenset({"tco", "pic", "status", "media"})
# Longest link kept (the store's URL columns; browsers and servers refuse longer ones).
MAX_URL = 2048


def site_of(url: str | None) -> str | None:
    """The article's site, for telling internal links from external ones."""
    host = host_of(url) if url else ""
    return host.removeprefix("www.") or None


def _is_internal(url: str, site: str | None) -> bool:
    host = host_of(url).removeprefix("www.")
    return site is not None and site != "" and (host == site or host.endswith("." + site))


def _defragged(url: str | None) -> str | None:
    """``url`` without its fragment; a page URL urlsplit cannot read ("http://[::1")
    stays as written (it only tells same-page links apart)."""
    if not url:
        return None
    try:
        return urldefrag(url)[0]
    except ValueError:
        return url


def collect(
    paras: Sequence[Para],
    citations: Sequence[Citation],
    *,
    page_url: str | None = None,
) -> list[LinkRef]:
    """All links of ``paras`` in reading order, tied to the citation they sit in."""
    site = site_of(page_url)
    page = _defragged(page_url)
    refs: list[LinkRef] = []
    owners = paragraph_owners(citations, len(paras))
    references: dict[int, list[int]] = {}
    for index, cite in enumerate(citations):
        if cite.kind == "reference" and cite.position is not None:
            references.setdefault(cite.position.paragraph, []).append(index)
    for i, para in enumerate(paras):
        if para.code:
            continue
        owner = owners[i]
        covered: list[tuple[int, int]] = []
        refs_here = len(refs)
        for anchor in para.anchors:
            href = anchor.href.strip()
            if not href or href.lower().startswith(NOT_LINKS):
                continue
            if page and _defragged(href) == page:  # a fragment of this very page
                continue
            if para.embed is not None and is_entity_link(href):
                continue
            covered.append((anchor.start, anchor.end))
            position = Position(i, anchor.start, anchor.end)
            ref = _ref(href, position, owner, anchor.text, anchor.rel, site)
            if ref:
                refs.append(ref)
            for shown in find_links(anchor.text):  # pic.twitter.com/X shown over a t.co href
                if shown.kind in TWEET_KINDS and (ref is None or shown.normalized != ref.normalized):
                    extra = _ref(shown.url, position, owner, anchor.text, anchor.rel, site)
                    if extra:
                        refs.append(extra)
        for link in find_links(para.text):
            if any(s <= link.start < e for s, e in covered) or para.in_code(link.start):
                continue
            ref = _ref(link.url, Position(i, link.start, link.end), owner, None, None, site)
            if ref:
                refs.append(ref)
        if owner is None and i in references:  # a tweet referenced in prose owns only its link
            refs[refs_here:] = [_referenced(r, citations, references[i])
                                for r in refs[refs_here:]]
    refs.sort(key=lambda r: (r.position.paragraph, r.position.start) if r.position else (0, 0))
    return refs


def _ref(url: str, position: Position, owner: int | None, anchor: str | None,
         rel: str | None, site: str | None) -> LinkRef | None:
    if not url.lower().startswith(("http://", "https://")) and "." not in url.split("/")[0]:
        return None  # a relative link with no base URL to resolve it against
    try:
        kind, tweet_id, handle = classify_url(url)
        normalized = normalize_url(url)
    except ValueError:
        return None
    if len(normalized) > MAX_URL or len(url) > MAX_URL:
        return None
    if kind == "external" and _is_internal(normalized, site):
        kind = "internal"
    return LinkRef(
        url=url, normalized=normalized, kind=kind, position=position, citation_index=owner,
        anchor_text=anchor, tweet_id=tweet_id, handle=handle, rel=rel,
    )


def _referenced(ref: LinkRef, citations: Sequence[Citation], candidates: list[int]) -> LinkRef:
    for index in candidates:
        pos = citations[index].position
        if pos is not None and ref.position is not None and pos.start <= ref.position.start < pos.end:
            return replace(ref, citation_index=index)
    return ref


def paragraph_owners(citations: Sequence[Citation], count: int) -> list[int | None]:
    """For each of ``count`` paragraphs, the first citation whose paragraphs hold it
    (references own no paragraph, only their link). Linear in paragraphs + citations."""
    owners: list[int | None] = [None] * count
    for index, cite in enumerate(citations):
        pos = cite.position
        if pos is None or cite.kind == "reference":
            continue
        last = pos.last_paragraph if pos.last_paragraph is not None else pos.paragraph
        for i in range(max(pos.paragraph, 0), min(last + 1, count)):
            if owners[i] is None:
                owners[i] = index
    return owners
