"""The read side of evidence: which captures make up an article, and every file
the database vouches for (blobs, WARC files, time-stamp tokens).

Values leave as small frozen dataclasses, not ORM rows, so that the packaging
and fixity code above never touches a session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.queries import find_article, iso_utc

CHUNK = 1024 * 1024
_Id = TypeVar("_Id", int, str)  # row ids: captures' and articles' ints, tweets' strings


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def token_path(path: Path) -> Path:
    """Where a file's time-stamp token is kept: ``F.tsr`` beside ``F``."""
    return path.with_name(path.name + ".tsr")


def write_token_beside(path: Path, der: bytes) -> Path:
    """``F.tsr`` beside ``F``, written atomically."""
    target = token_path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_bytes(der)
    os.replace(tmp, target)
    return target


@dataclass(frozen=True)
class CaptureRef:
    id: int
    url: str
    fetched_at: str
    status: int | None
    content_type: str | None
    sha256: str | None
    size: int | None
    warc_file: str | None
    warc_offset: int | None
    provenance: dict[str, object] | None = None


@dataclass(frozen=True)
class Page:
    """One entry of a package's pages.jsonl: what a reader opens first."""

    url: str
    ts: str
    title: str
    kind: str  # article, tweet, media
    capture_id: int | None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    articles: tuple[int, ...]
    captures: tuple[CaptureRef, ...]
    pages: tuple[Page, ...]
    title: str | None
    main_url: str | None
    runs: dict[str, object] = field(default_factory=dict)  # WARC name -> run provenance


def _ref(c: m.Capture) -> CaptureRef:
    return CaptureRef(
        id=c.id, url=c.url, fetched_at=iso_utc(c.fetched_at), status=c.status,
        content_type=c.content_type, sha256=c.sha256, size=c.size, warc_file=c.warc_file,
        warc_offset=c.warc_offset, provenance=c.provenance,
    )


def choose_articles(session: Session, refs: Sequence[str], since: dt.date | None) -> list[int]:
    """Articles named by ``refs`` (all when none), published or first archived on or
    after ``since``."""
    stmt = select(m.Article).order_by(m.Article.id)
    if refs:
        stmt = stmt.where(m.Article.id.in_({find_article(session, r).id for r in refs}))
    return [a.id for a in session.scalars(stmt)
            if since is None or (a.published_at or a.first_archived_at.date()) >= since]


def _chunks(ids: Iterable[_Id], size: int = 500) -> Iterable[list[_Id]]:
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def select_material(session: Session, article_ids: Sequence[int]) -> Selection:
    """Every capture of the articles, their cited tweets, the tweets' media and
    their links (redirect hops and snapshots), with the pages to list."""
    capture_ids: set[int] = set()
    pages: list[Page] = []
    titles: list[str] = []
    main_url = None
    for part in _chunks(article_ids):
        articles = list(session.scalars(select(m.Article).where(m.Article.id.in_(part))
                                        .order_by(m.Article.id)))
        versions = list(session.scalars(select(m.ArticleVersion)
                                        .where(m.ArticleVersion.article_id.in_(part))
                                        .order_by(m.ArticleVersion.id)))
        by_article: dict[int, list[m.ArticleVersion]] = {}
        for v in versions:
            by_article.setdefault(v.article_id, []).append(v)
            if v.capture_id:
                capture_ids.add(v.capture_id)
        for a in articles:
            titles.append(a.title or a.url or a.source)
            for v in by_article.get(a.id, []):
                if v.capture_id is None:
                    continue
                cap = session.get(m.Capture, v.capture_id)
                if cap is None:
                    continue
                pages.append(Page(url=cap.url, ts=iso_utc(cap.fetched_at),
                                  title=a.title or a.url or a.source, kind="article",
                                  capture_id=cap.id,
                                  extra={"article_id": a.id, "version_id": v.id}))
                main_url = main_url or cap.url
        tweet_ids = {t for t in session.scalars(select(m.Citation.tweet_id).where(
            m.Citation.article_id.in_(part), m.Citation.tweet_id.is_not(None)))
            if t is not None}  # excluded by the query; narrows the column's type
        for tpart in _chunks(sorted(tweet_ids)):
            tweets = list(session.scalars(select(m.Tweet).where(m.Tweet.id.in_(tpart))
                                          .order_by(m.Tweet.id)))
            for t in tweets:
                if t.capture_id:
                    capture_ids.add(t.capture_id)
                when = t.fetched_at or t.created_at
                handle = t.handle or "i"
                text = " ".join((t.text or "").split())
                title = f"@{t.handle}: {text[:120]}" if t.handle else text[:120] or t.id
                pages.append(Page(url=f"https://twitter.com/{handle}/status/{t.id}",
                                  ts=iso_utc(when) if when else "", title=title, kind="tweet",
                                  capture_id=t.capture_id,
                                  extra={"tweet_id": t.id, "state": t.state,
                                         "provider": t.provider}))
            for media in session.scalars(select(m.Media).where(m.Media.tweet_id.in_(tpart))
                                         .order_by(m.Media.id)):
                cap = session.get(m.Capture, media.capture_id) if media.capture_id else None
                if cap is not None:
                    capture_ids.add(cap.id)
                pages.append(Page(url=media.url, ts=iso_utc(cap.fetched_at) if cap else "",
                                  title=f"{media.kind} of tweet {media.tweet_id}",
                                  kind="media", capture_id=cap.id if cap else None,
                                  extra={"tweet_id": media.tweet_id, "sha256": media.sha256}))
        link_ids = set(session.scalars(select(m.LinkOccurrence.link_id).where(
            m.LinkOccurrence.article_id.in_(part))))
        for lpart in _chunks(sorted(link_ids)):
            capture_ids.update(c for c in session.scalars(
                select(m.RedirectHop.capture_id).where(m.RedirectHop.link_id.in_(lpart),
                                                       m.RedirectHop.capture_id.is_not(None)))
                if c is not None)
            capture_ids.update(c for c in session.scalars(
                select(m.Link.snapshot_capture_id).where(
                    m.Link.id.in_(lpart), m.Link.snapshot_capture_id.is_not(None)))
                if c is not None)
    captures: list[CaptureRef] = []
    for cpart in _chunks(sorted(capture_ids)):
        captures.extend(_ref(c) for c in session.scalars(
            select(m.Capture).where(m.Capture.id.in_(cpart)).order_by(m.Capture.id)))
    title = titles[0] if len(titles) == 1 else f"{len(titles)} articles"
    how = {c.id: c.provenance for c in captures if c.provenance}
    pages = [Page(p.url, p.ts, p.title, p.kind, p.capture_id,
                  {**p.extra, "provenance": how.get(p.capture_id)} if p.capture_id in how
                  else p.extra) for p in pages]
    names = sorted({c.warc_file for c in captures if c.warc_file})
    runs: dict[str, object] = dict(session.execute(select(m.WarcFile.name, m.WarcFile.provenance)
                                .where(m.WarcFile.name.in_(names))).all()) \
        if names else {}
    return Selection(tuple(article_ids), tuple(captures), tuple(pages), title,
                     main_url if len(titles) == 1 else None, runs)


