"""Re-check stored links and cited tweets for rot; append one link_check per check.

A run registers as a lease owner, claims batches of due targets with leases
(store/leases.py: a conditional UPDATE only one run can win), checks them as
coroutines on one event loop (net/aio.py; ``concurrency`` at once) while a
heartbeat thread renews the leases of everything in flight, and records results
in short transactions on a database thread, each only where the row is still
leased to this run. Ctrl-C and SIGTERM record what is done and free the rest; the
leases of a killed run are taken over by the next run as soon as it is seen to
be dead (store/leases.py says how), and the run says what other runs hold.

HTTP targets are asked with HEAD where that can be trusted (no body needed, the
host answers real 404s), GET otherwise or when HEAD is refused or says 4xx/5xx
(HEAD often lies). Tweets and status links are judged by the tweet services,
never by x.com's status page (see verdicts.py for what answers mean).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import math
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from archiver import crashpoints
from archiver.config import Settings
from archiver.detect.links import parse_status_url
from archiver.errors import WaybackError
from archiver.net import errors
from archiver.net.aio import AsyncClient
from archiver.net.http import Fetch, HttpClient
from archiver.providers import wayback
from archiver.rules import verdicts
from archiver.services.textpool import START_FROM, TextPool
from archiver.services.tweets import TweetFetcher
from archiver.store import leases
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.targets import Selection, Target

__all__ = ["CheckStats", "Checker", "Result", "Selection", "Target", "lease_time", "run"]

MAX_BATCH = 1000
MAX_MESSAGES = 1000  # failures kept to show (the CLI shows 10): memory flat in the links
RECORD_EVERY = 64  # results recorded per transaction: what a kill can lose at most
HEARTBEAT_EVERY = 10.0  # seconds between lease renewals (less for a short lease)
FETCHES_PER_TARGET = 4  # at most: the host's probe, HEAD, GET, a Wayback lookup
ERROR_OUTCOMES = {
    errors.Timeout: "timeout", errors.DNSFailure: "dns_error", errors.TLSFailure: "tls_error",
    errors.ConnectFailed: "connection_error", errors.BlockedAddress: "connection_error",
    errors.TooManyRedirects: "server_error", errors.RedirectLoop: "server_error",
    errors.InvalidURL: "not_found",
}


@dataclass(frozen=True)
class Result:
    target: Target
    outcome: str
    checked_at: dt.datetime
    status: int | None = None
    final_url: str | None = None
    similarity: float | None = None
    latency_ms: int | None = None
    error: str | None = None
    schedule: verdicts.Schedule | None = None
    wayback_url: str | None = None


@dataclass(frozen=True)
class WaybackLookup:
    """The answer to "is there a capture?": its URL, or None with ``error`` saying
    why when the lookup failed rather than found nothing."""

    url: str | None
    error: str | None


@dataclass
class CheckStats:
    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)  # the first MAX_MESSAGES failures
    dropped: int = 0  # results not written: another run took the lease over
    reclaimed: int = 0  # leases of dead runs taken over
    leased_by_others: int = 0  # selected targets left to other runs holding them
    notices: list[str] = field(default_factory=list)  # about the run: leases, others


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Checker:
    """Checks one target at a time, many at once on one event loop.

    HTTP targets go through the asyncio client; tweets (a few provider calls,
    rare in a check) and nothing else go through the thread client in
    ``threads``. Main texts are read only when the body is not one we already
    know: the bytes we archived (their text is kept) or the host's not-found
    page (its text is the probe's)."""

    def __init__(self, settings: Settings, client: AsyncClient, sync_client: HttpClient,
                 blobs: BlobStore, texts: TextPool | None = None,
                 threads: ThreadPoolExecutor | None = None) -> None:
        self.settings = settings
        self.client = client
        self.sync_client = sync_client
        self.blobs = blobs
        self.texts = texts or TextPool(processes=1)
        self.threads = threads
        self.pages_read = 0
        self._probes: dict[str, tuple[verdicts.Probe, str | None]] = {}
        self._probe_locks: dict[str, asyncio.Lock] = {}

    # -- one target ----------------------------------------------------------
    async def check(self, target: Target) -> Result:
        started = time.monotonic()
        if target.tweet_id is not None:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.threads, self._check_tweet, target)
        else:
            result = await self._check_http(target)
        now = dt.datetime.now(dt.UTC)
        plan = verdicts.schedule(
            result.outcome, now=now, previous_state=target.state, streak=target.streak,
            failing_since=_aware(target.failing_since),
            dead_after_failures=self.settings.dead_after_failures,
            dead_after_days=self.settings.dead_after_days)
        found, error = target.wayback_url, result.error
        if plan.state == "dead" and not found and target.tweet_id is None:
            lookup = await self._wayback(target)
            found = lookup.url
            if lookup.error:  # kept on the check, beside the check's own error
                error = f"{error}; {lookup.error}" if error else lookup.error
        return replace(result, schedule=plan, wayback_url=found, error=error, checked_at=now,
                       latency_ms=int((time.monotonic() - started) * 1000))

    def _check_tweet(self, target: Target) -> Result:
        assert target.tweet_id is not None
        fetcher = TweetFetcher(self.settings, self.sync_client, None)
        answer = fetcher.tweet(target.tweet_id, target.handle, archived=False)
        state = answer.tweet.state
        now = dt.datetime.now(dt.UTC)
        if state in verdicts.TWEET_OUTCOMES:
            return Result(target, verdicts.TWEET_OUTCOMES[state], now,
                          error=answer.tweet.detail if state != "available" else None)
        cause = fetcher.failures[-1] if fetcher.failures else "server_error"
        outcome = cause if cause in verdicts.FAILING else "server_error"
        return Result(target, outcome, now, error="; ".join(fetcher.messages[-3:]) or None)

    async def _text(self, fetch: Fetch) -> str | None:
        """The page's main text, read in the text pool (or a thread) off the loop."""
        self.pages_read += 1
        if self.pages_read >= START_FROM:
            self.texts.start()  # pages enough to be worth other cores
        return await self.texts.page_text_async(fetch.body, fetch.content_type,
                                                fetch.final_url, self.threads)

    async def _probe(self, url: str) -> tuple[verdicts.Probe, str | None]:
        """How the host answers a path that cannot exist, and the sha256 of that
        body (when 2xx): one probe per host and run, the host's other links wait."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        known = self._probes.get(key)
        if known is not None:
            return known
        lock = self._probe_locks.setdefault(key, asyncio.Lock())
        async with lock:
            known = self._probes.get(key)
            if known is not None:
                return known
            missing = f"{key}/{uuid.uuid4().hex}-archiver-probe"
            try:
                fetch = await self.client.get(missing)
                ok = fetch.status < 300
                probe = verdicts.Probe(fetch.status, fetch.final_url,
                                       await self._text(fetch) if ok else None,
                                       redirected=bool(fetch.hops))
                sha = hashlib.sha256(fetch.body).hexdigest() if ok else None
            except errors.FetchError:
                probe, sha = verdicts.Probe(None, None, None), None
            self._probes[key] = (probe, sha)
        return probe, sha

    async def _check_http(self, target: Target) -> Result:
        now = dt.datetime.now(dt.UTC)
        follow = (lambda u: parse_status_url(u) is None) if target.kind == "pic" else None
        tweety = target.kind in ("tco", "pic", "media")
        probe, probe_sha = (None, None) if tweety else await self._probe(target.url)
        soft_host = probe is not None and probe.status is not None and probe.status < 300
        compare = target.archived_text is not None or target.archived_text_sha is not None
        need_body = compare or soft_host
        try:
            fetch: Fetch | None = None
            if not need_body:
                fetch = await self.client.head(target.url, follow=follow)
                if fetch.status >= 400:  # refused, or lying: ask properly
                    fetch = None
            if fetch is None:
                fetch = await self.client.get(target.url, follow=follow)
        except errors.FetchError as exc:
            outcome = ERROR_OUTCOMES.get(type(exc), "connection_error")
            return Result(target, outcome, now, error=str(exc))
        final = fetch.stopped_at or fetch.final_url
        status = 200 if fetch.stopped_at else fetch.status
        sha = (hashlib.sha256(fetch.body).hexdigest()
               if need_body and fetch.final.method == "GET" else None)
        unchanged = sha is not None and sha == target.archived_body_sha
        if unchanged and not soft_host and status == 200 and not fetch.hops:
            # the very bytes we kept, where we kept them: no need to read the page
            return Result(target, "ok", now, status=status, final_url=final, similarity=1.0)
        archived = self._archived_text(target) if compare else None
        text: str | None = None
        if sha is not None:
            if unchanged and archived is not None:
                text = archived  # the bytes we kept: their text is the one we kept
            elif sha == probe_sha and probe is not None:
                text = probe.text  # the host's not-found page, byte for byte
            else:
                text = await self._text(fetch)
        outcome, score = verdicts.classify_http(
            url=target.url, archived_url=target.archived_url, status=status, final_url=final,
            text=text, probe=probe, archived_text=archived,
            drift_threshold=self.settings.drift_threshold)
        return Result(target, outcome, now, status=fetch.status, final_url=final,
                      similarity=score)

    def _archived_text(self, target: Target) -> str | None:
        if target.archived_text is not None:
            return target.archived_text
        sha = target.archived_text_sha
        if not sha:
            return None
        try:
            return self.blobs.read(sha).decode("utf-8", "replace")
        except FileNotFoundError:  # the blob is gone (pruned): compare nothing
            return None

    async def _wayback(self, target: Target) -> WaybackLookup:
        """A Wayback capture near the article's date, for readers of a dead link;
        when the lookup itself failed, why (no capture at all is not a failure)."""
        stamp = target.article_date.strftime("%Y%m%d") if target.article_date else None
        url = wayback.availability_url(self.settings.wayback_availability_base, target.url,
                                       stamp)
        try:
            fetch = await self.client.get(url)
            snapshot = wayback.parse_availability(fetch.status, fetch.content_type, fetch.body)
        except errors.FetchError as exc:  # its message names the URL
            return WaybackLookup(None, f"wayback lookup failed: {exc}")
        except WaybackError as exc:
            return WaybackLookup(None, f"wayback lookup failed: {url}: {exc}")
        return WaybackLookup(snapshot.url if snapshot else None, None)


# -- leases ------------------------------------------------------------------------
def batch_size(concurrency: int) -> int:
    return min(MAX_BATCH, max(8, 16 * concurrency))


def lease_time(settings: Settings, batch: int, concurrency: int) -> dt.timedelta:
    """How long a batch's leases last between renewals: the batch's worst case.

    A batch waits behind up to ``2 * concurrency`` targets already in flight; in
    the worst case all of them are on one host, so at most ``per_host_concurrency``
    run at once, and each target takes ``FETCHES_PER_TARGET`` fetches (a tweet, one
    per provider) of up to ``total_timeout`` (which already covers every hop and
    retry of a fetch). The heartbeat renews leases long before that, so the size
    matters only when the heartbeat cannot run; ``check_lease`` overrides it.
    """
    if settings.check_lease > 0:
        return dt.timedelta(seconds=settings.check_lease)
    lanes = max(1, min(concurrency, settings.per_host_concurrency))
    waves = math.ceil((batch + 2 * concurrency) / lanes)
    fetches = max(FETCHES_PER_TARGET, len(settings.provider_order))
    seconds = waves * fetches * settings.total_timeout + batch * settings.per_host_delay
    return dt.timedelta(seconds=max(120.0, seconds))


class Heartbeat:
    """Renews the run's leases while it works, so that a slow batch never outlives
    them (and says the run is alive, so that nobody takes them over)."""

    def __init__(self, owner: leases.Owner, lease: dt.timedelta) -> None:
        self.owner = owner
        self.lease = lease
        self.every = min(HEARTBEAT_EVERY, lease.total_seconds() / 3)
        self.missed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.owner.beat(self.lease)
            except Exception:  # noqa: BLE001 - a busy database: the next beat tries again
                # A lease lost meanwhile costs a dropped result, never a second check.
                self.missed += 1

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()


def _key(target: Target) -> tuple[int | None, str | None]:
    return target.link_id, target.tweet_id


def _finding(r: Result) -> leases.Finding:
    plan = r.schedule
    assert plan is not None
    tweet_state = None
    if r.target.tweet_id is not None:
        tweet_state = (r.outcome if r.outcome in verdicts.HIDDEN
                       else {"ok": "available", "deleted": "deleted"}.get(r.outcome))
    return leases.Finding(
        r.target, r.outcome, r.checked_at, plan.state, plan.streak, plan.failing_since,
        plan.next_check_at, status=r.status, final_url=r.final_url, similarity=r.similarity,
        latency_ms=r.latency_ms, error=r.error, wayback_url=r.wayback_url,
        tweet_state=tweet_state)


def interleave_hosts(targets: list[Target]) -> list[Target]:
    """Round-robin over hosts, so the pool's threads are not all queued on one."""
    by_host: dict[str, list[Target]] = {}
    for target in targets:
        by_host.setdefault(urlsplit(target.url).hostname or "", []).append(target)
    queues = list(by_host.values())
    out: list[Target] = []
    while queues:
        out += [q.pop(0) for q in queues]
        queues = [q for q in queues if q]
    return out


