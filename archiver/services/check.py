"""Re-check stored links and cited tweets for rot; append one link_check per check.

A run claims a batch of due targets with a lease (so that two runs at once
never check the same link: a conditional UPDATE that only one can win, plus
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), checks them in a thread pool, then
records the batch in one short transaction and releases the leases. Killing a
run loses at most the batch in flight; its leases expire by themselves.

HTTP targets are asked with HEAD where that can be trusted (no body needed, the
host answers real 404s), GET otherwise or when HEAD is refused or says 4xx/5xx
(HEAD often lies). Tweets and status links are judged by the tweet services,
never by x.com's status page (see verdicts.py for what answers mean).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from archiver.config import Settings
from archiver.detect.links import parse_status_url
from archiver.net import errors
from archiver.net.http import Fetch, HttpClient
from archiver.net.providers import wayback
from archiver.services import verdicts
from archiver.services.snapshots import main_text
from archiver.services.tweets import TweetFetcher
from archiver.store import models as m
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.queries import on_domain

MAX_BATCH = 1000
RECORD_EVERY = 64  # results recorded per transaction: what a kill can lose at most
ERROR_OUTCOMES = {
    errors.Timeout: "timeout", errors.DNSFailure: "dns_error", errors.TLSFailure: "tls_error",
    errors.ConnectFailed: "connection_error", errors.BlockedAddress: "connection_error",
    errors.TooManyRedirects: "server_error", errors.RedirectLoop: "server_error",
    errors.InvalidURL: "not_found",
}


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


@dataclass
class CheckStats:
    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    due: bool = True
    article_id: int | None = None
    domain: str | None = None
    limit: int | None = None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Checker:
    def __init__(self, settings: Settings, client: HttpClient, blobs: BlobStore) -> None:
        self.settings = settings
        self.client = client
        self.blobs = blobs
        self._probes: dict[str, verdicts.Probe] = {}
        self._probe_lock = threading.Lock()

    # -- one target ----------------------------------------------------------
    def check(self, target: Target) -> Result:
        started = time.monotonic()
        if target.tweet_id is not None:
            result = self._check_tweet(target)
        else:
            result = self._check_http(target)
        now = dt.datetime.now(dt.UTC)
        plan = verdicts.schedule(
            result.outcome, now=now, previous_state=target.state, streak=target.streak,
            failing_since=_aware(target.failing_since),
            dead_after_failures=self.settings.dead_after_failures,
            dead_after_days=self.settings.dead_after_days)
        found = target.wayback_url
        if plan.state == "dead" and not found and target.tweet_id is None:
            found = self._wayback(target)
        return replace(result, schedule=plan, wayback_url=found, checked_at=now,
                       latency_ms=int((time.monotonic() - started) * 1000))

    def _check_tweet(self, target: Target) -> Result:
        assert target.tweet_id is not None
        fetcher = TweetFetcher(self.settings, self.client, None)
        answer = fetcher.tweet(target.tweet_id, target.handle, archived=False)
        state = answer.tweet.state
        now = dt.datetime.now(dt.UTC)
        if state in verdicts.TWEET_OUTCOMES:
            return Result(target, verdicts.TWEET_OUTCOMES[state], now,
                          error=answer.tweet.detail if state != "available" else None)
        cause = fetcher.failures[-1] if fetcher.failures else "server_error"
        outcome = cause if cause in verdicts.FAILING else "server_error"
        return Result(target, outcome, now, error="; ".join(fetcher.messages[-3:]) or None)

    def _probe(self, url: str) -> verdicts.Probe:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._probe_lock:
            if key in self._probes:
                return self._probes[key]
        missing = f"{key}/{uuid.uuid4().hex}-archiver-probe"
        try:
            fetch = self.client.get(missing)
            probe = verdicts.Probe(fetch.status, fetch.final_url,
                                   main_text(fetch) if fetch.status < 300 else None,
                                   redirected=bool(fetch.hops))
        except errors.FetchError:
            probe = verdicts.Probe(None, None, None)
        with self._probe_lock:
            self._probes.setdefault(key, probe)
        return probe

    def _check_http(self, target: Target) -> Result:
        now = dt.datetime.now(dt.UTC)
        follow = (lambda u: parse_status_url(u) is None) if target.kind == "pic" else None
        tweety = target.kind in ("tco", "pic", "media")
        probe = None if tweety else self._probe(target.url)
        soft_host = probe is not None and probe.status is not None and probe.status < 300
        compare = target.archived_text is not None or target.archived_text_sha is not None
        need_body = compare or soft_host
        try:
            fetch: Fetch | None = None
            if not need_body:
                fetch = self.client.head(target.url, follow=follow)
                if fetch.status >= 400:  # refused, or lying: ask properly
                    fetch = None
            if fetch is None:
                fetch = self.client.get(target.url, follow=follow)
        except errors.FetchError as exc:
            outcome = ERROR_OUTCOMES.get(type(exc), "connection_error")
            return Result(target, outcome, now, error=str(exc))
        final = fetch.stopped_at or fetch.final_url
        status = 200 if fetch.stopped_at else fetch.status
        unchanged = (compare and not soft_host and status == 200 and not fetch.hops
                     and target.archived_body_sha is not None
                     and hashlib.sha256(fetch.body).hexdigest() == target.archived_body_sha)
        if unchanged:  # the very bytes we kept: no need to read the page
            return Result(target, "ok", now, status=status, final_url=final, similarity=1.0)
        text = main_text(fetch) if need_body and fetch.final.method == "GET" else None
        outcome, score = verdicts.classify_http(
            url=target.url, archived_url=target.archived_url, status=status, final_url=final,
            text=text, probe=probe, archived_text=self._archived_text(target) if compare else None,
            drift_threshold=self.settings.drift_threshold)
        return Result(target, outcome, now, status=fetch.status, final_url=final,
                      similarity=score)

    def _archived_text(self, target: Target) -> str | None:
        if target.archived_text is not None:
            return target.archived_text
        sha = target.archived_text_sha
        if sha and self.blobs.exists(sha):
            return self.blobs.read(sha).decode("utf-8", "replace")
        return None

    def _wayback(self, target: Target) -> str | None:
        """A Wayback capture near the article's date, for readers of a dead link."""
        stamp = target.article_date.strftime("%Y%m%d") if target.article_date else None
        url = wayback.availability_url(self.settings.wayback_availability_base, target.url,
                                       stamp)
        try:
            fetch = self.client.get(url)
            snapshot = wayback.parse_availability(fetch.status, fetch.content_type, fetch.body)
        except (errors.FetchError, wayback.WaybackError):
            return None
        return snapshot.url if snapshot else None


