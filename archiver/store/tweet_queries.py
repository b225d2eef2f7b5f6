"""The read side of ``archiver tweets``: each tweet we hold and why we say what we say.

A tweet's state rests on answers we kept: the provider whose answer set it (with
what it said and when), every recorded request that named the tweet (syndication,
FxTwitter, oEmbed, the Wayback index and replays: status or error, time, capture)
and every later rot check. Media come with the blob that holds their bytes, and
the citations that cite the tweet with their articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store import provenance
from archiver.store.blobs import BlobStore
from archiver.store.queries import find_article, iso_utc

TWEET_FIELDS = (
    "id", "status_url", "state", "handle", "author_name", "user_id", "created_at", "lang",
    "text", "provider", "detail", "fetched_at", "capture_id", "verdict", "evidence",
    "last_checked_at", "media", "citations", "provenance",
)
# The table for people (160 columns when piped): the why first, the words last.
TABLE_FIELDS = ("id", "handle", "state", "provider", "date", "cited_by", "text")

# A tweet id inside a recorded URL: ?id=ID (syndication), /status/ID (FxTwitter,
# Wayback index and replays), and the same inside an encoded oEmbed url= parameter.
_NAMED_ID = re.compile(r"(?:[?&]id=|/status(?:es)?/)(\d{1,20})(?!\d)")
_STATUS_HOSTS = frozenset({"twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com",
                           "www.x.com"})
_CHUNK = 500  # ids per IN (...) list


def tweets(
    session: Session,
    blobs: BlobStore,
    *,
    handle: str | None = None,
    state: str | None = None,
    article: str | None = None,
) -> list[dict[str, Any]]:
    """Tweets we hold, oldest first. ``handle`` matches the tweet's author now or
    the handle a citation gave it (an account renamed since); ``article`` keeps
    the tweets cited by that article's current version."""
    stmt = select(m.Tweet)
    if handle:
        key = handle.lstrip("@").lower()
        cited_as = select(m.Citation.tweet_id).where(m.Citation.handle_lower == key,
                                                     m.Citation.tweet_id.is_not(None))
        stmt = stmt.where(or_(func.lower(m.Tweet.handle) == key, m.Tweet.id.in_(cited_as)))
    if state:
        stmt = stmt.where(m.Tweet.state == state)
    if article:
        found = find_article(session, article)
        cited = select(m.Citation.tweet_id).where(
            m.Citation.article_id == found.id, m.Citation.version_id == found.current_version_id)
        stmt = stmt.where(m.Tweet.id.in_(cited))
    rows = sorted(session.scalars(stmt), key=lambda t: (len(t.id), t.id))
    ids = [t.id for t in rows]
    evidence = _evidence(session, rows)
    media = _media(session, ids, blobs)
    cites = _citations(session, ids)
    how = provenance.of_captures(session, [t.capture_id for t in rows])
    return [_tweet_dict(t, evidence.get(t.id, []), media.get(t.id, []), cites.get(t.id, []),
                        how.get(t.capture_id) if t.capture_id else None)
            for t in rows]


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def service_of(url: str) -> str:
    """Which service a recorded request asked, by the shape of its URL (bases are
    configurable, so the path says more than the host)."""
    parts = urlsplit(url)
    path = parts.path
    host = (parts.hostname or "").lower()
    if path.endswith("/tweet-result"):
        return "syndication"
    if path.endswith("/oembed"):
        return "oembed"
    if "/cdx/" in path:
        return "wayback_index"
    if path.startswith("/web/"):
        return "wayback"
    if "/wayback/available" in path:
        return "wayback_availability"
    if host in _STATUS_HOSTS:
        return "x.com"
    return "fxtwitter" if "/status/" in path else host or "unknown"


