"""The read side used by the CLI: plain dicts with stable field names.

Only the current version of each article is queried; older versions stay in
the database as history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from archiver.errors import NotFound
from archiver.store import models as m
from archiver.store import provenance

CITATION_FIELDS = (
    "id", "article_id", "article", "kind", "handle", "author_name", "date", "date_text",
    "text", "lang", "tweet_id", "status_url", "links", "hashtags", "mentions", "flags",
    "position", "resolve_state", "resolve_error", "match_method", "match_score", "tweet_state",
    "candidates", "tweet_evidence",
)
ARTICLE_FIELDS = (
    "id", "identity", "source", "path", "url", "title", "language", "published", "authors",
    "format", "citations", "links", "first_archived_at", "last_archived_at", "versions",
)

def iso_utc(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z; SQLite hands back naive datetimes, stored as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def on_domain(domain: str) -> ColumnElement[bool]:
    """Links to a site: the host itself, its www., and its subdomains."""
    d = domain.lower().removeprefix("www.")
    return or_(m.Link.domain == d, m.Link.domain == "www." + d, m.Link.domain.like("%." + d))


def _current(stmt: Select[Any]) -> Select[Any]:
    return stmt.join(m.Article, m.Article.id == m.Citation.article_id).where(
        m.Citation.version_id == m.Article.current_version_id
    )


def find_article(session: Session, ref: str) -> m.Article:
    """An article by id, identity, URL, canonical URL or source as given; a file
    source also by its path written any other way (./x.txt, ../dir/x.txt, absolute),
    through the file URI its captures record."""
    conditions = [m.Article.identity == ref, m.Article.url == ref,
                  m.Article.canonical_url == ref, m.Article.source == ref]
    if ref.isascii() and ref.isdigit() and int(ref) < 2**63:  # ids are 64-bit integers
        conditions.append(m.Article.id == int(ref))
    uri = _file_uri(ref)
    if uri is not None:
        read_from = (select(m.ArticleVersion.article_id)
                     .join(m.Capture, m.Capture.id == m.ArticleVersion.capture_id)
                     .where(m.Capture.url == uri))
        conditions.append(m.Article.id.in_(read_from))
    article = session.scalars(select(m.Article).where(or_(*conditions))).first()
    if article is None:
        raise NotFound(f"{ref}: no such article in the archive")
    return article


def _file_uri(ref: str) -> str | None:
    """The file URI a path names (as sources.py records it), or None for what is no path."""
    if not ref or ref == "-" or ref.isdigit() or "://" in ref or ref.startswith("sha256:"):
        return None
    try:
        return Path(ref).expanduser().resolve().as_uri()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
        return None


def citations(
    session: Session,
    *,
    handle: str | None = None,
    article: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    hashtag: str | None = None,
    flagged: bool = False,
) -> list[dict[str, Any]]:
    stmt = _current(select(m.Citation, m.Article.identity, m.Tweet.state,
                           m.Tweet.evidence)).outerjoin(
        m.Tweet, m.Tweet.id == m.Citation.tweet_id)
    if handle:
        stmt = stmt.where(m.Citation.handle_lower == handle.lstrip("@").lower())
    if article:
        stmt = stmt.where(m.Citation.article_id == find_article(session, article).id)
    if since:
        stmt = stmt.where(m.Citation.cited_date >= since)
    if until:
        stmt = stmt.where(m.Citation.cited_date <= until)
    if hashtag:
        tagged = select(m.CitationTag.citation_id).where(
            m.CitationTag.kind == "hashtag", m.CitationTag.key == hashtag.lstrip("#").casefold()
        )
        stmt = stmt.where(m.Citation.id.in_(tagged))
    stmt = stmt.order_by(m.Citation.article_id, m.Citation.ordinal)
    # select's overloads give up on these columns (rows typed Any): name the types
    rows = cast(Sequence[tuple[m.Citation, str, str | None, dict[str, Any] | None]],
                session.execute(stmt).all())
    ids = [row[0].id for row in rows]
    links = _citation_links(session, ids)
    tags = _citation_tags(session, ids)
    out = [_citation_dict(c, identity, state, links, tags, evidence)
           for c, identity, state, evidence in rows]
    return [row for row in out if row["flags"]] if flagged else out


def _citation_links(session: Session, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each citation's links in order: where a short link went, or why it could not be followed."""
    found: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return found
    stmt = (
        select(m.LinkOccurrence.citation_id, m.Link)
        .join(m.Link, m.Link.id == m.LinkOccurrence.link_id)
        .where(m.LinkOccurrence.citation_id.in_(ids))
        .order_by(m.LinkOccurrence.paragraph, m.LinkOccurrence.start)
    )
    for citation_id, link in session.execute(stmt):
        if citation_id is None:  # excluded by the query (in_ ids); narrows the type
            continue
        links = found.setdefault(citation_id, [])
        if all(item["url"] != link.normalized for item in links):
            links.append({"url": link.normalized, "resolved_url": link.resolved_url,
                          "error": link.resolve_error})
    return found