# -- selection and leases ----------------------------------------------------
def _link_filter(selection: Selection, now: dt.datetime, started: dt.datetime):  # type: ignore[no-untyped-def]
    conditions = [m.Link.kind != "status",
                  or_(m.Link.lease_until.is_(None), m.Link.lease_until < now)]
    if selection.due:
        conditions.append(or_(m.Link.next_check_at.is_(None), m.Link.next_check_at <= now))
    else:
        conditions.append(or_(m.Link.last_checked_at.is_(None), m.Link.last_checked_at < started))
    if selection.domain:
        conditions.append(on_domain(selection.domain))
    if selection.article_id is not None:
        conditions.append(m.Link.id.in_(select(m.LinkOccurrence.link_id).where(
            m.LinkOccurrence.article_id == selection.article_id)))
    return conditions


def _tweet_filter(selection: Selection, now: dt.datetime, started: dt.datetime):  # type: ignore[no-untyped-def]
    cited = select(m.Citation.tweet_id).where(m.Citation.tweet_id.is_not(None))
    if selection.article_id is not None:
        cited = cited.where(m.Citation.article_id == selection.article_id)
    conditions = [m.Tweet.id.in_(cited),
                  or_(m.Tweet.lease_until.is_(None), m.Tweet.lease_until < now)]
    if selection.due:
        conditions.append(or_(m.Tweet.next_check_at.is_(None), m.Tweet.next_check_at <= now))
    else:
        conditions.append(or_(m.Tweet.last_checked_at.is_(None),
                              m.Tweet.last_checked_at < started))
    return conditions


def lease_time(settings: Settings) -> dt.timedelta:
    """Long enough for a batch to finish; short enough that a killed run's targets
    are soon checked by the next one."""
    return dt.timedelta(seconds=max(120.0, 3 * settings.total_timeout + 60))


