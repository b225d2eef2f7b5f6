"""The rot report: how much of what articles cite is alive, moved, dead, hidden or
drifted, by article, by domain and by the article's age, and for every dead
link or citation, the copy we kept and a Wayback capture.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.queries import find_article, iso_utc

CATEGORIES = ("alive", "moved", "drifted", "failing", "dead", "hidden", "blocked", "unchecked")
TWEET_CATEGORY = {"available": "alive", "deleted": "dead", "not_found": "dead",
                  "protected": "hidden", "withheld": "hidden", "suspended": "hidden"}
AGE_BUCKETS = ((1, "< 1 year"), (2, "1-2 years"), (5, "2-5 years"), (10, "5-10 years"),
               (10_000, "10+ years"))
ITEM_FIELDS = ("article_id", "article", "what", "url", "kind", "state", "last_check",
               "last_checked_at", "our_copy_at", "warc_file", "warc_offset", "sha256",
               "wayback_url")


def _category(state: str | None) -> str:
    if state in (None, "unchecked", "unknown", "unreachable"):
        return "unchecked"
    state = TWEET_CATEGORY.get(state, state)
    return state if state in CATEGORIES else "unchecked"


def _age(article: m.Article, today: dt.date) -> str:
    born = article.published_at or article.first_archived_at.date()
    years = (today - born).days / 365.25
    return next(label for limit, label in AGE_BUCKETS if years < limit)


def _copy(session: Session, capture_id: int | None) -> dict[str, Any]:
    capture = session.get(m.Capture, capture_id) if capture_id else None
    if capture is None:
        return {"our_copy_at": None, "warc_file": None, "warc_offset": None, "sha256": None}
    return {"our_copy_at": iso_utc(capture.fetched_at), "warc_file": capture.warc_file,
            "warc_offset": capture.warc_offset, "sha256": capture.sha256}


def _link_copy(session: Session, link: m.Link, article: m.Article) -> int | None:
    if link.snapshot_capture_id:
        return link.snapshot_capture_id
    if link.kind == "article" and article.current_version_id:
        version = session.get(m.ArticleVersion, article.current_version_id)
        return version.capture_id if version else None
    hop = session.scalars(select(m.RedirectHop).where(m.RedirectHop.link_id == link.id)
                          .order_by(m.RedirectHop.resolved_at.desc(), m.RedirectHop.hop)).first()
    return hop.capture_id if hop else None


def build(session: Session, *, article: str | None = None,
          since: dt.date | None = None) -> dict[str, Any]:
    today = dt.datetime.now(dt.UTC).date()
    stmt = select(m.Article).order_by(m.Article.id)
    if article:
        stmt = stmt.where(m.Article.id == find_article(session, article).id)
    articles = [a for a in session.scalars(stmt)
                if since is None or (a.published_at or a.first_archived_at.date()) >= since]
    totals = {"links": Counter(), "citations": Counter()}
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    by_age: dict[str, Counter[str]] = defaultdict(Counter)
    rows, items = [], []
    link_ids: set[int] = set()
    for art in articles:
        counts = {"links": Counter(), "citations": Counter()}
        occurrences = session.scalars(select(m.LinkOccurrence).where(
            m.LinkOccurrence.version_id == art.current_version_id))
        seen: set[int] = set()
        for occ in occurrences:
            if occ.link_id in seen:
                continue
            seen.add(occ.link_id)
            link = session.get(m.Link, occ.link_id)
            if link is None or link.kind == "status":  # judged through its tweet below
                continue
            link_ids.add(link.id)
            category = _category(link.state)
            counts["links"][category] += 1
            by_domain[link.domain or "?"][category] += 1
            by_age[_age(art, today)][category] += 1
            if category in ("dead", "drifted", "failing"):
                items.append(_item(session, art, "link", link.normalized, link.kind, link.state,
                                   link.last_checked_at, _link_copy(session, link, art),
                                   link.wayback_url, link.id))
        for cite in session.scalars(select(m.Citation).where(
                m.Citation.version_id == art.current_version_id).order_by(m.Citation.ordinal)):
            tweet = session.get(m.Tweet, cite.tweet_id) if cite.tweet_id else None
            state = tweet.state if tweet else None
            category = _category(state)
            counts["citations"][category] += 1
            if category in ("dead", "hidden") and tweet is not None:
                items.append(_item(session, art, "citation", cite.status_url or
                                   f"https://twitter.com/i/web/status/{tweet.id}",
                                   f"@{cite.handle}", tweet.state, tweet.last_checked_at,
                                   tweet.capture_id, None, None))
        for key, counter in totals.items():
            counter.update(counts[key])
        rows.append({"article_id": art.id, "title": art.title, "url": art.canonical_url or art.url,
                     "published": art.published_at.isoformat() if art.published_at else None,
                     "age": _age(art, today),
                     "links": _full(counts["links"]), "citations": _full(counts["citations"])})
    return {
        "generated_at": iso_utc(dt.datetime.now(dt.UTC)),
        "categories": list(CATEGORIES),
        "totals": {k: _full(v) for k, v in totals.items()},
        "by_article": rows,
        "by_domain": [{"domain": d, **_full(c)} for d, c in
                      sorted(by_domain.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))],
        "by_age": [{"age": label, **_full(by_age[label])} for _, label in AGE_BUCKETS
                   if label in by_age],
        "items": items,
        "timeline": _timeline(session, link_ids),
    }


def _full(counter: Counter[str]) -> dict[str, int]:
    return {c: counter.get(c, 0) for c in CATEGORIES}


def _item(session: Session, art: m.Article, what: str, url: str, kind: str, state: str,
          checked: dt.datetime | None, capture_id: int | None, wayback_url: str | None,
          link_id: int | None) -> dict[str, Any]:
    last = None
    if link_id is not None:
        last = session.scalars(select(m.LinkCheck.outcome).where(m.LinkCheck.link_id == link_id)
                               .order_by(m.LinkCheck.id.desc())).first()
    return {"article_id": art.id, "article": art.title or art.identity, "what": what,
            "url": url, "kind": kind, "state": state, "last_check": last,
            "last_checked_at": iso_utc(checked) if checked else None,
            **_copy(session, capture_id), "wayback_url": wayback_url}


def _timeline(session: Session, link_ids: set[int]) -> list[dict[str, Any]]:
    """Per day of checks (per hour while all checks fall within two days): how many
    links were checked and how many failed."""
    if not link_ids:
        return []
    stmt = select(m.LinkCheck.checked_at, m.LinkCheck.outcome).where(
        m.LinkCheck.link_id.in_(sorted(link_ids)))
    checks = list(session.execute(stmt))
    if not checks:
        return []
    span = max(c for c, _ in checks) - min(c for c, _ in checks)
    width = 10 if span >= dt.timedelta(days=2) else 13  # YYYY-MM-DD or YYYY-MM-DDTHH
    buckets: dict[str, Counter[str]] = defaultdict(Counter)
    for checked_at, outcome in checks:
        key = checked_at.isoformat()[:width]
        buckets[key]["checked"] += 1
        if outcome not in ("ok", "redirected", "blocked"):
            buckets[key]["rotten"] += 1
    return [{"date": key if width == 10 else key + ":00", "checked": c["checked"],
             "rotten": c["rotten"], "share": round(c["rotten"] / c["checked"], 3)}
            for key, c in sorted(buckets.items())]
