"""What `check` looks at: which links and tweets a run selects, and what each is
compared against (the archived text, the body we kept), read in a few queries
per batch rather than a few per link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, false, literal, or_, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.queries import on_domain


@dataclass(frozen=True)
class Batch:
    """A queued check job's share: links with ids in ``links`` (first, last), and
    the tweets named; nothing else."""

    links: tuple[int, int] | None = None
    tweets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    due: bool = True  # what is due; False: everything not yet checked by this run
    article_id: int | None = None
    domain: str | None = None
    limit: int | None = None
    batch: Batch | None = None  # a worker's job: only these (see archiver/jobs/)


@dataclass(frozen=True)
class Target:
    link_id: int | None
    tweet_id: str | None
    url: str
    kind: str
    archived_url: str
    archived_text: str | None  # the archived article's own text (kind "article")
    archived_text_sha: str | None  # blob of the main text kept by --with-links
    archived_body_sha: str | None  # blob of the response body we kept
    handle: str | None
    state: str
    streak: int
    failing_since: dt.datetime | None
    wayback_url: str | None
    article_date: dt.date | None


def among(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """``column IN values``, as one statement whatever the number of values on
    PostgreSQL (``= ANY(array)``). Each length of an IN list is a statement of its
    own, and psycopg keeps the text of up to 200 statements per connection (its
    prepared-statement bookkeeping): batches of every size made a few MiB of RSS
    that crept up with the links checked."""
    expr: ColumnElement[bool] = (
        column.in_(list(values)) if session.get_bind().dialect.name != "postgresql"
        else column == any_(literal(list(values), ARRAY(column.type))))
    return expr


def link_filter(selection: Selection, now: dt.datetime,
                started: dt.datetime) -> list[ColumnElement[bool]]:
    """Links the selection asks for, leased or not."""
    conditions: list[ColumnElement[bool]] = [m.Link.kind != "status"]
    if selection.due:
        conditions.append(or_(m.Link.next_check_at.is_(None), m.Link.next_check_at <= now))
    else:
        conditions.append(or_(m.Link.last_checked_at.is_(None), m.Link.last_checked_at < started))
    if selection.domain:
        conditions.append(on_domain(selection.domain))
    if selection.article_id is not None:
        conditions.append(m.Link.id.in_(select(m.LinkOccurrence.link_id).where(
            m.LinkOccurrence.article_id == selection.article_id)))
    if selection.batch is not None:
        span = selection.batch.links
        conditions.append(m.Link.id.between(*span) if span else false())
    return conditions


def tweet_filter(selection: Selection, now: dt.datetime,
                 started: dt.datetime) -> list[ColumnElement[bool]]:
    """Cited tweets the selection asks for, leased or not (none for --domain)."""
    cited = select(m.Citation.tweet_id).where(m.Citation.tweet_id.is_not(None))
    if selection.article_id is not None:
        cited = cited.where(m.Citation.article_id == selection.article_id)
    conditions: list[ColumnElement[bool]] = [m.Tweet.id.in_(cited)]
    if selection.due:
        conditions.append(or_(m.Tweet.next_check_at.is_(None), m.Tweet.next_check_at <= now))
    else:
        conditions.append(or_(m.Tweet.last_checked_at.is_(None),
                              m.Tweet.last_checked_at < started))
    if selection.batch is not None:
        conditions.append(m.Tweet.id.in_(selection.batch.tweets))
    return conditions


def tweet_targets(tweets: list[m.Tweet]) -> list[Target]:
    return [Target(None, tweet.id, f"https://twitter.com/i/web/status/{tweet.id}", "tweet",
                   "", None, None, None, tweet.handle,
                   tweet.state if tweet.last_checked_at else "unchecked",
                   tweet.check_streak or 0, tweet.failing_since, None, None)
            for tweet in tweets]


def link_targets(session: Session, links: list[m.Link]) -> list[Target]:
    """Targets for a batch of links, with what each is compared against, in three
    queries rather than three per link."""
    if not links:
        return []
    ids = [link.id for link in links]
    articles: dict[int, m.Article] = {}
    for link_id, article in session.execute(
            select(m.LinkOccurrence.link_id, m.Article)
            .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
            .where(among(session, m.LinkOccurrence.link_id, ids))):
        articles.setdefault(link_id, article)
    capture_ids = {link.snapshot_capture_id for link in links if link.snapshot_capture_id}
    for link in links:
        cited_in = articles.get(link.id)
        if link.kind == "article" and cited_in is not None and cited_in.current_version_id:
            version = session.get(m.ArticleVersion, cited_in.current_version_id)
            if version is not None and version.capture_id:
                capture_ids.add(version.capture_id)
    shas: dict[int | None, str | None] = {}
    if capture_ids:
        query = select(m.Capture.id, m.Capture.sha256).where(among(session, m.Capture.id, capture_ids))
        shas = {capture_id: sha for capture_id, sha in session.execute(query)}
    targets = []
    for link in links:
        where = articles.get(link.id)
        text, body_sha = None, shas.get(link.snapshot_capture_id)
        if link.kind == "article" and where is not None:
            text = where.text
            version = session.get(m.ArticleVersion, where.current_version_id)
            body_sha = shas.get(version.capture_id) if version else None
        archived = link.resolved_url if link.kind in ("tco", "pic") and link.resolved_url else (
            link.normalized)
        targets.append(Target(
            link.id, None, link.normalized, link.kind, archived, text,
            link.snapshot_text_sha256, body_sha, link.handle, link.state,
            link.check_streak or 0, link.failing_since, link.wayback_url,
            where.published_at if where else None))
    return targets