def run(
    settings: Settings,
    db: Database,
    selection: Selection,
    *,
    concurrency: int = 16,
    progress: Callable[[str], None] | None = None,
) -> CheckStats:
    stats = CheckStats()
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    batch = batch_size(concurrency)
    lease = lease_time(settings, batch, concurrency)
    owner = leases.Owner.register(db)
    try:
        with Heartbeat(owner, lease):
            _check_batches(settings, db, selection, owner, stats, started, batch, lease,
                           concurrency, progress)
        others = leases.leased_by_others(db, owner, selection, started)
    finally:
        owner.close()
    if others.count:
        stats.leased_by_others = others.count
        holders = "; ".join(o.describe() for o in others.owners[:3]) or "an older archiver"
        stats.notices.append(f"{others.count} selected targets are leased by other runs and "
                             f"were left to them ({holders})")
    if stats.dropped:
        stats.notices.append(f"{stats.dropped} results dropped: another run took over their "
                             "leases and checks them itself")
    stats.seconds = round(time.monotonic() - clock, 3)
    return stats


def _check_batches(settings: Settings, db: Database, selection: Selection,
                   owner: leases.Owner, stats: CheckStats, started: dt.datetime, batch: int,
                   lease: dt.timedelta, concurrency: int,
                   progress: Callable[[str], None] | None) -> None:
    """Runs the checks on an event loop of their own (a worker calls this from a
    thread of its own loop, the CLI from the main thread)."""
    texts = TextPool()
    database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-db")
    threads = ThreadPoolExecutor(max_workers=min(max(concurrency, 1), 16),
                                 thread_name_prefix="check-tweets")
    try:
        asyncio.run(_check_loop(settings, db, selection, owner, stats, started, batch, lease,
                                concurrency, progress, texts, database, threads))
        texts.close()
    except BaseException:
        texts.close(wait=False)
        raise
    finally:
        database.shutdown(wait=True)
        threads.shutdown(wait=False, cancel_futures=True)