def _citation_tags(session: Session, ids: list[int]) -> dict[tuple[int, str], list[str]]:
    found: dict[tuple[int, str], list[str]] = {}
    if ids:
        stmt = select(m.CitationTag).where(m.CitationTag.citation_id.in_(ids)).order_by(
            m.CitationTag.id
        )
        for tag in session.scalars(stmt):
            found.setdefault((tag.citation_id, tag.kind), []).append(tag.value)
    return found


def _citation_dict(
    c: m.Citation,
    identity: str,
    tweet_state: str | None,
    links: dict[int, list[dict[str, Any]]],
    tags: dict[tuple[int, str], list[str]],
    tweet_evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": c.id,
        "article_id": c.article_id,
        "article": identity,
        "kind": c.kind,
        "handle": c.handle,
        "author_name": c.author_name,
        "date": c.cited_date.isoformat() if c.cited_date else None,
        "date_text": c.date_text,
        "text": c.quote_text,
        "lang": c.lang,
        "tweet_id": c.tweet_id,
        "status_url": c.status_url,
        "links": [link for link in links.get(c.id, []) if link["url"] != c.status_url],
        "hashtags": tags.get((c.id, "hashtag"), []),
        "mentions": tags.get((c.id, "mention"), []),
        "flags": list(c.flags or []),
        "position": {
            "paragraph": c.paragraph,
            "start": c.start,
            "end": c.end,
            "last_paragraph": c.last_paragraph,
        },
        "resolve_state": c.resolve_state,
        "resolve_error": c.resolve_error,
        "match_method": c.match_method,
        "match_score": c.match_score,
        "tweet_state": tweet_state,
        # every tweet a search weighed, best first, with its score (0-100)
        "candidates": list(c.candidates or []),
        # why the tweet has its state: each service's answer, the Wayback capture
        "tweet_evidence": tweet_evidence,
    }


