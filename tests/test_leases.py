"""Lease races on store/leases.py itself, without HTTP, on SQLite and PostgreSQL.

Each run is its own ``Database`` (its own connections), as two processes would be.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from archiver.store import leases
from archiver.store import models as m
from archiver.store.db import Database
from archiver.store.targets import Selection, Target
from tests.conftest import backend

LINKS = 60
ALL = Selection(due=True)
LEASE = dt.timedelta(minutes=5)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    with database.transaction() as session:
        session.add_all(m.Link(normalized=f"https://example.com/{i}",
                               url=f"https://example.com/{i}", kind="external",
                               domain="example.com") for i in range(LINKS))
    yield database
    database.dispose()


def _started() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _finding(target: Target) -> leases.Finding:
    now = _started()
    return leases.Finding(target, "ok", now, "alive", 1, None, now + dt.timedelta(days=1))


def _claim_all(db: Database, owner: leases.Owner, size: int = 7) -> list[Target]:
    got: list[Target] = []
    while batch := leases.claim(db, owner, ALL, size, _started(), LEASE).targets:
        got += batch
    return got


def _leased(db: Database) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(m.Link).where(
            m.Link.lease_owner.is_not(None) | m.Link.lease_until.is_not(None))) or 0


def _checks(db: Database) -> dict[int | None, int]:
    with db.reader() as session:
        return dict(session.execute(select(m.LinkCheck.link_id, func.count())  # type: ignore[arg-type]
                                    .group_by(m.LinkCheck.link_id)).all())


def test_two_runs_claiming_at_once_never_share_a_row(db_url, db):
    runs = [Database(db_url) for _ in range(2)]
    owners = [leases.Owner.register(run) for run in runs]
    got: list[list[int | None]] = [[], []]
    rounds = LINKS // 5 + 2  # enough for either run to take everything alone
    together = threading.Barrier(2)

    def claim(i: int) -> None:
        for _ in range(rounds):
            together.wait()  # both claim at the same moment, every round
            batch = leases.claim(runs[i], owners[i], ALL, 5, _started(), LEASE).targets
            got[i] += [t.link_id for t in batch]

    threads = [threading.Thread(target=claim, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not set(got[0]) & set(got[1])  # no row leased twice
        assert len(got[0]) + len(got[1]) == LINKS  # and none left out
    finally:
        for owner, run in zip(owners, runs, strict=True):
            owner.close()
            run.dispose()
    assert _leased(db) == 0


def test_a_result_is_written_only_under_our_lease(db_url, db):
    other = Database(db_url)
    a, b = leases.Owner.register(db), leases.Owner.register(other)
    try:
        mine = _claim_all(db, a)
        assert len(mine) == LINKS
        with db.transaction() as session:  # a's heartbeat stalled past the expiry
            session.execute(update(m.Link).values(
                lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        assert _claim_all(db, a) == []  # a never takes its own rows a second time
        theirs = _claim_all(other, b)
        assert len(theirs) == LINKS  # b may: a's leases lapsed
        assert a.beat(LEASE) == 0  # a's heartbeat renews nothing of b's
        assert leases.record(db, a, [_finding(t) for t in mine]) == [False] * LINKS
        assert leases.record(other, b, [_finding(t) for t in theirs]) == [True] * LINKS
        assert set(_checks(db).values()) == {1} and len(_checks(db)) == LINKS
    finally:
        a.close()
        b.close()
        other.dispose()
    assert _leased(db) == 0


def test_a_row_checked_twice_by_one_run_is_written_once(db):
    """A row can come back to a run after another run held it; two findings for it
    in one transaction give one check."""
    a = leases.Owner.register(db)
    try:
        mine = _claim_all(db, a)
        twice = [_finding(t) for t in mine[:3]] * 2
        assert leases.record(db, a, twice) == [True] * 3 + [False] * 3
        assert _checks(db) == {t.link_id: 1 for t in mine[:3]}
    finally:
        a.close()


def test_a_heartbeat_keeps_a_slow_batch_ours(db_url, db):
    other = Database(db_url)
    a, b = leases.Owner.register(db), leases.Owner.register(other)
    try:
        short = dt.timedelta(milliseconds=1)
        mine = leases.claim(db, a, ALL, LINKS, _started(), short).targets
        assert a.beat(LEASE) == LINKS  # renewed before anyone could see them lapse
        assert leases.claim(other, b, ALL, LINKS, _started(), LEASE).targets == []
        assert leases.record(db, a, [_finding(t) for t in mine]) == [True] * LINKS
    finally:
        a.close()
        b.close()
        other.dispose()


def test_release_and_close_free_everything(db_url, db):
    a = leases.Owner.register(db)
    half = leases.claim(db, a, ALL, LINKS // 2, _started(), LEASE).targets
    rest = leases.claim(db, a, ALL, LINKS, _started(), LEASE).targets
    leases.release(db, a, half)
    assert _leased(db) == len(rest)
    a.close()
    assert _leased(db) == 0
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(m.LeaseOwner)) == 0


HOLD = """
import sys, time, datetime as dt
from archiver.store import leases
from archiver.store.db import Database
from archiver.store.targets import Selection
db = Database(sys.argv[1])
owner = leases.Owner.register(db)
got = leases.claim(db, owner, Selection(), int(sys.argv[2]), dt.datetime.now(dt.UTC),
                   dt.timedelta(hours=1)).targets
