"""Which links a run claims, batch after batch (store/leases.py), on SQLite and
PostgreSQL, without HTTP: every due link exactly once however many batches it
takes, a batch spread over hosts when the archive holds each host's links in a
run, two runs at once sharing the work, and rows passed by while another run held
them (or not yet due) still claimed before the run ends.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from archiver.store import leases
from archiver.store import models as m
from archiver.store.db import Database
from archiver.store.targets import Selection, Target

HOSTS = 20
PER_HOST = 30  # links of one host stored one after another, as an article's are
BATCH = 40
LEASE = dt.timedelta(minutes=5)
ALL = Selection(due=True)


def _host(target: Target) -> str:
    return target.url.split("/")[2]


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    with database.transaction() as session:
        session.add_all(m.Link(normalized=f"https://host{h}.example/page/{i}",
                               url=f"https://host{h}.example/page/{i}", kind="external",
                               domain=f"host{h}.example")
                        for h in range(HOSTS) for i in range(PER_HOST))
    yield database
    database.dispose()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check(db: Database, owner: leases.Owner, batch: list[Target]) -> list[bool]:
    """Record every target of a batch as alive and due again in a day."""
    now = _now()
    return leases.record(db, owner, [
        leases.Finding(t, "ok", now, "alive", 1, None, now + dt.timedelta(days=1))
        for t in batch])


def _run(db: Database, selection: Selection = ALL,
         batches: list[list[Target]] | None = None) -> list[Target]:
    """One run: claim and check batch after batch until a claim comes back empty."""
    owner = leases.Owner.register(db)
    got: list[Target] = []
    try:
        started = _now()
        while batch := leases.claim(db, owner, selection, BATCH, started, LEASE).targets:
            assert all(_check(db, owner, batch))
            got += batch
            if batches is not None:
                batches.append(batch)
    finally:
        owner.close()
    return got


def _checks_per_link(db: Database) -> Counter[int]:
    with db.reader() as session:
        return Counter(dict(session.execute(  # type: ignore[arg-type]
            select(m.LinkCheck.link_id, func.count()).group_by(m.LinkCheck.link_id)).all()))


def _all_ids(db: Database) -> set[int]:
    with db.reader() as session:
        return set(session.scalars(select(m.Link.id)))


def test_a_run_claims_every_due_link_once_in_batches_spread_over_hosts(db):
    batches: list[list[Target]] = []
    got = _run(db, batches=batches)
    assert Counter(t.link_id for t in got) == Counter(dict.fromkeys(_all_ids(db), 1))
    assert len(batches) == HOSTS * PER_HOST // BATCH
    # In id order a batch of 40 would hold two hosts; spread, it holds most of them.
    assert min(len({_host(t) for t in batch}) for batch in batches) >= HOSTS // 2
    assert set(_checks_per_link(db).values()) == {1}
    # Nothing is due any more: a second run finds nothing.
    assert _run(db) == []


def test_two_runs_at_once_share_the_links_and_check_each_once(db_url, db):
    runs = [Database(db_url) for _ in range(2)]
    got: list[list[Target]] = [[], []]
    batches: list[list[list[Target]]] = [[], []]
    errors: list[BaseException] = []
    together = threading.Barrier(2)

    def run(i: int) -> None:
        try:
            together.wait()
            got[i] = _run(runs[i], batches=batches[i])
        except BaseException as exc:  # noqa: BLE001 - shown by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for run_db in runs:
        run_db.dispose()
    assert not errors
    ids = [[t.link_id for t in g] for g in got]
    assert not set(ids[0]) & set(ids[1])
    assert sorted(ids[0] + ids[1]) == sorted(_all_ids(db))
    assert set(_checks_per_link(db).values()) == {1}
    full = [b for run_batches in batches for b in run_batches if len(b) == BATCH]
    assert full and min(len({_host(t) for t in b}) for b in full) >= HOSTS // 2


def test_links_passed_while_another_run_held_them_or_not_yet_due_are_claimed_before_the_end(db):
    owner, other = leases.Owner.register(db), leases.Owner.register(db)
    started = _now()
    try:
        held = leases.claim(db, other, ALL, BATCH, started, LEASE).targets  # the first batch
        mine: list[Target] = []
        first = leases.claim(db, owner, ALL, BATCH, started, LEASE).targets
        assert not {t.link_id for t in first} & {t.link_id for t in held}
        _check(db, owner, first)
        mine += first
        # Behind our place now: one link we checked is due again, and the other
        # run gives its batch back unchecked (it was interrupted).
        again = first[0].link_id
        with db.transaction() as session:
            session.execute(update(m.Link).where(m.Link.id == again)
                            .values(next_check_at=_now() - dt.timedelta(seconds=1)))
        leases.release(db, other, held)
        while batch := leases.claim(db, owner, ALL, BATCH, started, LEASE).targets:
            _check(db, owner, batch)
            mine += batch
    finally:
        owner.close()
        other.close()
    claimed = Counter(t.link_id for t in mine)
    assert set(claimed) == _all_ids(db)
    assert claimed[again] == 2
    assert {n for link_id, n in claimed.items() if link_id != again} == {1}


def test_a_domain_run_claims_all_of_that_host_and_nothing_else(db):
    got = _run(db, Selection(due=True, domain="host7.example"))
    assert {_host(t) for t in got} == {"host7.example"}
    assert len(got) == len({t.link_id for t in got}) == PER_HOST