async def _check_loop(settings: Settings, db: Database, selection: Selection,
                      owner: leases.Owner, stats: CheckStats, started: dt.datetime, batch: int,
                      lease: dt.timedelta, concurrency: int,
                      progress: Callable[[str], None] | None, texts: TextPool,
                      database: ThreadPoolExecutor, threads: ThreadPoolExecutor) -> None:
    loop = asyncio.get_running_loop()

    def tally(results: list[Result]) -> None:
        crashpoints.reached("check:before_record")
        kept = leases.record(db, owner, [_finding(r) for r in results])
        crashpoints.reached("check:recorded")
        for r, ours in zip(results, kept, strict=True):
            if not ours:
                stats.dropped += 1
                continue
            stats.checked += 1
            stats.outcomes[r.outcome] += 1
            if r.schedule:
                stats.states[r.schedule.state] += 1
            if (r.error and r.outcome not in ("ok", "redirected")
                    and len(stats.messages) < MAX_MESSAGES):
                stats.messages.append(f"{r.target.url}: {r.outcome}: {r.error}")

    def take(room: int) -> list[Target]:
        got = leases.claim(db, owner, selection, room, started, lease)
        if got.reclaimed.rows:
            stats.reclaimed += got.reclaimed.rows
            whose = "; ".join(o.describe() for o in got.reclaimed.owners)
            stats.notices.append(f"took over {got.reclaimed.rows} leases of a run that is gone "
                                 f"({whose})")
        return got.targets

    # Finished checks arrive here, each as (its target's key, result or failure);
    # asyncio.wait over every task in flight would lock them all at each turn.
    finished: asyncio.Queue[tuple[tuple[int | None, str | None], Result | BaseException]]
    finished = asyncio.Queue()
    lanes = asyncio.Semaphore(max(concurrency, 1))
    inflight: dict[tuple[int | None, str | None], Target] = {}
    tasks: set[asyncio.Task[None]] = set()
    pending: list[Result] = []
    writing: asyncio.Future[None] | None = None

    async with AsyncClient(settings) as client:
        with HttpClient(settings) as sync_client:
            checker = Checker(settings, client, sync_client, BlobStore(settings.blob_dir),
                              texts, threads)

            async def one(target: Target) -> None:
                try:
                    async with lanes:
                        outcome: Result | BaseException = await checker.check(target)
                except asyncio.CancelledError:
                    raise
                except BaseException as exc:  # noqa: BLE001 - handed to the loop below
                    outcome = exc
                finished.put_nowait((_key(target), outcome))

            claimed, exhausted = 0, False
            try:
                while True:
                    # Keep the lanes fed: claim the next batch before this one runs
                    # dry, so that no lane waits for a batch's slowest link.
                    if not exhausted and len(inflight) < 2 * concurrency:
                        room = (batch if selection.limit is None
                                else min(batch, selection.limit - claimed))
                        targets = (await loop.run_in_executor(database, take, room)
                                   if room else [])
                        exhausted = not targets
                        # A row can come back to us after another run held it (our
                        # lease had lapsed): the check already running records it.
                        busy = set(inflight) | {_key(r.target) for r in pending}
                        targets = [t for t in targets if _key(t) not in busy]
                        claimed += len(targets)
                        if targets:
                            crashpoints.reached("check:claimed")
                        for target in interleave_hosts(targets):
                            inflight[_key(target)] = target
                            task = asyncio.create_task(one(target))
                            tasks.add(task)
                            task.add_done_callback(tasks.discard)
                    if not inflight:
                        break
                    done = [await finished.get()]
                    while not finished.empty():
                        done.append(finished.get_nowait())
                    for key, outcome in done:
                        del inflight[key]
                        if isinstance(outcome, BaseException):
                            raise outcome
                        pending.append(outcome)
                        if inflight:  # some done, others still in flight
                            crashpoints.reached("check:mid_batch")
                        if progress:
                            progress(outcome.outcome)
                    if len(pending) >= RECORD_EVERY and (writing is None or writing.done()):
                        if writing is not None:
                            writing.result()
                        # Recorded by the database thread while the checks go on.
                        writing = loop.run_in_executor(database, tally, pending)
                        pending = []
                if writing is not None:
                    await writing
                tally(pending)
                pending = []
            except BaseException:
                # Ctrl-C, SIGTERM (the CLI turns it into an exception) or a failure:
                # keep what is done, free the rest for the next run, and do not wait.
                for task in list(tasks):
                    task.cancel()
                if writing is not None:
                    with contextlib.suppress(BaseException):
                        await asyncio.shield(writing)
                while not finished.empty():
                    key, outcome = finished.get_nowait()
                    if not isinstance(outcome, BaseException):
                        inflight.pop(key, None)
                        pending.append(outcome)
                leases.record(db, owner, [_finding(r) for r in pending])
                leases.release(db, owner, list(inflight.values()))
                raise
