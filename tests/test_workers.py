"""Three workers on one PostgreSQL queue, one killed with SIGKILL mid-run: every job
ends exactly once and no host is sent more than its limit at once (issue 13)."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from archiver.jobs.tasks import CHECK_SPAN
from archiver.store import models as m
from archiver.store.db import Database
from tests.cli_helpers import run
from tests.conftest import backend
from tests.fakeweb.data import Page
from tests.runs_helpers import run as run_process
from tests.runs_helpers import start, wait_for

postgres_only = pytest.mark.skipif(
    backend() != "postgresql",
    reason="the job queue is PostgreSQL-only (on SQLite every command runs in-process "
           "and --queue is refused: test_queue_needs_postgresql)")

HOSTS = [f"site{k}.example" for k in range(6)]
LIMIT = 3  # per_host_concurrency
LINKS, ARTICLES = 3000, 50
ENV = {"ARCHIVER_PER_HOST_CONCURRENCY": str(LIMIT), "ARCHIVER_PER_HOST_DELAY": "0",
       "ARCHIVER_RETRIES": "0", "ARCHIVER_RETRY_MAX_WAIT": "0.01",
       "ARCHIVER_TOTAL_TIMEOUT": "10", "ARCHIVER_WORKER_HEARTBEAT": "0.5",
       "ARCHIVER_WORKER_STALLED_AFTER": "3", "ARCHIVER_JOB_RETRY_WAIT": "0"}


def _page(text_: str) -> bytes:
    return f"<html><body><article><p>{text_}</p></article></body></html>".encode()


def _rows(db_url: str, sql: str) -> list:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def _seed_links(db_url: str, fakeweb, count: int = LINKS) -> set[int]:  # type: ignore[no-untyped-def]
    """3,000 stored links, never checked, each a live page of the fake web (written
    straight into the store: archiving 30 articles of 100 links each is tested
    elsewhere and would take most of this test's time)."""
    urls = [f"https://{HOSTS[i % len(HOSTS)]}/p/{i}" for i in range(count)]
    for url in urls:
        fakeweb.data.add_page(Page(url, _page(f"The page at {url}.")))
    Database(db_url).dispose()  # the schema, as any first command makes it
    engine = create_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(insert(m.Link), [
                {"normalized": url, "url": url, "kind": "external",
                 "domain": url.split("/")[2], "state": "unchecked", "check_streak": 0}
                for url in urls])
            return set(session.scalars(select(m.Link.id)))
    finally:
        engine.dispose()


@postgres_only
def test_three_workers_one_killed(home, db_url, fakeweb):
    env = {**fakeweb.env(), **ENV}
    links = _seed_links(db_url, fakeweb)
    news = [f"https://news.example/w/{n}" for n in range(ARTICLES)]
    for n, url in enumerate(news):
        fakeweb.data.add_page(Page(url, _page(f"Queued article number {n} says something.")))
    batches = len({link // CHECK_SPAN for link in links})  # one job per range of link ids
    queued = run(home, db_url, "check", "--queue", env=env)
    assert queued.exit_code == 0, queued.output
    assert f"queued {batches} check job(s)" in queued.output
    again = run(home, db_url, "check", "--queue", "--format", "json", env=env)
    assert json.loads(again.stdout) == [{"queued": 0, "already_queued": batches}]
    queued = run(home, db_url, "archive", "--queue", *news, env=env)
    assert queued.exit_code == 0 and "queued 50 archive job(s)" in queued.output

    fakeweb.clear_hits()
    fakeweb.hold = 0.002  # each request stays in flight a little: overlaps are seen
    workers = [start(home, db_url, "worker", "--until-idle", "--concurrency", "2",
                     "--check-concurrency", "16", env=env) for _ in range(3)]
    pids = {w.pid: w for w in workers}
    try:
        def checking_worker() -> int | None:
            done = _rows(db_url, "SELECT count(*) FROM link_check")[0][0]
            held = [r.pid for r in _rows(db_url, "SELECT pid FROM lease_owner")
                    if r.pid in pids]
            return held[0] if done >= 300 and held else None

        wait_for(lambda: checking_worker() is not None, "a worker mid-check", 60)
        victim = pids[checking_worker() or 0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        for worker in workers:
            if worker is not victim:
                _out, err = worker.communicate(timeout=240)  # a guard, not a timing
                assert worker.returncode == 0, err
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        fakeweb.hold = 0.0

    # every link of the round checked exactly once, by whichever worker
    checks = Counter(r.link_id for r in _rows(db_url, "SELECT link_id FROM link_check"))
    assert {link: checks.get(link, 0) for link in links} == dict.fromkeys(links, 1)
    # every queued article stored once
    titles = Counter(r.url for r in _rows(db_url, "SELECT url FROM article"))
    assert all(titles[url] == 1 for url in news), titles
    # nothing left queued or running; the killed worker's job was run again, once
    states = Counter(r.status for r in _rows(db_url, "SELECT status::text FROM procrastinate_jobs"))
    assert states == Counter({"succeeded": batches + ARTICLES})
    retried = _rows(db_url, "SELECT id FROM procrastinate_jobs WHERE attempts > 1")
    assert retried, "the killed worker's job was never queued again"
    # no host was ever asked more than its limit at once, across the three workers
    assert fakeweb.peak and max(fakeweb.peak.values()) <= LIMIT, fakeweb.peak


@postgres_only
def test_failed_job_shows_its_reason(home, db_url, fakeweb):
    env = {**fakeweb.env(), **ENV, "ARCHIVER_JOB_ATTEMPTS": "2"}
    fakeweb.data.add_page(Page("https://news.example/gone", b"no", status=404))
    fakeweb.fault("news.example", "/down", "reset")
    queued = run(home, db_url, "archive", "--queue", "https://news.example/gone",
                 "https://news.example/down", env=env)
    assert queued.exit_code == 0, queued.output
    done = run_process(home, db_url, "worker", "--until-idle", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    listed = run(home, db_url, "jobs", "--state", "failed", "--format", "json", env=env)
    rows = {row["target"]: row for row in json.loads(listed.stdout)}
    assert rows["https://news.example/gone"]["attempts"] == 1  # a 404: not retried
    assert rows["https://news.example/gone"]["reason"].endswith("HTTP 404")
    assert rows["https://news.example/down"]["attempts"] == 2  # the network: retried
    assert "connection" in rows["https://news.example/down"]["reason"]


@pytest.mark.parametrize("args", [("archive", "--queue", "https://news.example/a"),
                                  ("resolve", "--queue"), ("check", "--queue"),
                                  ("worker",), ("jobs",)])
def test_queue_needs_postgresql(home, tmp_path, args):
    sqlite = f"sqlite:///{tmp_path / 'archive.sqlite'}"  # on either test database
    result = run(home, sqlite, *args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("archiver: error: ") and "PostgreSQL" in result.output
    assert not (tmp_path / "archive.sqlite").exists()  # refused before anything is made


@postgres_only
def test_the_hourly_schedule_queues_the_due_checks(home, db_url, fakeweb):
    from archiver.config import load_settings
    from archiver.jobs.app import build_app
    from archiver.jobs.tasks import SCHEDULE

    env = {**fakeweb.env(), **ENV}
    links = _seed_links(db_url, fakeweb, count=30)
    settings = load_settings(database_url=db_url, home=home)
    db = Database(db_url)
    try:
        app = build_app(settings, db, schedule=True)
        with app.open():  # what the periodic deferrer does each hour
            app.configure_task(SCHEDULE).defer(timestamp=0)
    finally:
        db.dispose()
    # (without --schedule here: a worker started within ten minutes after the hour
    # also queues that hour's run, and this test is not to depend on the clock)
    done = run_process(home, db_url, "worker", "--until-idle", env=env)
    assert done.returncode == 0, done.stderr
    checks = Counter(r.link_id for r in _rows(db_url, "SELECT link_id FROM link_check"))
    assert checks == Counter(dict.fromkeys(links, 1))
    tasks = Counter(r.task_name for r in _rows(db_url, "SELECT task_name FROM procrastinate_jobs"))
    assert tasks == Counter({SCHEDULE: 1, "archiver.check_batch": 1})
    # --schedule registers the hourly run; whatever it queues now finds nothing due
    scheduled = run_process(home, db_url, "worker", "--until-idle", "--schedule", env=env)
    assert scheduled.returncode == 0, scheduled.stderr
    states = {r.status for r in _rows(db_url, "SELECT status::text FROM procrastinate_jobs")}
    assert states == {"succeeded"}
    again = Counter(r.link_id for r in _rows(db_url, "SELECT link_id FROM link_check"))
    assert again == checks


@postgres_only
def test_sigterm_hands_the_batch_back(home, db_url, fakeweb):
    env = {**fakeweb.env(), **ENV}
    links = _seed_links(db_url, fakeweb, count=400)
    assert run(home, db_url, "check", "--queue", env=env).exit_code == 0
    fakeweb.hold = 0.05  # slow enough to stop it mid-batch
    worker = start(home, db_url, "worker", "--concurrency", "1", "--check-concurrency", "2",
                   env=env)
    try:
        wait_for(lambda: _rows(db_url, "SELECT count(*) FROM link_check")[0][0] >= 10,
                 "some checks recorded", 60)
        worker.send_signal(signal.SIGTERM)
        _out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        fakeweb.hold = 0.0
    assert worker.returncode == 143, err
    assert "Traceback" not in err
    states = Counter(r.status for r in _rows(db_url, "SELECT status::text FROM procrastinate_jobs"))
    assert "doing" not in states and states["todo"] >= 1  # handed back, not failed
    assert "failed" not in states
    assert _rows(db_url, "SELECT count(*) FROM link WHERE lease_owner IS NOT NULL")[0][0] == 0
    done = run_process(home, db_url, "worker", "--until-idle", env=env)
    assert done.returncode == 0, done.stderr
    checks = Counter(r.link_id for r in _rows(db_url, "SELECT link_id FROM link_check"))
    assert checks == Counter(dict.fromkeys(links, 1))


@postgres_only
def test_resolve_queue_one_job_per_citation(home, db_url, seed_path, fakeweb):
    from tests.test_resolve import web_env

    env = {**web_env(fakeweb), **ENV}
    assert run(home, db_url, "archive", "--offline", str(seed_path), env=env).exit_code == 0
    queued = run(home, db_url, "resolve", "--queue", env=env)
    assert "queued 4 resolve job(s)" in queued.output, queued.output
    done = run_process(home, db_url, "worker", "--until-idle", "--queue", "resolve", env=env)
    assert done.returncode == 0, done.stderr
    states = Counter(r.resolve_state for r in _rows(db_url, "SELECT resolve_state FROM citation"))
    assert states == Counter({"resolved": 4})
    jobs = _rows(db_url, "SELECT status::text, attempts FROM procrastinate_jobs")
    assert sorted(jobs) == [("succeeded", 1)] * 4
