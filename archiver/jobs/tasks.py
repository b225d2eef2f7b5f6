"""The tasks a worker runs: thin wrappers that call the services, never their own
SQL or HTTP. Each is one unit of work an operator can see and retry:

- ``archive_article``: one source URL, archived as ``archiver archive URL`` does;
- ``resolve_citation``: one stored citation, resolved as ``archiver resolve`` does;
- ``check_batch``: the due links of one id range (and some cited tweets), checked
  as ``archiver check --due`` does, under the same leases;
- ``enqueue_due_checks``: the hourly schedule (``archiver worker --schedule``).

Every task builds on the two-phase runs (network first, one short write), so a job
killed at any moment leaves nothing half-written, and running it again is safe:
an article is stored once (upserts), a citation resolved once, and a link checked
once per round (its lease, then its next due time, keep a second check out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archiver.config import Settings
from archiver.errors import DatabaseError
from archiver.net import errors as net_errors
from archiver.store import jobs as job_store
from archiver.store.db import Database

ARCHIVE, RESOLVE, CHECK, SCHEDULE = ("archiver.archive_article", "archiver.resolve_citation",
                                     "archiver.check_batch", "archiver.enqueue_due_checks")
QUEUES = ("archive", "resolve", "check")
CHECK_SPAN = 500  # link ids per check job: enough work to outweigh its start (host probes)
TWEETS_PER_JOB = 50
TRANSIENT_FETCH = (net_errors.Timeout, net_errors.ConnectFailed, net_errors.DNSFailure)


class Transient(Exception):
    """A failure worth another try later: the network, a busy database."""


class Permanent(Exception):
    """A failure no retry mends (a 404 source, a page that is no article)."""


class Released(Exception):
    """The worker is stopping: the job is handed back to the queue, not failed."""


def _source_failure(exc: Exception) -> Exception:
    """Whether a source that could not be read may be read later."""
    cause = exc.__context__
    message = str(exc)
    if isinstance(cause, TRANSIENT_FETCH) or message.rsplit(" ", 1)[-1] in (
            "429", "500", "502", "503", "504"):
        return Transient(message)
    return Permanent(message)


def archive_article(settings: Settings, db: Database, source: str, offline: bool,
                    with_links: bool | None) -> dict[str, Any]:
    from archiver.errors import SourceError
    from archiver.services import runs
    from archiver.services.sources import detect_source, read_source

    try:
        read = read_source(source, settings)
        documents = [(read, detect_source(read))]
    except SourceError as exc:
        raise _source_failure(exc) from None
    links = settings.with_links if with_links is None else with_links
    result = runs.archive(settings, db, documents, resolve=not offline,
                          with_links=links and not offline)
    summary = result.summaries[0]
    return {"article_id": summary.article_id, "citations": summary.citations,
            "new_version": summary.new_version}


def resolve_citation(settings: Settings, db: Database, citation_id: int,
                     refetch: bool) -> dict[str, Any]:
    from archiver.services import runs

    article = job_store.citation_article(db, citation_id)
    if article is None:
        raise Permanent(f"citation {citation_id}: no such citation (deleted since queued)")
    result = runs.resolve(settings, db, article_ids=[article], retry_failed=True,
                          refetch=refetch, citation_ids=[citation_id])
    stats = result.stats
    assert stats is not None
    if stats.failed:  # stored as failed; no service answered: ask again later
        why = "; ".join(dict.fromkeys(stats.messages)) or "no tweet service answered"
        raise Transient(f"citation {citation_id}: {why}")
    return {"citations": stats.citations, "resolved": stats.resolved}


def check_batch(settings: Settings, db: Database, first: int | None, last: int | None,
                tweets: list[str], article_id: int | None, domain: str | None,
                concurrency: int, stopping: Callable[[], bool]) -> dict[str, Any]:
    from archiver.services import check as check_service
    from archiver.store.targets import Batch

    batch = Batch(links=(first, last) if first is not None and last is not None else None,
                  tweets=tuple(tweets))
    selection = check_service.Selection(due=True, article_id=article_id, domain=domain,
                                        batch=batch)

    def progress(_outcome: str) -> None:
        # The check service keeps what is done and frees the rest on any exception.
        if stopping():
            raise Released("the worker is stopping")

    stats = check_service.run(settings, db, selection, concurrency=concurrency,
                              progress=progress)
    if stopping():
        raise Released("the worker is stopping")
    return {"checked": stats.checked, "outcomes": dict(stats.outcomes),
            "dropped": stats.dropped}


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, (Transient, Permanent, Released, DatabaseError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


RETRYABLE: tuple[type[Exception], ...] = (Transient, *job_store.DATABASE_FAILURES, net_errors.FetchError)