def captures_for_fixity(session: Session, article_ids: Sequence[int] | None) -> list[CaptureRef]:
    """The captures to re-hash: all, or those of some articles."""
    if article_ids is not None:
        return list(select_material(session, article_ids).captures)
    return [_ref(c) for c in session.scalars(
        select(m.Capture).where(or_(m.Capture.sha256.is_not(None),
                                    m.Capture.warc_file.is_not(None))).order_by(m.Capture.id))]


def media_blobs(session: Session, article_ids: Sequence[int] | None) -> list[tuple[str, str]]:
    """(sha256, what) of media blobs not reached through a capture row."""
    stmt = select(m.Media.sha256, m.Media.url).where(m.Media.sha256.is_not(None))
    if article_ids is not None:
        tweet_ids = select(m.Citation.tweet_id).where(m.Citation.article_id.in_(article_ids))
        stmt = stmt.where(m.Media.tweet_id.in_(tweet_ids))
    return [(sha, url) for sha, url in session.execute(stmt)
            if sha is not None]  # excluded by the query; narrows the column's type


def warc_files(session: Session) -> list[tuple[str, str]]:
    """(name, state) of every WARC the database knows."""
    return [(n, s) for n, s in session.execute(
        select(m.WarcFile.name, m.WarcFile.state).order_by(m.WarcFile.name))]


def referenced_blobs(session: Session) -> set[str]:
    """Every blob name the database refers to."""
    names: set[str] = set()
    for column in (m.Capture.sha256, m.Media.sha256, m.Link.snapshot_text_sha256):
        names.update(s for s in session.scalars(select(column).where(column.is_not(None)))
                     if s)
    return names


@dataclass(frozen=True)
class TokenRow:
    kind: str
    name: str
    sha256: str
    authority: str
    token: bytes
    gen_time: str | None


def add_tokens(session: Session, kind: str, name: str, sha256: str,
               tokens: Iterable[tuple[str, bytes, dt.datetime]]) -> None:
    for authority, der, gen_time in tokens:
        session.add(m.TimestampToken(kind=kind, name=name, sha256=sha256, authority=authority,
                                     token=der, gen_time=gen_time))


def unstamped_warcs(session: Session) -> list[str]:
    """Published WARCs that no token covers yet."""
    stamped = select(m.TimestampToken.name).where(m.TimestampToken.kind == "warc")
    return list(session.scalars(select(m.WarcFile.name).where(
        m.WarcFile.state == "published", m.WarcFile.name.not_in(stamped))
        .order_by(m.WarcFile.name)))


def tokens(session: Session, kind: str | None = None,
           names: Iterable[str] | None = None) -> list[TokenRow]:
    stmt = select(m.TimestampToken).order_by(m.TimestampToken.id)
    if kind is not None:
        stmt = stmt.where(m.TimestampToken.kind == kind)
    if names is not None:
        stmt = stmt.where(m.TimestampToken.name.in_(list(names)))
    return [TokenRow(t.kind, t.name, t.sha256, t.authority, t.token,
                     iso_utc(t.gen_time) if t.gen_time else None)
            for t in session.scalars(stmt)]