def claim(db: Database, selection: Selection, size: int, started: dt.datetime,
          lease: dt.timedelta) -> list[Target]:
    """Lease up to ``size`` targets; a row is ours only if our UPDATE won it."""
    now = dt.datetime.now(dt.UTC)
    until = now + lease + dt.timedelta(microseconds=random.randrange(1_000_000))
    targets: list[Target] = []
    with db.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if selection.domain is None:
            targets += _win(session, m.Tweet, m.Tweet.id, _tweet_filter(selection, now, started),
                            size, postgres, now, until,
                            lambda rows: [_tweet_target(row) for row in rows])
        room = size - len(targets)
        if room > 0:
            targets += _win(session, m.Link, m.Link.id, _link_filter(selection, now, started),
                            room, postgres, now, until,
                            lambda rows: _link_targets(session, rows))
    return targets


def _win(session: Session, model, key, conditions, size: int, postgres: bool,  # type: ignore[no-untyped-def]
         now: dt.datetime, until: dt.datetime, make: Callable) -> list[Target]:  # type: ignore[type-arg]
    """Lease up to ``size`` rows. Another run may win some of the rows we select
    (our UPDATE then changes nothing): select again past them, a few times."""
    won: list[Target] = []
    tried: list[object] = []
    for _attempt in range(5):
        stmt = select(model).where(*conditions)
        if tried:
            stmt = stmt.where(key.not_in(tried))
        if model is m.Link:
            # Random order spreads a batch over many hosts: links come in per-host
            # runs (an article's links, a site's pages), and politeness limits how
            # fast one host may be asked, so a batch from one host would crawl.
            stmt = stmt.order_by(func.random())
        stmt = stmt.limit(size - len(won))
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        if not rows:
            break
        ids = [row.id for row in rows]
        tried += ids
        # One UPDATE for the batch; the rows that now carry our (unique) lease
        # time are the ones we won.
        session.execute(update(model).where(
            key.in_(ids), or_(model.lease_until.is_(None), model.lease_until < now),
        ).values(lease_until=until).execution_options(synchronize_session=False))
        mine = set(session.scalars(select(key).where(key.in_(ids), model.lease_until == until)))
        won += make([row for row in rows if row.id in mine])
        if len(won) >= size:
            break
    return won


def _tweet_target(tweet: m.Tweet) -> Target:
    return Target(None, tweet.id, f"https://twitter.com/i/web/status/{tweet.id}", "tweet",
                  "", None, None, None, tweet.handle,
                  tweet.state if tweet.last_checked_at else "unchecked",
                  tweet.check_streak or 0, tweet.failing_since, None, None)


def _link_targets(session: Session, links: list[m.Link]) -> list[Target]:
    """Targets for a batch of links, with what each is compared against, in three
    queries rather than three per link."""
    if not links:
        return []
    ids = [link.id for link in links]
    articles: dict[int, m.Article] = {}
    for link_id, article in session.execute(
            select(m.LinkOccurrence.link_id, m.Article)
            .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
            .where(m.LinkOccurrence.link_id.in_(ids))):
        articles.setdefault(link_id, article)
    capture_ids = {link.snapshot_capture_id for link in links if link.snapshot_capture_id}
    for link in links:
        article = articles.get(link.id)
        if link.kind == "article" and article is not None and article.current_version_id:
            version = session.get(m.ArticleVersion, article.current_version_id)
            if version is not None and version.capture_id:
                capture_ids.add(version.capture_id)
    shas: dict[int | None, str | None] = {}
    if capture_ids:
        query = select(m.Capture.id, m.Capture.sha256).where(m.Capture.id.in_(capture_ids))
        shas = {capture_id: sha for capture_id, sha in session.execute(query)}
    targets = []
    for link in links:
        article = articles.get(link.id)
        text, body_sha = None, shas.get(link.snapshot_capture_id)
        if link.kind == "article" and article is not None:
            text = article.text
            version = session.get(m.ArticleVersion, article.current_version_id)
            body_sha = shas.get(version.capture_id) if version else None
        archived = link.resolved_url if link.kind in ("tco", "pic") and link.resolved_url else (
            link.normalized)
        targets.append(Target(
            link.id, None, link.normalized, link.kind, archived, text,
            link.snapshot_text_sha256, body_sha, link.handle, link.state,
            link.check_streak or 0, link.failing_since, link.wayback_url,
            article.published_at if article else None))
    return targets


