"""Leases over real sockets: a link is checked once per round, whatever the hosts do.

Slow hosts (slow_body, hang) on the fake web make a batch outlive a short lease
(``check_lease``), the case where a run used to take its own expired rows again,
or a second run took them, and both results were written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from archiver.config import load_settings
from archiver.store import leases
from archiver.store import models as m
from archiver.store.db import Database
from archiver.store.targets import Selection
from tests.cli_helpers import run
from tests.fakeweb.data import Page
from tests.test_check import concurrent_due_runs

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "3",
        "ARCHIVER_TIMEOUT_READ": "2", "ARCHIVER_RETRIES": "0", "ARCHIVER_PER_HOST_DELAY": "0"}
SHORT_LEASE = {"ARCHIVER_CHECK_LEASE": "0.4"}  # far shorter than one slow batch
STORY = "https://news.example/2024/leases.html"


def _page(text: str) -> bytes:
    return (f"<html><body><article><p>{text}</p><p>{text} More words so that the main "
            "text is long enough to compare.</p></article></body></html>").encode()


def slow_web(web, fast: int = 8, slow: int = 8, hung: int = 4,  # type: ignore[no-untyped-def]
             seconds: float = 0.8) -> list[str]:
    """A story linking to fast pages, pages whose bodies trickle, and pages that hang."""
    urls = ([f"https://example.com/fast/{i}" for i in range(fast)]
            + [f"https://blog.example/slow/{i}" for i in range(slow)]
            + [f"https://www.example.com/hung/{i}" for i in range(hung)])
    links = "".join(f"<p><a href='{u}'>link {i}</a></p>" for i, u in enumerate(urls))
    web.data.add_page(Page(STORY, f"<html><body><article>{links}</article></body></html>"
                           .encode()))
    for u in urls:
        web.data.add_page(Page(u, _page(f"A page at {u}.")))
    web.fault("blog.example", "/slow/*", "slow_body", delay=seconds / 4, seconds=seconds)
    web.fault("www.example.com", "/*", "hang", seconds=seconds)
    return urls


def checks_per_link(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(m.Link.normalized, func.count(m.LinkCheck.id))
                .join(m.LinkCheck, m.LinkCheck.link_id == m.Link.id, isouter=True)
                .group_by(m.Link.normalized)).all()
    finally:
        engine.dispose()
    return {url: n for url, n in rows}


def leased_rows(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return sum(session.scalar(select(func.count()).select_from(model).where(
                (model.lease_until.is_not(None)) | (model.lease_owner.is_not(None)))) or 0
                for model in (m.Link, m.Tweet))
    finally:
        engine.dispose()


def test_a_batch_that_outlives_its_lease_is_checked_once(home, db_url, fakeweb):
    urls = slow_web(fakeweb)
    env = {**fakeweb.env(), **FAST, **SHORT_LEASE}
    assert run(home, db_url, "archive", "--offline", STORY, env=env).exit_code == 0
    for round_ in range(2):
        result = run(home, db_url, "check", "--all", "--concurrency", "2", "--format", "jsonl",
                     env=env)
        assert result.exit_code == 0, result.output
        stats = json.loads(result.stdout)
        per_link = checks_per_link(db_url)
        assert set(per_link) == {*urls, STORY}
        assert set(per_link.values()) == {round_ + 1}, per_link  # once per link per round
        assert stats["checked"] == len(urls) + 1 and stats["dropped"] == 0
    assert leased_rows(db_url) == 0


def test_two_runs_with_slow_batches_check_each_link_once(db_url, home, fakeweb, monkeypatch):
    # More than two batches (16 each at concurrency 1): the run that finishes first
    # claims again while the other's batch is still in flight, long past its lease.
    urls = slow_web(fakeweb, fast=8, slow=24, hung=8, seconds=0.5)
    # A lease a slow batch outlives many times over, but that the heartbeat renews.
    env = {**fakeweb.env(), **FAST, "ARCHIVER_CHECK_LEASE": "1.2"}
    run(home, db_url, "archive", "--offline", STORY, env=env)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(home=home, database_url=db_url)
    stats = concurrent_due_runs(settings, db_url)
    per_link = checks_per_link(db_url)
    assert set(per_link.values()) == {1}, per_link
    assert sum(s.checked for s in stats) == len(urls) + 1
    # the heartbeat kept every lease ours
    assert sum(s.dropped for s in stats) == 0, [(s.checked, s.dropped) for s in stats]
    assert leased_rows(db_url) == 0



# -- kills, SIGTERM and other runs' leases, with `archiver check` as a real process ----
CHECK = "from archiver.cli import main; main()"
ROOT = Path(__file__).resolve().parents[1]


def _cli_process(home: Path, db_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, **env, "ARCHIVER_HOME": str(home), "ARCHIVER_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-c", CHECK, "check", "--concurrency", "2", "--format", "jsonl"],
        cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_leases(db_url: str, proc: subprocess.Popen[str]) -> None:
    """Until the process holds leases (it is mid-run); a bounded wait, not a timing test."""
    for _ in range(600):
        if leased_rows(db_url):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the check run never took a lease")


def _slow_story(home: Path, db_url: str, web) -> tuple[list[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    urls = slow_web(web, fast=4, slow=4, hung=8)
    web.fault("www.example.com", "/*", "hang", seconds=20)  # each of these ends in a time-out
    env = {**web.env(), **FAST}
    assert run(home, db_url, "archive", "--offline", STORY, env=env).exit_code == 0
    return urls, env


def test_sigterm_frees_the_leases_like_ctrl_c(home, db_url, fakeweb):
    urls, env = _slow_story(home, db_url, fakeweb)
    proc = _cli_process(home, db_url, env)
    try:
        _wait_for_leases(db_url, proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "check stopped" in err and "Traceback" not in err
    assert leased_rows(db_url) == 0  # nothing left leased
    done = sum(checks_per_link(db_url).values())
    fakeweb.clear_faults()
    after = run(home, db_url, "check", "--format", "jsonl", env=env)
    assert after.exit_code == 0, after.output
    stats = json.loads(after.stdout)
    assert stats["checked"] == len(urls) + 1 - done  # the second run checks the rest
    assert stats["leased_by_others"] == 0 and stats["reclaimed"] == 0
    assert set(checks_per_link(db_url).values()) == {1}


def test_a_rerun_right_after_kill_9_checks_everything(home, db_url, fakeweb):
    urls, env = _slow_story(home, db_url, fakeweb)
    proc = _cli_process(home, db_url, env)
    try:
        _wait_for_leases(db_url, proc)
        held = leased_rows(db_url)
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait()
    finally:
        proc.kill()
        proc.communicate()
    assert held > 0 and leased_rows(db_url) == held  # the dead run's leases are still there
    fakeweb.clear_faults()
    after = run(home, db_url, "check", "--format", "jsonl", env=env)
    assert after.exit_code == 0, after.output
    stats = json.loads(after.stdout)
    assert stats["checked"] == len(urls) + 1  # none skipped
    assert stats["reclaimed"] == held and stats["leased_by_others"] == 0
    assert f"took over {held} leases of a run that is gone (pid {proc.pid}" in after.stderr
    assert set(checks_per_link(db_url).values()) == {1}
    assert leased_rows(db_url) == 0


def test_a_run_says_what_other_live_runs_hold(home, db_url, fakeweb):
    urls = slow_web(fakeweb, fast=10, slow=0, hung=0)
    env = {**fakeweb.env(), **FAST}
    run(home, db_url, "archive", "--offline", STORY, env=env)
    other = Database(db_url)
    holder = leases.Owner.register(other)  # a live run elsewhere in this process
    try:
        held = leases.claim(other, holder, Selection(), 4, dt.datetime.now(dt.UTC),
                            dt.timedelta(hours=1)).targets
        result = run(home, db_url, "check", "--format", "jsonl", env=env)
        assert result.exit_code == 0, result.output
        stats = json.loads(result.stdout)
        assert stats["checked"] == len(urls) + 1 - len(held)
        assert stats["leased_by_others"] == len(held) == 4
        assert (f"archiver: 4 selected targets are leased by other runs and were left to "
                f"them (pid {os.getpid()} on ") in result.stderr
    finally:
        holder.close()
        other.dispose()
    again = json.loads(run(home, db_url, "check", "--format", "jsonl", env=env).stdout)
    assert again["checked"] == 4 and again["leased_by_others"] == 0
