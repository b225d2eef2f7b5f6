"""The rot report: how much of what articles cite is alive, moved, dead, hidden or
drifted, by article, by domain and by the article's age, and for every dead
link or citation, the copy we kept and a Wayback capture.

The rows come from ``store.report_queries`` in a fixed number of statements;
this module only counts and shapes them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from archiver.store import models as m
from archiver.store import report_queries as rq
from archiver.store.queries import find_article, iso_utc
from archiver.store.session import Session

CATEGORIES = ("alive", "moved", "drifted", "failing", "dead", "hidden", "blocked", "unchecked")
TWEET_CATEGORY = {"available": "alive", "deleted": "dead", "not_found": "dead",
                  "protected": "hidden", "withheld": "hidden", "suspended": "hidden"}
AGE_BUCKETS = ((1, "< 1 year"), (2, "1-2 years"), (5, "2-5 years"), (10, "5-10 years"),
               (10_000, "10+ years"))
ITEM_FIELDS = ("article_id", "article", "what", "url", "kind", "state", "last_check",
               "last_checked_at", "our_copy_at", "warc_file", "warc_offset", "sha256",
               "wayback_url")
# A status link is judged through its tweet, as a citation.
UNCOUNTED_LINK_KINDS = ("status",)


def _category(state: str | None) -> str:
    if state is None or state in ("unchecked", "unknown", "unreachable"):
        return "unchecked"
    state = TWEET_CATEGORY.get(state, state)
    return state if state in CATEGORIES else "unchecked"


def _age(article: m.Article, today: dt.date) -> str:
    born = article.published_at or article.first_archived_at.date()
    years = (today - born).days / 365.25
    return next(label for limit, label in AGE_BUCKETS if years < limit)


def _copy(capture: m.Capture | None) -> dict[str, Any]:
    if capture is None:
        return {"our_copy_at": None, "warc_file": None, "warc_offset": None, "sha256": None}
    return {"our_copy_at": iso_utc(capture.fetched_at), "warc_file": capture.warc_file,
            "warc_offset": capture.warc_offset, "sha256": capture.sha256}


def build(session: Session, *, article: str | None = None,
          since: dt.date | None = None) -> dict[str, Any]:
    today = dt.datetime.now(dt.UTC).date()
    scope = rq.Scope(find_article(session, article).id if article else None, since)
    articles = rq.articles(session, scope)
    links_of: dict[int, list[rq.LinkRow]] = defaultdict(list)
    for row in rq.links(session, scope):
        links_of[row.article_id].append(row)
    citations_of: dict[int, list[rq.CitationRow]] = defaultdict(list)
    for cite in rq.citations(session, scope):
        citations_of[cite.article_id].append(cite)
    totals: dict[str, Counter[str]] = {"links": Counter(), "citations": Counter()}
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    by_age: dict[str, Counter[str]] = defaultdict(Counter)
    rows, items = [], []
    for art in articles:
        counts: dict[str, Counter[str]] = {"links": Counter(), "citations": Counter()}
        seen: set[int] = set()
        for row in links_of[art.id]:
            link = row.link
            if link.id in seen:
                continue
            seen.add(link.id)
            if link.kind in UNCOUNTED_LINK_KINDS:
                continue
            category = _category(link.state)
            counts["links"][category] += 1
            by_domain[link.domain or "?"][category] += 1
            by_age[_age(art, today)][category] += 1
            if category in ("dead", "drifted", "failing"):
                items.append(_item(art, "link", link.normalized, link.kind, link.state,
                                   link.last_checked_at, row.copy, link.wayback_url,
                                   row.last_check))
        for cite in citations_of[art.id]:
            tweet = cite.tweet
            category = _category(tweet.state if tweet else None)
            counts["citations"][category] += 1
            if category in ("dead", "hidden") and tweet is not None:
                items.append(_item(art, "citation", cite.citation.status_url or
                                   f"https://twitter.com/i/web/status/{tweet.id}",
                                   f"@{cite.citation.handle}", tweet.state,
                                   tweet.last_checked_at, cite.copy, None, None))
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
        "timeline": _timeline(rq.link_checks(session, scope, UNCOUNTED_LINK_KINDS)
                              if articles else []),
    }


def _full(counter: Counter[str]) -> dict[str, int]:
    return {c: counter.get(c, 0) for c in CATEGORIES}


def _item(art: m.Article, what: str, url: str, kind: str, state: str,
          checked: dt.datetime | None, copy: m.Capture | None, wayback_url: str | None,
          last_check: str | None) -> dict[str, Any]:
    return {"article_id": art.id, "article": art.title or art.identity, "what": what,
            "url": url, "kind": kind, "state": state, "last_check": last_check,
            "last_checked_at": iso_utc(checked) if checked else None,
            **_copy(copy), "wayback_url": wayback_url}


def _timeline(checks: list[tuple[dt.datetime, str]]) -> list[dict[str, Any]]:
    """Per day of checks (per hour while all checks fall within two days): how many
    links were checked and how many failed."""
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
