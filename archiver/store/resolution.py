"""Reads and writes of ``resolve``: which citations are pending, the rows its
write phase updates (citations, tweets, media)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.store import models as m


def pending_citations(session: Session, states: list[str],
                      article_ids: list[int] | None) -> list[m.Citation]:
    """Citations of current versions in these resolve states, in article order."""
    stmt = (
        select(m.Citation)
        .join(m.Article, m.Article.id == m.Citation.article_id)
        .where(m.Citation.version_id == m.Article.current_version_id,
               m.Citation.resolve_state.in_(states))
        .order_by(m.Citation.article_id, m.Citation.ordinal)
    )
    if article_ids is not None:
        stmt = stmt.where(m.Citation.article_id.in_(article_ids))
    return list(session.scalars(stmt))


def pending_in_version(session: Session, version_id: int) -> list[m.Citation]:
    return list(session.scalars(
        select(m.Citation)
        .where(m.Citation.version_id == version_id, m.Citation.resolve_state == "pending")
        .order_by(m.Citation.ordinal)))


def citation(session: Session, citation_id: int) -> m.Citation | None:
    return session.get(m.Citation, citation_id)


def citation_at(session: Session, version_id: int, ordinal: int) -> m.Citation | None:
    return session.scalars(select(m.Citation).where(
        m.Citation.version_id == version_id, m.Citation.ordinal == ordinal)).first()


def tweet(session: Session, tweet_id: str) -> m.Tweet | None:
    return session.get(m.Tweet, tweet_id)


def tweet_to_write(session: Session, tweet_id: str) -> m.Tweet:
    """The stored tweet, or a new row for it added to the session."""
    row = session.get(m.Tweet, tweet_id)
    if row is None:
        row = m.Tweet(id=tweet_id)
        session.add(row)
    return row


def media(session: Session, tweet_id: str, url: str) -> m.Media | None:
    return session.scalars(select(m.Media).where(
        m.Media.tweet_id == tweet_id, m.Media.url == url)).first()


def media_to_write(session: Session, tweet_id: str, url: str, kind: str) -> m.Media:
    """The stored media row, or a new one added to the session."""
    row = media(session, tweet_id, url)
    if row is None:
        row = m.Media(tweet_id=tweet_id, url=url, kind=kind)
        session.add(row)
    return row
