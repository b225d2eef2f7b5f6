"""The Procrastinate app: jobs in PostgreSQL, on the archive's own database.

Why Procrastinate: the queue lives in the database the archive already needs
(no broker to run: Celery wants Redis or RabbitMQ, Dramatiq too, RQ Redis), jobs
are fetched with ``FOR UPDATE SKIP LOCKED`` and wake workers by LISTEN/NOTIFY,
and it brings what an operator needs out of the box: retry strategies,
queueing locks (a job for the same URL is never queued twice at once), periodic
tasks deduplicated across workers, worker heartbeats with stalled-job lookup,
and graceful shutdown. Its schema is applied by our own migrations (0010_job_queue).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from archiver.config import Settings
from archiver.errors import DatabaseError
from archiver.jobs import tasks
from archiver.store import jobs as job_store
from archiver.store.db import Database

NEEDS_POSTGRES = ("needs PostgreSQL, where the job queue lives (--db postgresql+psycopg://...); "
                  "on SQLite every command runs in-process: run it without --queue")

log = logging.getLogger("archiver.worker")


class QueueUnavailable(DatabaseError):
    """The job queue cannot be used with this database."""


def require_postgres(settings: Settings, what: str) -> None:
    if not job_store.is_postgres(settings.effective_database_url):
        raise QueueUnavailable(f"{what} {NEEDS_POSTGRES}")


def _retry_strategy(settings: Settings) -> Any:
    from procrastinate import BaseRetryStrategy, RetryDecision

    @dataclasses.dataclass
    class Backoff(BaseRetryStrategy):
        """Released jobs go back at once (and do not count as failures); network
        and database failures wait ``job_retry_wait`` seconds, doubling, for at
        most ``job_attempts`` attempts; anything else fails at once, with its reason."""

        attempts: int
        wait: float

        def get_retry_decision(self, *, exception: BaseException,
                               job: Any) -> RetryDecision | None:
            if isinstance(exception, tasks.Released):
                return RetryDecision(retry_in={"seconds": 0})
            if not isinstance(exception, tasks.RETRYABLE) or job.attempts + 1 >= self.attempts:
                return None
            return RetryDecision(retry_in={"seconds": self.wait * 2 ** job.attempts})

    return Backoff(max(settings.job_attempts, 1), max(settings.job_retry_wait, 0.0))


def build_app(settings: Settings, db: Database, *, check_concurrency: int = 16,
              stopping: Callable[[], bool] = lambda: False, schedule: bool = False,
              pool_size: int = 4) -> Any:
    """The app with our tasks; ``stopping`` tells a running check to hand its batch back."""
    import procrastinate

    require_postgres(settings, "the job queue")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=job_store.conninfo(settings.effective_database_url), min_size=1,
        max_size=max(pool_size, 2)))
    retry = _retry_strategy(settings)

    def recorded(run: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def task(context: Any, **kwargs: Any) -> dict[str, Any]:
            try:
                return run(**kwargs)
            except BaseException as exc:
                if not isinstance(exc, tasks.Released):
                    job = context.job
                    try:
                        job_store.record_failure(db, job.id, tasks.failure_reason(exc),
                                                 job.attempts + 1)
                    except Exception:  # noqa: BLE001 - the job's own failure matters more
                        log.warning("job %s: its failure could not be recorded", job.id)
                raise
        task.__name__ = run.__name__
        return task

    @recorded
    def archive_article(source: str, offline: bool = False,
                        with_links: bool | None = None) -> dict[str, Any]:
        return tasks.archive_article(settings, db, source, offline, with_links)

    @recorded
    def resolve_citation(citation_id: int, refetch: bool = False) -> dict[str, Any]:
        return tasks.resolve_citation(settings, db, citation_id, refetch)

    @recorded
    def check_batch(first: int | None, last: int | None, tweets: list[str] | None = None,
                    article_id: int | None = None, domain: str | None = None,
                    ) -> dict[str, Any]:
        return tasks.check_batch(settings, db, first, last, list(tweets or ()), article_id,
                                 domain, check_concurrency, stopping)

    app.task(name=tasks.ARCHIVE, queue="archive", pass_context=True, retry=retry)(
        archive_article)
    app.task(name=tasks.RESOLVE, queue="resolve", pass_context=True, retry=retry)(
        resolve_citation)
    app.task(name=tasks.CHECK, queue="check", pass_context=True, retry=retry)(check_batch)

    def enqueue_due_checks(timestamp: int = 0) -> dict[str, Any]:
        outcome = enqueue_checks(app, db, _due_selection())
        return {"queued": outcome.queued, "already_queued": outcome.already}

    # Registered always (an operator may defer it by hand); periodic with --schedule:
    # every hour on the hour, deferred once per tick however many workers schedule.
    scheduled = app.task(name=tasks.SCHEDULE, queue="check")(enqueue_due_checks)
    if schedule:
        app.periodic(cron="0 * * * *", periodic_id="check-due")(scheduled)
    return app


def _due_selection() -> Any:
    from archiver.store.targets import Selection

    return Selection(due=True)


# -- enqueueing -------------------------------------------------------------------------
@dataclasses.dataclass
class Enqueued:
    queued: int = 0
    already: int = 0  # the same work was queued already and not started yet


def _defer(app: Any, task: str, lock: str, outcome: Enqueued, **kwargs: Any) -> None:
    from procrastinate import exceptions

    try:
        app.configure_task(task, queueing_lock=lock, lock=lock).defer(**kwargs)
        outcome.queued += 1
    except exceptions.AlreadyEnqueued:
        outcome.already += 1


def enqueue_archives(app: Any, sources: Iterable[str], *, offline: bool,
                     with_links: bool | None) -> Enqueued:
    outcome = Enqueued()
    for source in sources:
        _defer(app, tasks.ARCHIVE, f"archive:{source}", outcome, source=source,
               offline=offline, with_links=with_links)
    return outcome


def enqueue_resolves(app: Any, citation_ids: Iterable[int], *, refetch: bool) -> Enqueued:
    outcome = Enqueued()
    for citation_id in citation_ids:
        _defer(app, tasks.RESOLVE, f"resolve:{citation_id}", outcome,
               citation_id=citation_id, refetch=refetch)
    return outcome


def enqueue_checks(app: Any, db: Database, selection: Any) -> Enqueued:
    """One job per id range of due links, and per few due tweets: the same range
    queued twice while waiting is one job (its queueing lock names the range)."""
    due = job_store.due_work(db, selection, tasks.CHECK_SPAN)
    outcome = Enqueued()
    scope = {"article_id": selection.article_id, "domain": selection.domain}
    for first, last in due.link_spans:
        _defer(app, tasks.CHECK, f"check:links:{first}-{last}", outcome, first=first,
               last=last, tweets=[], **scope)
    step = tasks.TWEETS_PER_JOB
    for start in range(0, len(due.tweet_ids), step):
        part = due.tweet_ids[start:start + step]
        _defer(app, tasks.CHECK, f"check:tweets:{part[0]}-{part[-1]}", outcome, first=None,
               last=None, tweets=part, **scope)
    return outcome
