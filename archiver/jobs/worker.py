"""One worker process: Procrastinate's worker plus what an archive needs around it.

- Stalled jobs: every worker beats (``worker_heartbeat``); a worker silent for
  ``worker_stalled_after`` seconds is dead (kill -9, a lost machine), and any
  live worker queues its running jobs again. A check job's link leases are then
  taken over at once by the next run (store/leases.py), and what it had recorded
  is not due any more, so nothing is checked twice and nothing is lost.
- Politeness across workers: every fetch holds one of its host's slots in
  PostgreSQL (store/politeness.py) as well as this process's own. A worker
  needs few connections: procrastinate's pool (concurrency + 3), six for the
  slots, and per running check job two (its lease owner and its writes).
- Stopping: SIGTERM or Ctrl-C stops fetching jobs; a running check hands its
  batch back at once (what it checked is kept, the rest freed and the job queued
  again), archive and resolve jobs finish (one article or citation each).
- ``until_idle``: exit when nothing is queued or running in our queues, retries
  waiting for later and jobs of dead workers included.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from archiver.config import Settings
from archiver.jobs import tasks
from archiver.jobs.app import build_app
from archiver.net import http
from archiver.store import jobs as job_store
from archiver.store.db import Database
from archiver.store.politeness import SharedHostSlots

IDLE_POLL = 0.5  # seconds between looks at the queue when --until-idle
SLOT_CONNECTIONS = 6  # pooled connections for the per-host slots, whatever the threads
GRACE = 60.0  # seconds a stopping worker waits for archive/resolve jobs to finish
log = logging.getLogger("archiver.worker")


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 2
    queues: Sequence[str] = ()
    until_idle: bool = False
    schedule: bool = False
    check_concurrency: int = 16


def run_worker(settings: Settings, db: Database, options: WorkerOptions) -> int:
    """Run until stopped (or idle); returns the exit status."""
    stop = threading.Event()
    app = build_app(settings, db, check_concurrency=options.check_concurrency,
                    stopping=stop.is_set, schedule=options.schedule,
                    pool_size=options.concurrency + 3)
    slots = SharedHostSlots(settings.effective_database_url, settings.per_host_concurrency,
                            settings.per_host_delay, longest_fetch=settings.total_timeout,
                            connections=SLOT_CONNECTIONS)
    http.share_host_slots(slots)
    try:
        return asyncio.run(_main(app, db, settings, options, stop))
    finally:
        http.share_host_slots(None)
        slots.close()


class _Worker(Protocol):
    """What we call of procrastinate's Worker (its methods carry no annotations)."""

    def stop(self) -> None: ...

    async def run(self) -> None: ...


async def _main(app: Any, db: Database, settings: Settings, options: WorkerOptions,
                stop: threading.Event) -> int:
    from procrastinate import worker as procrastinate_worker

    queues = list(options.queues) or None
    async with app.open_async():
        worker: _Worker = procrastinate_worker.Worker(
            app, queues=queues, concurrency=options.concurrency, wait=True,
            shutdown_graceful_timeout=GRACE, install_signal_handlers=False,
            update_heartbeat_interval=settings.worker_heartbeat,
            stalled_worker_timeout=settings.worker_stalled_after,
            delete_jobs="never", name="archiver")
        loop = asyncio.get_running_loop()
        signalled: list[int] = []

        def on_signal(signum: int) -> None:
            signalled.append(signum)
            stop.set()
            worker.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second one: the default
                loop.remove_signal_handler(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        running = asyncio.create_task(worker.run(), name="worker")
        helpers = [asyncio.create_task(_requeue_stalled(app, db, settings, queues), name="stalled")]
        if options.until_idle:
            helpers.append(asyncio.create_task(_stop_when_idle(db, queues, worker), name="idle"))
        try:
            await running
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        if signalled:
            return 143 if signalled[0] == signal.SIGTERM else 130
    return 0


async def _requeue_stalled(app: Any, db: Database, settings: Settings,
                           queues: list[str] | None) -> None:
    """Queue again the running jobs of workers that stopped beating (killed)."""
    from procrastinate import jobs as procrastinate_jobs

    every = max(min(settings.worker_heartbeat, settings.worker_stalled_after / 2), 0.2)
    manager = app.job_manager
    while True:
        await asyncio.sleep(every)
        try:
            stalled = await manager.get_stalled_jobs(
                seconds_since_heartbeat=settings.worker_stalled_after)
        except Exception:  # a busy database: look again next time
            log.warning("could not look for stalled jobs", exc_info=True)
            continue
        for job in stalled:
            if queues and job.queue_name not in queues:
                continue
            try:
                await manager.retry_job(job)
                log.warning("queued again job %s of a worker that stopped beating", job.id)
            except Exception as exc:  # noqa: BLE001 - another worker was quicker, or ...
                if not job_store.is_unique_violation(exc):
                    continue  # ... it is still stalled next time: look again then
                # ... the same work was queued meanwhile (its queueing lock is taken):
                # that job does it, this one ends, saying why.
                await manager.finish_job_by_id_async(
                    job.id, procrastinate_jobs.Status.FAILED, delete_job=False)
                assert job.id is not None
                await asyncio.to_thread(job_store.record_failure, db, job.id,
                                        "its worker died; the same work was queued again "
                                        "meanwhile and that job does it", job.attempts + 1)


async def _stop_when_idle(db: Database, queues: list[str] | None, worker: Any) -> None:
    """Stop once our queues had nothing queued or running twice in a row."""
    quiet = 0
    while True:
        await asyncio.sleep(IDLE_POLL)
        left = await asyncio.to_thread(job_store.unfinished, db, queues)
        quiet = quiet + 1 if left == 0 else 0
        if quiet >= 2:
            worker.stop()
            return


__all__ = ["WorkerOptions", "run_worker", "tasks"]
