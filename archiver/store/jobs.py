"""The job queue's SQL (PostgreSQL only): what `archiver jobs` shows, why a job
failed, what a queued `check` or `resolve` is split into, and whether a queue is idle.

The queue itself is Procrastinate's (its tables ``procrastinate_*``, made by the
migration 0010_job_queue); archiver/jobs/ defers and runs the jobs through
Procrastinate's own API and reads them here, by plain SQL, for reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from archiver.errors import DatabaseError
from archiver.store import models as m
from archiver.store.db import Database
from archiver.store.targets import Selection, link_filter, tweet_filter

QUEUE_TABLE_PREFIXES = ("procrastinate_", "archiver_job_", "archiver_host_")

# Procrastinate's job statuses as a person names them.
STATES = {"todo": "queued", "doing": "running", "succeeded": "done", "failed": "failed",
          "cancelled": "cancelled", "aborting": "running", "aborted": "aborted"}
STATE_NAMES = ("queued", "running", "failed", "done", "cancelled", "aborted")
JOB_FIELDS = ("id", "queue", "task", "state", "attempts", "target", "reason", "updated_at")
COUNT_FIELDS = ("queue", "queued", "running", "failed", "done", "cancelled", "aborted")


# Failures of the database worth another try (a lost connection, a busy server).
DATABASE_FAILURES: tuple[type[Exception], ...] = (DatabaseError, OperationalError)


def is_postgres(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except Exception:  # noqa: BLE001 - a bad URL is the database layer's to report
        return False


def conninfo(url: str) -> str:
    """The libpq URL of a SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``),
    options (e.g. a search_path) included."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a unique index saying no."""
    from psycopg import errors as pg_errors  # the postgres extra: only workers get here

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, pg_errors.UniqueViolation):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def is_queue_table(name: str) -> bool:
    """A table of the job queue rather than of the archive's models."""
    return name.startswith(QUEUE_TABLE_PREFIXES)


def record_failure(db: Database, job_id: int, reason: str, attempt: int) -> None:
    """Keep why a job's attempt failed (the last attempt's reason wins)."""
    with db.transaction() as session:
        session.execute(text(
            "INSERT INTO archiver_job_failure (job_id, reason, attempt, at) "
            "VALUES (:job, :reason, :attempt, now()) ON CONFLICT (job_id) DO UPDATE "
            "SET reason = excluded.reason, attempt = excluded.attempt, at = excluded.at"),
            {"job": job_id, "reason": reason[:2000], "attempt": attempt})


def _target(task: str, args: dict[str, Any]) -> str:
    if "source" in args:
        return str(args["source"])
    if "citation_id" in args:
        return f"citation {args['citation_id']}"
    if "first" in args:
        tweets = len(args.get("tweets") or ())
        return (f"links {args['first']}..{args['last']}" if args["first"] is not None
                else f"{tweets} tweet(s)")
    return task


def jobs(db: Database, *, state: str | None = None, queue: str | None = None,
         limit: int = 1000) -> list[dict[str, Any]]:
    """The newest jobs first, with the reason of a failure."""
    statuses = [k for k, v in STATES.items() if v == state] if state else list(STATES)
    sql = text(
        "SELECT j.id, j.queue_name, j.task_name, j.status::text AS status, j.attempts, j.args,"
        "       f.reason, (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id)"
        "       AS updated_at "
        "FROM procrastinate_jobs j LEFT JOIN archiver_job_failure f ON f.job_id = j.id "
        "WHERE j.status::text = ANY(:statuses) AND (CAST(:queue AS text) IS NULL OR j.queue_name = :queue) "
        "ORDER BY j.id DESC LIMIT :limit")
    with db.reader() as session:
        rows = session.execute(sql, {"statuses": statuses, "queue": queue, "limit": limit})
        out = []
        for row in rows:
            status = STATES.get(row.status, row.status)
            out.append({
                "id": row.id, "queue": row.queue_name, "task": row.task_name, "state": status,
                "attempts": row.attempts, "target": _target(row.task_name, row.args or {}),
                # a job retried after a failure shows why until it is done
                "reason": row.reason if status != "done" else None,
                "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            })
    return out


def counts(db: Database) -> list[dict[str, Any]]:
    """Jobs per queue and state: what a monitor graphs."""
    sql = text("SELECT queue_name, status::text AS status, count(*) AS n "
               "FROM procrastinate_jobs GROUP BY queue_name, status ORDER BY queue_name")
    per: dict[str, dict[str, Any]] = {}
    with db.reader() as session:
        for row in session.execute(sql):
            entry = per.setdefault(row.queue_name, {"queue": row.queue_name,
                                                    **dict.fromkeys(STATE_NAMES, 0)})
            entry[STATES.get(row.status, row.status)] += row.n
    return list(per.values())


def unfinished(db: Database, queues: Sequence[str] | None) -> int:
    """Jobs queued (now or for a later retry) or running (alive or stalled)."""
    sql = text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
               "AND (CAST(:queues AS text[]) IS NULL OR queue_name = ANY(:queues))")
    with db.reader() as session:
        return int(session.scalar(sql, {"queues": list(queues) if queues else None}) or 0)


# -- what a queued run is split into ---------------------------------------------------
@dataclass(frozen=True)
class DueWork:
    link_spans: list[tuple[int, int]]  # id ranges of width ``span`` that hold due links
    tweet_ids: list[str]


def due_work(db: Database, selection: Selection, span: int) -> DueWork:
    """The due links as fixed id ranges (the same range is the same job, so queueing
    twice is seen as a duplicate) and the due cited tweets."""
    now = dt.datetime.now(dt.UTC)
    with db.reader() as session:
        buckets = sorted(set(session.scalars(
            select((m.Link.id // span).label("bucket")).where(*link_filter(selection, now, now))
            .distinct())))
        tweets: list[str] = []
        if selection.domain is None:
            tweets = sorted(session.scalars(
                select(m.Tweet.id).where(*tweet_filter(selection, now, now))))
    spans = [(int(b) * span, int(b) * span + span - 1) for b in buckets]
    return DueWork(spans, tweets)


def citations_to_resolve(db: Database, article_ids: list[int] | None,
                         states: Sequence[str]) -> list[int]:
    """Ids of the current versions' citations in ``states``, in article order."""
    stmt = (select(m.Citation.id)
            .join(m.Article, m.Article.id == m.Citation.article_id)
            .where(m.Citation.version_id == m.Article.current_version_id,
                   m.Citation.resolve_state.in_(states))
            .order_by(m.Citation.article_id, m.Citation.ordinal))
    if article_ids is not None:
        stmt = stmt.where(m.Citation.article_id.in_(article_ids))
    with db.reader() as session:
        return list(session.scalars(stmt))


def citation_article(db: Database, citation_id: int) -> int | None:
    with db.reader() as session:
        return session.scalar(select(m.Citation.article_id).where(m.Citation.id == citation_id))