def _evidence(session: Session, rows: list[m.Tweet]) -> dict[str, list[dict[str, Any]]]:
    """Every recorded request naming each tweet, and its rot checks, oldest first."""
    wanted = {t.id for t in rows}
    found: dict[str, list[dict[str, Any]]] = {}
    if not wanted:
        return found
    # One pass over the captures that can name a tweet; the id is read from the URL.
    stmt = select(m.Capture.id, m.Capture.url, m.Capture.fetched_at, m.Capture.status,
                  m.Capture.error).where(or_(m.Capture.url.like("%status%"),
                                             m.Capture.url.like("%tweet-result%")))
    seen: set[tuple[str, int]] = set()
    for capture_id, url, at, status, error in session.execute(stmt):
        for tweet_id in set(_NAMED_ID.findall(unquote(unquote(url)))) & wanted:
            seen.add((tweet_id, capture_id))
            found.setdefault(tweet_id, []).append({
                "at": iso_utc(at), "service": service_of(url), "url": url, "status": status,
                "outcome": None, "error": error, "capture_id": capture_id})
    for t in rows:  # the answer the state rests on, whatever its URL looks like
        if t.capture_id is not None and (t.id, t.capture_id) not in seen:
            capture = session.get(m.Capture, t.capture_id)
            if capture is not None:
                found.setdefault(t.id, []).append({
                    "at": iso_utc(capture.fetched_at), "service": service_of(capture.url),
                    "url": capture.url, "status": capture.status, "outcome": None,
                    "error": capture.error, "capture_id": capture.id})
    for chunk in _chunks(sorted(wanted)):
        checks = select(m.LinkCheck).where(m.LinkCheck.tweet_id.in_(chunk),
                                           m.LinkCheck.link_id.is_(None))
        for check in session.scalars(checks):
            assert check.tweet_id is not None
            found.setdefault(check.tweet_id, []).append({
                "at": iso_utc(check.checked_at), "service": "check", "url": check.final_url,
                "status": check.status, "outcome": check.outcome, "error": check.error,
                "capture_id": check.capture_id})
    for items in found.values():
        items.sort(key=lambda e: (e["at"], e["capture_id"] or 0))
    return found


def _media(session: Session, ids: list[str], blobs: BlobStore) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for chunk in _chunks(ids):
        stmt = select(m.Media).where(m.Media.tweet_id.in_(chunk)).order_by(m.Media.id)
        for item in session.scalars(stmt):
            found.setdefault(item.tweet_id, []).append({
                "kind": item.kind, "mime": item.mime, "sha256": item.sha256, "size": item.size,
                "width": item.width, "height": item.height, "url": item.url,
                "path": str(blobs.path(item.sha256).absolute()) if item.sha256 else None,
            })
    return found


def _citations(session: Session, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Citations of current article versions that cite each tweet."""
    found: dict[str, list[dict[str, Any]]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(m.Citation.tweet_id, m.Citation.id, m.Citation.article_id, m.Article.identity)
            .join(m.Article, m.Article.id == m.Citation.article_id)
            .where(m.Citation.version_id == m.Article.current_version_id,
                   m.Citation.tweet_id.in_(chunk))
            .order_by(m.Citation.article_id, m.Citation.ordinal)
        )
        for tweet_id, citation_id, article_id, identity in session.execute(stmt):
            if tweet_id is None:  # excluded by the query (in_ chunk); narrows the type
                continue
            found.setdefault(tweet_id, []).append(
                {"citation_id": citation_id, "article_id": article_id, "article": identity})
    return found


def _tweet_dict(t: m.Tweet, evidence: list[dict[str, Any]], media: list[dict[str, Any]],
                cites: list[dict[str, Any]],
                how: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": t.id,
        "status_url": f"https://twitter.com/{t.handle or 'i/web'}/status/{t.id}",
        "state": t.state,
        "handle": t.handle,
        "author_name": t.author_name,
        "user_id": t.user_id,
        "created_at": iso_utc(t.created_at) if t.created_at else None,
        "lang": t.lang,
        "text": t.text,
        "provider": t.provider,
        "detail": t.detail,
        "fetched_at": iso_utc(t.fetched_at) if t.fetched_at else None,
        "capture_id": t.capture_id,
        # why a tweet that is not available has its state: each live service's answer
        # and the Wayback capture that showed it existed (see `citations`' tweet_evidence)
        "verdict": t.evidence,
        "evidence": evidence,
        "last_checked_at": iso_utc(t.last_checked_at) if t.last_checked_at else None,
        "media": media,
        "citations": cites,
        "provenance": how,  # how the capture it rests on was obtained (store/provenance.py)
        # for the table only: the day it was posted, article#citation that cite it
        "date": iso_utc(t.created_at)[:10] if t.created_at else None,
        "cited_by": " ".join(f"{c['article_id']}#{c['citation_id']}" for c in cites),
    }