print(len(got), flush=True)
time.sleep(600)
"""


def test_the_leases_of_a_killed_process_are_taken_over_at_once(db_url, db):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, db_url, "25"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "25"
        b = leases.Owner.register(db)
        alive = leases.claim(db, b, ALL, LINKS, _started(), LEASE)
        assert len(alive.targets) == LINKS - 25 and alive.reclaimed.rows == 0
        held = leases.leased_by_others(db, b, ALL, _started())
        assert held.count == 25 and [o.pid for o in held.owners] == [holder.pid]
        leases.release(db, b, alive.targets)
        holder.kill()  # SIGKILL: no cleanup at all
        holder.wait()
        after = leases.claim(db, b, ALL, LINKS, _started(), LEASE)  # at once, not in an hour
        assert len(after.targets) == LINKS and after.reclaimed.rows == 25
        assert [o.pid for o in after.reclaimed.owners] == [holder.pid]
        assert leases.leased_by_others(db, b, ALL, _started()).count == 0
        b.close()
    finally:
        holder.kill()
        holder.wait()


def test_an_owner_on_another_host_is_judged_by_its_session_or_heartbeat(db_url, db):
    """SQLite cannot see a process on another host: its leases wait for its heartbeat
    to go stale. PostgreSQL sees its session end (the advisory lock is freed)."""
    other = Database(db_url)
    a, b = leases.Owner.register(other), leases.Owner.register(db)
    try:
        assert len(leases.claim(other, a, ALL, 10, _started(), LEASE).targets) == 10
        with db.transaction() as session:  # a lives elsewhere, as far as we can tell
            session.execute(update(m.LeaseOwner).where(m.LeaseOwner.token == a.token)
                            .values(hostname="elsewhere.invalid", pid=1))
        assert leases.reclaim(db, b).rows == 0  # alive: its session and heartbeat are fresh
        other.dispose()  # a's connections close, as when its process is killed
        if a._lock is not None:
            backend_pid = a._lock.execute(select(func.pg_backend_pid())).scalar()
            a._lock.invalidate()
            _wait_until_gone(db, backend_pid)
        assert leases.reclaim(db, b).rows == (10 if backend() == "postgresql" else 0)
        with db.transaction() as session:  # no heartbeat for longer than STALE_AFTER
            session.execute(update(m.LeaseOwner).values(
                heartbeat_at=dt.datetime.now(dt.UTC) - leases.STALE_AFTER * 2))
        leases.reclaim(db, b)
        assert _leased(db) == 0
    finally:
        b.close()
        other.dispose()


def _wait_until_gone(db: Database, backend_pid: int | None) -> None:
    """Until the server has ended that session (it does so just after the client closes)."""
    for _ in range(1000):
        with db.reader() as session:  # its locks are freed before it leaves this view
            if not session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                  {"pid": backend_pid}):
                return
        time.sleep(0.01)
    raise AssertionError(f"session {backend_pid} did not end")


def test_a_zombie_pid_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    try:
        assert leases.pid_alive(os.getpid())
        assert not leases.pid_alive(child.pid)
    finally:
        child.wait()
    assert not leases.pid_alive(child.pid)