def record(db: Database, results: list[Result]) -> None:
    """Append the checks and move each target's schedule, in one short transaction."""
    with db.transaction() as session:
        for r in results:
            plan = r.schedule
            assert plan is not None
            t = r.target
            row = (session.get(m.Tweet, t.tweet_id) if t.tweet_id
                   else session.get(m.Link, t.link_id))
            if row is None:
                continue
            session.add(m.LinkCheck(
                link_id=t.link_id, tweet_id=t.tweet_id, checked_at=r.checked_at,
                outcome=r.outcome, status=r.status, final_url=r.final_url,
                similarity=r.similarity, latency_ms=r.latency_ms, error=r.error))
            row.check_streak, row.failing_since = plan.streak, plan.failing_since
            row.next_check_at, row.last_checked_at, row.lease_until = (
                plan.next_check_at, r.checked_at, None)
            if isinstance(row, m.Link):
                row.state = plan.state
                row.wayback_url = r.wayback_url or row.wayback_url
            else:
                row.state = {"ok": "available", "deleted": "deleted"}.get(r.outcome, row.state)
                if r.outcome in verdicts.HIDDEN:
                    row.state = r.outcome
                for link in session.scalars(select(m.Link).where(
                        m.Link.tweet_id == row.id, m.Link.kind == "status")):
                    session.add(m.LinkCheck(link_id=link.id, tweet_id=row.id,
                                            checked_at=r.checked_at, outcome=r.outcome,
                                            error=r.error, latency_ms=r.latency_ms))
                    link.state, link.last_checked_at = plan.state, r.checked_at
                    link.next_check_at = plan.next_check_at


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


def release(db: Database, targets: list[Target]) -> None:
    if not targets:
        return
    with db.transaction() as session:
        links = [t.link_id for t in targets if t.link_id is not None]
        tweets = [t.tweet_id for t in targets if t.tweet_id is not None]
        if links:
            session.execute(update(m.Link).where(m.Link.id.in_(links)).values(lease_until=None))
        if tweets:
            session.execute(update(m.Tweet).where(m.Tweet.id.in_(tweets)).values(lease_until=None))


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
    blobs = BlobStore(settings.blob_dir)
    batch = min(MAX_BATCH, max(8, 16 * concurrency))
    lease = lease_time(settings)

    def tally(results: list[Result]) -> None:
        record(db, results)
        for r in results:
            stats.checked += 1
            stats.outcomes[r.outcome] += 1
            if r.schedule:
                stats.states[r.schedule.state] += 1
            if r.error and r.outcome not in ("ok", "redirected"):
                stats.messages.append(f"{r.target.url}: {r.outcome}: {r.error}")

    with HttpClient(settings) as client, ThreadPoolExecutor(max_workers=concurrency) as pool:
        checker = Checker(settings, client, blobs)
        inflight: dict[Future[Result], Target] = {}
        pending: list[Result] = []
        claimed, exhausted = 0, False
        try:
            while True:
                # Keep the pool fed: claim the next batch before this one runs dry,
                # so no worker waits for a batch's slowest link.
                if not exhausted and len(inflight) < 2 * concurrency:
                    room = batch if selection.limit is None else min(batch,
                                                                     selection.limit - claimed)
                    targets = claim(db, selection, room, started, lease) if room else []
                    exhausted = not targets
                    claimed += len(targets)
                    for target in interleave_hosts(targets):
                        inflight[pool.submit(checker.check, target)] = target
                if not inflight:
                    break
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for future in done:
                    del inflight[future]
                    pending.append(future.result())
                    if progress:
                        progress(pending[-1].outcome)
                if len(pending) >= RECORD_EVERY:
                    tally(pending)
                    pending = []
            tally(pending)
        except BaseException:
            for future in inflight:
                future.cancel()
            record(db, pending)  # keep what is done; free the rest for the next run
            release(db, list(inflight.values()))
            raise
    stats.seconds = round(time.monotonic() - clock, 3)
    return stats