def articles(session: Session, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Every article (or those of ``ids``) with its counts, by id."""
    cites = (
        select(m.Citation.article_id, func.count().label("n"))
        .join(m.Article, m.Article.id == m.Citation.article_id)
        .where(m.Citation.version_id == m.Article.current_version_id)
        .group_by(m.Citation.article_id)
        .subquery()
    )
    links = (
        select(m.LinkOccurrence.article_id, func.count(func.distinct(m.LinkOccurrence.link_id)).label("n"))
        .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
        .where(m.LinkOccurrence.version_id == m.Article.current_version_id)
        .group_by(m.LinkOccurrence.article_id)
        .subquery()
    )
    versions = (
        select(m.ArticleVersion.article_id, func.count().label("n"))
        .group_by(m.ArticleVersion.article_id)
        .subquery()
    )
    # Where the current version was read from: a file's capture URL is its
    # absolute file:// URI, so a file archived by a relative path can be found again.
    read_from = (
        select(m.ArticleVersion.id, m.Capture.url)
        .join(m.Capture, m.Capture.id == m.ArticleVersion.capture_id)
        .subquery()
    )
    stmt = (
        select(m.Article, cites.c.n, links.c.n, versions.c.n, read_from.c.url)
        .outerjoin(cites, cites.c.article_id == m.Article.id)
        .outerjoin(links, links.c.article_id == m.Article.id)
        .outerjoin(versions, versions.c.article_id == m.Article.id)
        .outerjoin(read_from, read_from.c.id == m.Article.current_version_id)
        .order_by(m.Article.id)
    )
    if ids is not None:
        stmt = stmt.where(m.Article.id.in_(ids))
    # select's overloads give up on five columns (rows typed Any): name the types
    rows = cast(Sequence[tuple[m.Article, int | None, int | None, int | None, str | None]],
                session.execute(stmt).all())
    return [_article_dict(a, n_c or 0, n_l or 0, n_v or 0, file_path(read))
            for a, n_c, n_l, n_v, read in rows]


def file_path(capture_url: str | None) -> str | None:
    """The local path a ``file://`` capture URL names; None for URLs and stdin."""
    if not capture_url or not capture_url.startswith("file://"):
        return None
    return url2pathname(urlsplit(capture_url).path)


def _article_dict(a: m.Article, n_cites: int, n_links: int, n_versions: int,
                  path: str | None) -> dict[str, Any]:
    return {
        "id": a.id,
        "identity": a.identity,
        "source": a.source,
        "path": path,
        "url": a.canonical_url or a.url,
        "title": a.title,
        "language": a.language,
        "published": a.published_at.isoformat() if a.published_at else None,
        "authors": list(a.authors or []),
        "format": a.format,
        "citations": n_cites,
        "links": n_links,
        "first_archived_at": iso_utc(a.first_archived_at),
        "last_archived_at": iso_utc(a.last_archived_at),
        "versions": n_versions,
    }


def article_detail(session: Session, ref: str) -> dict[str, Any]:
    """An article with its text as paragraphs and its citations."""
    article = find_article(session, ref)
    [summary] = articles(session, ids=[article.id])
    summary["paragraphs"] = article.text.split("\n") if article.text else []
    summary["citation_list"] = citations(session, article=str(article.id))
    return summary


LINK_FIELDS = (
    "id", "url", "kind", "domain", "state", "resolved_url", "articles", "occurrences",
    "first_article", "paragraph", "anchor_text", "rel", "citation_id", "snapshot_capture_id",
    "snapshot_error", "resolve_error", "resolve_error_message", "last_check", "last_checked_at",
    "provenance",
)


def links(
    session: Session,
    *,
    article: str | None = None,
    domain: str | None = None,
    kind: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    """Links of current article versions, each with where it occurs and its latest check."""
    occ = (
        select(m.LinkOccurrence)
        .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
        .where(m.LinkOccurrence.version_id == m.Article.current_version_id)
    )
    if article:
        occ = occ.where(m.LinkOccurrence.article_id == find_article(session, article).id)
    occurrences: dict[int, list[m.LinkOccurrence]] = {}
    for row in session.scalars(occ.order_by(m.LinkOccurrence.article_id,
                                            m.LinkOccurrence.paragraph, m.LinkOccurrence.start)):
        occurrences.setdefault(row.link_id, []).append(row)
    if not occurrences:
        return []
    stmt = select(m.Link).where(m.Link.id.in_(list(occurrences))).order_by(m.Link.id)
    if domain:
        stmt = stmt.where(on_domain(domain))
    if kind:
        stmt = stmt.where(m.Link.kind == kind)
    if state:
        stmt = stmt.where(m.Link.state == state)
    found = list(session.scalars(stmt))
    checks = _latest_checks(session, [link.id for link in found])
    evidence_of = _evidence_captures(session, found)
    how = provenance.of_captures(session, evidence_of.values())
    out = []
    for link in found:
        first = occurrences[link.id][0]
        check = checks.get(link.id)
        out.append({
            "id": link.id, "url": link.normalized, "kind": link.kind, "domain": link.domain,
            "state": link.state, "resolved_url": link.resolved_url,
            "articles": sorted({o.article_id for o in occurrences[link.id]}),
            "occurrences": len(occurrences[link.id]), "first_article": first.article_id,
            "paragraph": first.paragraph, "anchor_text": first.anchor_text, "rel": first.rel,
            "citation_id": first.citation_id, "snapshot_capture_id": link.snapshot_capture_id,
            "snapshot_error": link.snapshot_error, "resolve_error": link.resolve_error,
            "resolve_error_message": link.resolve_error_message,
            "last_check": check.outcome if check else None,
            "last_checked_at": iso_utc(check.checked_at) if check else None,
            "provenance": how.get(cid) if (cid := evidence_of.get(link.id)) is not None else None,
        })
    return out


def _evidence_captures(session: Session, links: list[m.Link]) -> dict[int, int | None]:
    """link id -> the capture that shows it: its snapshot, else the first hop of its
    latest resolution."""
    found: dict[int, int | None] = {link.id: link.snapshot_capture_id for link in links}
    missing = [i for i, c in found.items() if c is None]
    for start in range(0, len(missing), 500):
        stmt = (select(m.RedirectHop.link_id, m.RedirectHop.capture_id)
                .where(m.RedirectHop.link_id.in_(missing[start:start + 500]),
                       m.RedirectHop.hop == 0)
                .order_by(m.RedirectHop.resolved_at))
        for link_id, capture_id in session.execute(stmt):
            found[link_id] = capture_id  # the latest resolution wins
    return found


def _latest_checks(session: Session, link_ids: list[int]) -> dict[int, m.LinkCheck]:
    if not link_ids:
        return {}
    newest = (
        select(m.LinkCheck.link_id, func.max(m.LinkCheck.id).label("last"))
        .where(m.LinkCheck.link_id.in_(link_ids))
        .group_by(m.LinkCheck.link_id)
        .subquery()
    )
    stmt = select(m.LinkCheck).join(newest, newest.c.last == m.LinkCheck.id)
    return {check.link_id: check for check in session.scalars(stmt) if check.link_id}
