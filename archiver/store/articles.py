"""Writes of an archive run: the article, its versions, their citations and link
occurrences, and the capture of a source read from a file. Idempotent: natural
keys (identity, content hash) are looked up before anything is inserted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.upsert import insert_ignoring


def existing_version(session: Session, identity: str, content_sha: str) -> int | None:
    """The id of the stored version of this article with this main text, if any."""
    return session.scalars(
        select(m.ArticleVersion.id)
        .join(m.Article, m.Article.id == m.ArticleVersion.article_id)
        .where(m.Article.identity == identity, m.ArticleVersion.content_sha256 == content_sha)
    ).first()


def article(session: Session, identity: str, *, now: dt.datetime, fmt: str,
            source: str) -> m.Article:
    """The article with this identity, inserted if new (safe against a run
    inserting it at the same moment)."""
    row = session.scalars(select(m.Article).where(m.Article.identity == identity)).first()
    if row is None:
        insert_ignoring(session, m.Article, ["identity"], identity=identity,
                        first_archived_at=now, format=fmt, source=source)
        row = session.scalars(select(m.Article).where(m.Article.identity == identity)).one()
    return row


def version(session: Session, article_id: int, content_sha: str) -> m.ArticleVersion | None:
    return session.scalars(select(m.ArticleVersion).where(
        m.ArticleVersion.article_id == article_id,
        m.ArticleVersion.content_sha256 == content_sha)).first()


def file_capture(session: Session, url: str, sha: str) -> m.Capture | None:
    """A capture of these bytes from this file, if one is stored: re-reading the
    same bytes from a file is not a new observation."""
    return session.scalars(
        select(m.Capture).where(m.Capture.url == url, m.Capture.sha256 == sha)).first()


def add_citations(session: Session, rows: list[m.Citation]) -> list[int]:
    """Insert citations (with their tags), in order; their ids."""
    ids = []
    for row in rows:
        session.add(row)
        session.flush()
        ids.append(row.id)
    return ids


_OCCURRENCE_COLUMNS = tuple(c.key for c in m.LinkOccurrence.__table__.columns if c.key != "id")


def add_occurrences(session: Session, rows: list[m.LinkOccurrence]) -> None:
    """Insert link occurrences (built, never added to a session) in one executemany:
    nothing refers to their ids, so they need no ORM flush (one object and one
    RETURNING per occurrence, most of a 10,000-link archive's write phase)."""
    if rows:
        session.execute(insert(m.LinkOccurrence),
                        [{key: getattr(row, key) for key in _OCCURRENCE_COLUMNS}
                         for row in rows])
