"""The read side of ``archiver serve``: what the web pages need beyond the CLI's
listings (store/queries.py, store/tweet_queries.py), which they reuse.

Every function here only reads. Rows come back as plain dicts with the same
field names the CLI prints, so a page's JSON and the CLI's JSON agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store import provenance, queries, tweet_queries
from archiver.store.blobs import BlobStore
from archiver.store.queries import iso_utc, on_domain

ROTTEN_LINK_STATES = ("dead", "failing", "drifted")
HIDDEN_TWEET_STATES = ("deleted", "not_found", "protected", "suspended", "withheld")
ARTICLE_SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "archived": (m.Article.last_archived_at.desc(), m.Article.id.desc()),
    "archived_asc": (m.Article.last_archived_at.asc(), m.Article.id.asc()),
    "published": (m.Article.published_at.desc(), m.Article.id.desc()),
    "published_asc": (m.Article.published_at.asc(), m.Article.id.asc()),
}
ARTICLE_STATES = ("rotten", "hidden")  # any rotten link / any hidden tweet


def search_articles(
    session: Session,
    *,
    q: str | None = None,
    handle: str | None = None,
    hashtag: str | None = None,
    domain: str | None = None,
    state: str | None = None,
    sort: str = "archived",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of articles matching every filter given, and how many match in all.
    Rows are those of ``queries.articles`` (the CLI's ``archiver articles``)."""
    stmt = select(m.Article.id)
    if q:
        stmt = stmt.where(m.Article.title.ilike(f"%{_like(q)}%", escape="\\"))
    current = m.Citation.version_id == m.Article.current_version_id
    if handle:
        cited = (select(m.Citation.article_id).join(m.Article, m.Article.id == m.Citation.article_id)
                 .where(current, m.Citation.handle_lower == handle.lstrip("@").lower()))
        stmt = stmt.where(m.Article.id.in_(cited))
    if hashtag:
        tagged = (select(m.Citation.article_id)
                  .join(m.Article, m.Article.id == m.Citation.article_id)
                  .join(m.CitationTag, m.CitationTag.citation_id == m.Citation.id)
                  .where(current, m.CitationTag.kind == "hashtag",
                         m.CitationTag.key == hashtag.lstrip("#").casefold()))
        stmt = stmt.where(m.Article.id.in_(tagged))
    if domain:
        stmt = stmt.where(m.Article.id.in_(_articles_with_links(on_domain(domain))))
    if state == "rotten":
        # status links are judged through their tweet (state=hidden), as in the report
        stmt = stmt.where(m.Article.id.in_(_articles_with_links(
            m.Link.state.in_(ROTTEN_LINK_STATES) & (m.Link.kind != "status"))))
    elif state == "hidden":
        hidden = (select(m.Citation.article_id)
                  .join(m.Article, m.Article.id == m.Citation.article_id)
                  .join(m.Tweet, m.Tweet.id == m.Citation.tweet_id)
                  .where(current, m.Tweet.state.in_(HIDDEN_TWEET_STATES)))
        stmt = stmt.where(m.Article.id.in_(hidden))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = ARTICLE_SORTS.get(sort, ARTICLE_SORTS["archived"])
    ids = list(session.scalars(stmt.order_by(*order).limit(per_page)
                               .offset((max(page, 1) - 1) * per_page)))
    if not ids:
        return [], total
    by_id = {row["id"]: row for row in queries.articles(session, ids=ids)}
    return [by_id[i] for i in ids if i in by_id], total


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _articles_with_links(condition: Any) -> Any:
    return (select(m.LinkOccurrence.article_id)
            .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
            .join(m.Link, m.Link.id == m.LinkOccurrence.link_id)
            .where(m.LinkOccurrence.version_id == m.Article.current_version_id, condition))


