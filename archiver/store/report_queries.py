"""The report's reads, in a fixed number of statements however large the archive.

Which articles a report covers is one subquery (``scope``); every other read
joins against it: the links of their current versions with each link's latest
check and the copy we kept, their citations with the cited tweet and its copy,
and the checks of all those links for the timeline. Four statements (five when
one article is named), never one per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple, cast

from sqlalchemy import Select, Subquery, and_, case, or_, select
from sqlalchemy.orm import Session

from archiver.store import models as m


class LinkRow(NamedTuple):
    article_id: int
    link: m.Link
    last_check: str | None  # outcome of the latest check
    copy: m.Capture | None  # what we kept of its target


class CitationRow(NamedTuple):
    article_id: int
    citation: m.Citation
    tweet: m.Tweet | None
    copy: m.Capture | None  # what we kept of the tweet


def _in_scope(article_id: int | None,
              since: dt.date | None) -> Select[int, int | None]:
    """Articles by id (and current version), filtered: one article, or those
    published (failing a date, first archived) on or after ``since``."""
    stmt = select(m.Article.id, m.Article.current_version_id)
    if article_id is not None:
        stmt = stmt.where(m.Article.id == article_id)
    if since is not None:
        midnight = dt.datetime.combine(since, dt.time(), dt.UTC)
        stmt = stmt.where(or_(m.Article.published_at >= since,
                              and_(m.Article.published_at.is_(None),
                                   m.Article.first_archived_at >= midnight)))
    return stmt


class Scope:
    """The articles one report covers."""

    def __init__(self, article_id: int | None = None, since: dt.date | None = None) -> None:
        self.select = _in_scope(article_id, since)
        self.sub: Subquery = self.select.subquery("scope")


def articles(session: Session, scope: Scope) -> list[m.Article]:
    ids = scope.select.with_only_columns(m.Article.id)
    return list(session.scalars(select(m.Article).where(m.Article.id.in_(ids))
                                .order_by(m.Article.id)))


def links(session: Session, scope: Scope) -> list[LinkRow]:
    """Every link occurrence of the articles' current versions, in order, with its
    link's latest check outcome and kept copy: the link's own snapshot, else (for
    an article's own URL) the article's capture, else its latest redirect hop's."""
    s = scope.sub
    last_check = (select(m.LinkCheck.outcome).where(m.LinkCheck.link_id == m.Link.id)
                  .order_by(m.LinkCheck.id.desc()).limit(1)
                  .correlate(m.Link).scalar_subquery())
    hop_copy = (select(m.RedirectHop.capture_id).where(m.RedirectHop.link_id == m.Link.id)
                .order_by(m.RedirectHop.resolved_at.desc(), m.RedirectHop.hop).limit(1)
                .correlate(m.Link).scalar_subquery())
    copy_id = case((m.Link.snapshot_capture_id.is_not(None), m.Link.snapshot_capture_id),
                   (m.Link.kind == "article", m.ArticleVersion.capture_id),
                   else_=hop_copy)
    stmt = (select(s.c.id, m.Link, last_check, m.Capture)
            .select_from(m.LinkOccurrence)
            .join(s, m.LinkOccurrence.version_id == s.c.current_version_id)
            .join(m.Link, m.Link.id == m.LinkOccurrence.link_id)
            .outerjoin(m.ArticleVersion, m.ArticleVersion.id == s.c.current_version_id)
            .outerjoin(m.Capture, m.Capture.id == copy_id)
            .order_by(s.c.id, m.LinkOccurrence.id))
    # select's overloads give up on these columns (rows typed Any): name the types
    rows = cast(Sequence[tuple[int, m.Link, str | None, m.Capture | None]],
                session.execute(stmt).all())
    return [LinkRow(*row) for row in rows]


def citations(session: Session, scope: Scope) -> list[CitationRow]:
    """Every citation of the articles' current versions, in order, with its tweet
    (if one is known) and the copy we kept of it."""
    s = scope.sub
    stmt = (select(s.c.id, m.Citation, m.Tweet, m.Capture)
            .select_from(m.Citation)
            .join(s, m.Citation.version_id == s.c.current_version_id)
            .outerjoin(m.Tweet, m.Tweet.id == m.Citation.tweet_id)
            .outerjoin(m.Capture, m.Capture.id == m.Tweet.capture_id)
            .order_by(s.c.id, m.Citation.ordinal))
    # select's overloads give up on these columns (rows typed Any): name the types
    rows = cast(Sequence[tuple[int, m.Citation, m.Tweet | None, m.Capture | None]],
                session.execute(stmt).all())
    return [CitationRow(*row) for row in rows]


def link_checks(session: Session, scope: Scope,
                skip_kinds: tuple[str, ...]) -> list[tuple[dt.datetime, str]]:
    """(checked_at, outcome) of every check of the articles' links, but those of
    ``skip_kinds``."""
    s = scope.sub
    link_ids = (select(m.LinkOccurrence.link_id)
                .join(s, m.LinkOccurrence.version_id == s.c.current_version_id)
                .join(m.Link, m.Link.id == m.LinkOccurrence.link_id)
                .where(m.Link.kind.not_in(skip_kinds)))
    stmt = select(m.LinkCheck.checked_at, m.LinkCheck.outcome).where(
        m.LinkCheck.link_id.in_(link_ids))
    return [(checked_at, outcome) for checked_at, outcome in session.execute(stmt)]
