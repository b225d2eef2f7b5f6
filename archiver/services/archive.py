"""Store what detection found: article, version, citations, links. Idempotent.

An article is identified by its canonical URL (or fetched URL), or by the hash
of its bytes when it is a file with no URL. A new ``article_version`` is made
only when the main text changed; its citations and link occurrences hang off
that version, so history survives an edited article.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from archiver.detect.links import host_of, normalize_url
from archiver.detect.values import Citation, Detection, LinkRef
from archiver.services.recorder import Recorder
from archiver.services.sources import Source
from archiver.store import articles, rows
from archiver.store import models as m
from archiver.store.blobs import BlobStore
from archiver.store.session import Session
from archiver.store.upsert import upsert_link, upsert_links


@dataclass(frozen=True)
class ArchiveSummary:
    source: str
    article_id: int
    identity: str
    title: str | None
    language: str | None
    citations: int
    links: int
    new_version: bool
    handles: tuple[str, ...]
    version_id: int | None = None


def article_identity(source: Source, detection: Detection, raw_sha: str) -> str:
    if detection.article.canonical_url and detection.article.canonical_url.startswith("http"):
        return detection.article.canonical_url
    if source.url:
        return source.url
    return f"sha256:{raw_sha}"


def content_hash(detection: Detection) -> str:
    return hashlib.sha256(detection.article.text.encode("utf-8")).hexdigest()


def raw_hash(source: Source) -> str:
    return hashlib.sha256(source.data).hexdigest()


def _capture(session: Session, source: Source, sha: str, size: int,
             recorder: Recorder | None) -> m.Capture:
    if source.fetch is not None and recorder is not None:
        capture = recorder.fetch(source.fetch)[-1]
        recorder.store(session)
        return capture
    if source.is_file:  # re-reading the same bytes from a file is not a new observation
        existing = articles.file_capture(session, source.capture_url, sha)
        if existing:
            return existing
    capture = m.Capture(
        url=source.capture_url,
        fetched_at=source.fetched_at,
        status=source.status,
        headers=[list(h) for h in source.headers] if source.headers else None,
        content_type=source.content_type,
        sha256=sha,
        size=size,
    )
    rows.add(session, capture)
    return capture


def store_detection(
    session: Session, blobs: BlobStore, source: Source, detection: Detection,
    recorder: Recorder | None = None,
) -> ArchiveSummary:
    raw_sha, size = blobs.put(source.data)
    identity = article_identity(source, detection, raw_sha)
    art = detection.article
    now = dt.datetime.now(dt.UTC)
    article = articles.article(session, identity, now=now, fmt=art.format, source=source.given)
    article.source = source.given
    article.url = source.url
    article.canonical_url = art.canonical_url
    article.format = art.format
    article.title = art.title
    article.authors = list(art.authors)
    article.published_at = art.published
    article.language = art.language
    article.text = art.text
    article.last_archived_at = now
    rows.save(session)

    capture = _capture(session, source, raw_sha, size, recorder)
    sha = content_hash(detection)
    version = articles.version(session, article.id, sha)
    new_version = version is None
    if version is None:
        version = m.ArticleVersion(article_id=article.id, capture_id=capture.id,
                                   content_sha256=sha, created_at=now)
        rows.add(session, version)
        _store_citations_and_links(session, article.id, version.id, detection)
        _watch_article_url(session, article, version.id)
    article.current_version_id = version.id
    rows.save(session)
    return ArchiveSummary(
        source=source.given,
        article_id=article.id,
        identity=identity,
        title=art.title,
        language=art.language,
        citations=len(detection.citations),
        links=len({ref.normalized for ref in detection.links}),
        new_version=new_version,
        handles=tuple(c.handle or "?" for c in detection.citations),
        version_id=version.id,
    )


def _watch_article_url(session: Session, article: m.Article, version_id: int) -> None:
    """The article's own URL is a link to watch too: an article that vanishes or is
    silently edited is rot like any other."""
    url = article.canonical_url or article.url
    if not url or not url.startswith(("http://", "https://")):
        return
    normalized = normalize_url(url)
    link_id = upsert_link(session, normalized, {
        "url": url, "kind": "article", "domain": host_of(normalized) or None,
    })
    rows.add(session, m.LinkOccurrence(
        link_id=link_id, article_id=article.id, version_id=version_id, url=url, paragraph=-1,
        start=0, end=0, anchor_text=article.title))


def _tags(hashtags: tuple[str, ...], mentions: tuple[str, ...]) -> list[m.CitationTag]:
    """One tag per distinct case-folded value, keeping the first spelling."""
    tags: dict[tuple[str, str], m.CitationTag] = {}
    for kind, values in (("hashtag", hashtags), ("mention", mentions)):
        for value in values:
            key = value.casefold()
            tags.setdefault((kind, key), m.CitationTag(kind=kind, value=value, key=key))
    return list(tags.values())


def _store_citations_and_links(
    session: Session, article_id: int, version_id: int, detection: Detection
) -> None:
    cite_rows = []
    for ordinal, cite in enumerate(detection.citations):
        row = citation_row(cite, ordinal, article_id, version_id)
        row.tags = _tags(cite.hashtags, cite.mentions)
        cite_rows.append(row)
    citation_ids = articles.add_citations(session, cite_rows)
    values: dict[str, dict[str, object]] = {}
    for ref in detection.links:  # the first mention of a link gives its values
        values.setdefault(ref.normalized, link_values(ref))
    link_ids = upsert_links(session, values)
    occurrences = []
    seen: set[tuple[int, int, int]] = set()
    for ref in detection.links:
        link_id = link_ids[ref.normalized]
        occurrence = occurrence_row(ref, article_id, version_id)
        if (link_id, occurrence.paragraph, occurrence.start) in seen:
            continue
        seen.add((link_id, occurrence.paragraph, occurrence.start))
        occurrence.link_id = link_id
        occurrence.citation_id = (citation_ids[ref.citation_index]
                                  if ref.citation_index is not None else None)
        occurrences.append(occurrence)
    articles.add_occurrences(session, occurrences)


def citation_row(cite: Citation, ordinal: int, article_id: int | None,
                 version_id: int | None) -> m.Citation:
    """The citation row for a detected citation (also used, unsaved, as the
    resolver's view of a citation not stored yet)."""
    pos = cite.position
    return m.Citation(
        article_id=article_id, version_id=version_id, ordinal=ordinal, kind=cite.kind,
        paragraph=pos.paragraph if pos else None,
        last_paragraph=(pos.last_paragraph if pos and pos.last_paragraph is not None
                        else pos.paragraph if pos else None),
        start=pos.start if pos else None, end=pos.end if pos else None,
        quote_text=cite.text, lang=cite.lang, author_name=cite.author_name,
        handle=cite.handle, handle_lower=cite.handle.lower() if cite.handle else None,
        date_text=cite.date_text, cited_date=cite.date, tweet_id=cite.tweet_id,
        status_url=cite.status_url, flags=list(cite.flags), resolve_state="pending",
        match_method=None, match_score=None, candidates=None, resolve_error=None,
    )


def link_values(ref: LinkRef) -> dict[str, object]:
    return {"url": ref.url, "kind": ref.kind, "tweet_id": ref.tweet_id, "handle": ref.handle,
            "domain": host_of(ref.normalized) or None}


def occurrence_row(ref: LinkRef, article_id: int | None,
                   version_id: int | None) -> m.LinkOccurrence:
    return m.LinkOccurrence(
        article_id=article_id, version_id=version_id, url=ref.url,
        paragraph=ref.position.paragraph if ref.position else -1,
        start=ref.position.start if ref.position else 0,
        end=ref.position.end if ref.position else 0, anchor_text=ref.anchor_text, rel=ref.rel,
    )