def article_versions(session: Session, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first, with the capture it was read from."""
    stmt = (select(m.ArticleVersion, m.Capture)
            .outerjoin(m.Capture, m.Capture.id == m.ArticleVersion.capture_id)
            .where(m.ArticleVersion.article_id == article_id)
            .order_by(m.ArticleVersion.created_at, m.ArticleVersion.id))
    current = session.scalar(select(m.Article.current_version_id)
                             .where(m.Article.id == article_id))
    return [{"id": v.id, "created_at": iso_utc(v.created_at), "content_sha256": v.content_sha256,
             "current": v.id == current, "capture": capture_dict(c) if c else None}
            for v, c in session.execute(stmt)]


def capture_dict(c: m.Capture) -> dict[str, Any]:
    return {"id": c.id, "url": c.url, "fetched_at": iso_utc(c.fetched_at), "status": c.status,
            "content_type": c.content_type, "sha256": c.sha256, "size": c.size,
            "warc_file": c.warc_file, "warc_offset": c.warc_offset, "error": c.error}


def capture(session: Session, capture_id: int) -> dict[str, Any] | None:
    found = session.get(m.Capture, capture_id)
    return capture_dict(found) if found else None


def tweet(session: Session, blobs: BlobStore, tweet_id: str) -> dict[str, Any] | None:
    """One tweet exactly as ``archiver tweets --format json`` gives it."""
    found = session.get(m.Tweet, tweet_id)
    if found is None:
        return None
    evidence = tweet_queries._evidence(session, [found])
    media = tweet_queries._media(session, [found.id], blobs)
    cites = tweet_queries._citations(session, [found.id])
    how = provenance.of_captures(session, [found.capture_id]).get(found.capture_id or 0)
    row = tweet_queries._tweet_dict(found, evidence.get(found.id, []), media.get(found.id, []),
                                    cites.get(found.id, []), how)
    return {**{k: row[k] for k in tweet_queries.TWEET_FIELDS}, "urls": list(found.urls or [])}


def media_item(session: Session, media_id: int) -> dict[str, Any] | None:
    item = session.get(m.Media, media_id)
    if item is None:
        return None
    return {"id": item.id, "tweet_id": item.tweet_id, "kind": item.kind, "mime": item.mime,
            "sha256": item.sha256, "size": item.size, "url": item.url}


def media_ids(session: Session, tweet_id: str) -> dict[str, int]:
    """The media rows' ids of a tweet by their URL (pages link to /media/ID)."""
    stmt = select(m.Media.url, m.Media.id).where(m.Media.tweet_id == tweet_id)
    return {url: media_id for url, media_id in session.execute(stmt)}


def links_by_url(session: Session, urls: list[str]) -> dict[str, dict[str, Any]]:
    """Links by normalized URL, each with every hop of every resolution, oldest first."""
    if not urls:
        return {}
    found = {link.id: link for link in session.scalars(
        select(m.Link).where(m.Link.normalized.in_(urls)))}
    hops = redirect_hops(session, list(found))
    return {link.normalized: {"id": link.id, "url": link.normalized, "kind": link.kind,
                              "state": link.state, "resolved_url": link.resolved_url,
                              "resolve_error": link.resolve_error,
                              "hops": hops.get(link.id, [])}
            for link in found.values()}


def redirect_hops(session: Session, link_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not link_ids:
        return found
    stmt = (select(m.RedirectHop).where(m.RedirectHop.link_id.in_(link_ids))
            .order_by(m.RedirectHop.resolved_at, m.RedirectHop.hop))
    for hop in session.scalars(stmt):
        found.setdefault(hop.link_id, []).append({
            "resolved_at": iso_utc(hop.resolved_at), "hop": hop.hop, "url": hop.url,
            "status": hop.status, "location": hop.location, "capture_id": hop.capture_id})
    return found


def link_detail(session: Session, link_id: int) -> dict[str, Any] | None:
    """A link: where it occurs, every check (oldest first), its hops, our copy and
    the Wayback copy. ``row`` is the link as ``archiver links --format json`` has it."""
    link = session.get(m.Link, link_id)
    if link is None:
        return None
    occ = (select(m.LinkOccurrence, m.Article.title, m.Article.identity)
           .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
           .where(m.LinkOccurrence.link_id == link_id,
                  m.LinkOccurrence.version_id == m.Article.current_version_id)
           .order_by(m.LinkOccurrence.article_id, m.LinkOccurrence.paragraph,
                     m.LinkOccurrence.start))
    occurrences = [{"article_id": o.article_id, "article": identity, "title": title,
                    "paragraph": o.paragraph, "start": o.start, "end": o.end, "url": o.url,
                    "anchor_text": o.anchor_text, "rel": o.rel, "citation_id": o.citation_id}
                   for o, title, identity in session.execute(occ)]
    checks = [{"id": c.id, "checked_at": iso_utc(c.checked_at), "outcome": c.outcome,
               "status": c.status, "final_url": c.final_url, "content_sha256": c.content_sha256,
               "similarity": c.similarity, "latency_ms": c.latency_ms, "error": c.error,
               "capture_id": c.capture_id}
              for c in session.scalars(select(m.LinkCheck).where(m.LinkCheck.link_id == link_id)
                                       .order_by(m.LinkCheck.checked_at, m.LinkCheck.id))]
    copy = session.get(m.Capture, link.snapshot_capture_id) if link.snapshot_capture_id else None
    return {"occurrences": occurrences, "checks": checks,
            "hops": redirect_hops(session, [link_id]).get(link_id, []),
            "our_copy": capture_dict(copy) if copy else None,
            "snapshot_error": link.snapshot_error, "wayback_url": link.wayback_url,
            "failing_since": iso_utc(link.failing_since) if link.failing_since else None,
            "next_check_at": iso_utc(link.next_check_at) if link.next_check_at else None}


def link_ids_by_url(session: Session, urls: list[str]) -> dict[str, int]:
    if not urls:
        return {}
    stmt = select(m.Link.normalized, m.Link.id).where(m.Link.normalized.in_(urls))
    return {url: link_id for url, link_id in session.execute(stmt)}


def published_warcs(session: Session) -> list[dict[str, Any]]:
    stmt = select(m.WarcFile).where(m.WarcFile.state == "published").order_by(m.WarcFile.id)
    return [{"name": w.name, "records": w.records, "created_at": iso_utc(w.created_at),
             "published_at": iso_utc(w.published_at) if w.published_at else None}
            for w in session.scalars(stmt)]


def blobs_listing(session: Session, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Distinct blobs named by captures and media: sha256, size, a type and where
    they came from (the first capture or medium holding them)."""
    rows: dict[str, dict[str, Any]] = {}
    for sha, size, ctype, url in session.execute(
            select(m.Capture.sha256, m.Capture.size, m.Capture.content_type, m.Capture.url)
            .where(m.Capture.sha256.is_not(None)).order_by(m.Capture.id)):
        if sha is None:  # excluded by the query; narrows the column's type
            continue
        rows.setdefault(sha, {"sha256": sha, "size": size, "content_type": ctype, "url": url})
    for sha, size, mime, url in session.execute(
            select(m.Media.sha256, m.Media.size, m.Media.mime, m.Media.url)
            .where(m.Media.sha256.is_not(None)).order_by(m.Media.id)):
        if sha is None:  # excluded by the query; narrows the column's type
            continue
        rows.setdefault(sha, {"sha256": sha, "size": size, "content_type": mime, "url": url})
    items = list(rows.values())
    return items[offset:offset + limit], len(items)


def blob_known(session: Session, sha256: str) -> dict[str, Any] | None:
    """A blob the database names (a capture's or a medium's), with its type."""
    found = session.execute(select(m.Capture.content_type, m.Capture.url)
                            .where(m.Capture.sha256 == sha256).limit(1)).first()
    if found is None:
        found = session.execute(select(m.Media.mime, m.Media.url)
                                .where(m.Media.sha256 == sha256).limit(1)).first()
    return {"content_type": found[0], "url": found[1]} if found else None


def article_captures(session: Session, article_id: int) -> list[dict[str, Any]]:
    """Every capture with a WARC record that belongs to an article: its versions,
    its links' snapshots, hops and checks, and its cited tweets' answers and media."""
    current = session.scalar(select(m.Article.current_version_id)
                             .where(m.Article.id == article_id))
    ids: set[int] = set()
    ids.update(c for c in session.scalars(select(m.ArticleVersion.capture_id)
                                          .where(m.ArticleVersion.article_id == article_id)) if c)
    link_ids = list(session.scalars(select(m.LinkOccurrence.link_id)
                                    .where(m.LinkOccurrence.version_id == current)))
    if link_ids:
        ids.update(c for c in session.scalars(select(m.Link.snapshot_capture_id)
                                              .where(m.Link.id.in_(link_ids))) if c)
        ids.update(c for c in session.scalars(select(m.RedirectHop.capture_id)
                                              .where(m.RedirectHop.link_id.in_(link_ids))) if c)
        ids.update(c for c in session.scalars(select(m.LinkCheck.capture_id)
                                              .where(m.LinkCheck.link_id.in_(link_ids))) if c)
    tweet_ids = [t for t in session.scalars(select(m.Citation.tweet_id)
                                            .where(m.Citation.version_id == current)) if t]
    if tweet_ids:
        tweets = list(session.scalars(select(m.Tweet).where(m.Tweet.id.in_(tweet_ids))))
        ids.update(t.capture_id for t in tweets if t.capture_id)
        for items in tweet_queries._evidence(session, tweets).values():
            ids.update(e["capture_id"] for e in items if e["capture_id"])
        ids.update(c for c in session.scalars(select(m.Media.capture_id)
                                              .where(m.Media.tweet_id.in_(tweet_ids))) if c)
    if not ids:
        return []
    stmt = (select(m.Capture).where(m.Capture.id.in_(sorted(ids)),
                                    m.Capture.warc_file.is_not(None),
                                    m.Capture.warc_offset.is_not(None))
            .order_by(m.Capture.id))
    return [capture_dict(c) for c in session.scalars(stmt)]


def citations_of_tweet(session: Session, tweet_id: str) -> list[dict[str, Any]]:
    """The citations (as ``archiver citations`` gives them) that cite a tweet,
    or list it among their candidates."""
    ids = set(session.scalars(select(m.Citation.article_id).where(
        or_(m.Citation.tweet_id == tweet_id, m.Citation.candidates.is_not(None)))))
    rows: list[dict[str, Any]] = []
    for article_id in sorted(ids):
        rows.extend(c for c in queries.citations(session, article=str(article_id))
                    if c["tweet_id"] == tweet_id
                    or any(k.get("tweet_id") == tweet_id for k in c["candidates"]))
    return rows
