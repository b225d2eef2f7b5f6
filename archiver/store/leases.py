"""Leases on the links and tweets `check` works on: who holds what, for how long,
and what happens to the leases of a run that died.

A run registers as an *owner* (a ``lease_owner`` row: a random token, its pid,
host name and heartbeat time) and leases a batch by writing its token and an
expiry on each row, in one conditional UPDATE that only one run can win
(``FOR UPDATE SKIP LOCKED`` first on PostgreSQL). While it works, its heartbeat
renews the expiry of every row it holds. A result is written only where the row
still names our token, so a run that lost a lease (its heartbeat stalled past
the expiry and another run took the row) drops that result rather than write a
second check of the link.

A dead owner's leases are taken over at once rather than when they expire: on
this host when its pid is gone, anywhere when its heartbeat is older than
``STALE_AFTER``, and on PostgreSQL as soon as the session-level advisory lock it
holds for its whole run is free (the server drops it with the connection of a
killed process).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Executable,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.db import Database
from archiver.store.targets import (
    Selection,
    Target,
    among,
    link_filter,
    link_targets,
    tweet_filter,
    tweet_targets,
)

HOST = socket.gethostname()
STALE_AFTER = dt.timedelta(seconds=90)  # a heartbeat older than this: the owner is dead
_RECLAIM_KEY = 0x6172636C65617365  # one reclaimer at a time on PostgreSQL
Leased = type[m.Link] | type[m.Tweet]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _rows(session: Session, stmt: Executable) -> int:
    """Rows an UPDATE or DELETE touched."""
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]  # an UPDATE's result is a CursorResult (rowcount); Session.execute is typed Result
    return result.rowcount


def lock_key(token: str) -> int:
    """The PostgreSQL advisory lock key of an owner (60 bits of its random token)."""
    return int(token[:15], 16)


def pid_alive(pid: int) -> bool:
    """Whether a process of this host still runs; a zombie (killed, not yet reaped) is gone."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")


@dataclass(frozen=True)
class OwnerInfo:
    """Another run holding leases, as a person would want it named."""

    pid: int
    hostname: str
    heartbeat_at: dt.datetime

    def describe(self, now: dt.datetime | None = None) -> str:
        ago = ((now or _now()) - _aware(self.heartbeat_at)).total_seconds()
        return f"pid {self.pid} on {self.hostname}, last heartbeat {max(ago, 0):.0f} s ago"


def _info(row: m.LeaseOwner) -> OwnerInfo:
    return OwnerInfo(row.pid, row.hostname, _aware(row.heartbeat_at))


class Owner:
    """One run as a holder of leases. ``mutex`` keeps the run's own writes to its
    rows (claim, heartbeat, record, release) one at a time, so that two of them
    can never wait on each other's row locks."""

    def __init__(self, db: Database, token: str, lock: Connection | None) -> None:
        self.db = db
        self.token = token
        # Re-entrant: a signal (Ctrl-C, SIGTERM) may land in the main thread just
        # after it took the mutex, and its clean-up must then still get in.
        self.mutex = threading.RLock()
        self._lock = lock
        # The run's place in each claim order (see _win), under ``mutex``.
        self.cursors: dict[tuple[str, Selection], _Cursor] = {}

    @classmethod
    def register(cls, db: Database) -> Owner:
        token = uuid.uuid4().hex
        now = _now()
        row = {"token": token, "pid": os.getpid(), "hostname": HOST, "started_at": now,
               "heartbeat_at": now}
        if db.engine.dialect.name != "postgresql":
            with db.transaction() as session:
                session.execute(insert(m.LeaseOwner).values(**row))
            return cls(db, token, None)
        # A connection of our own holds the advisory lock for the whole run. The
        # lock is taken before the row is visible, so whoever sees us sees it held.
        conn = db.engine.connect()
        try:
            with conn.begin():
                conn.execute(select(func.pg_advisory_lock(lock_key(token))))
                conn.execute(insert(m.LeaseOwner).values(**row))
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        return cls(db, token, conn)

    def beat(self, lease: dt.timedelta) -> int:
        """Say we are alive and renew every lease we hold; returns the rows renewed."""
        now = _now()
        with self.mutex, self.db.transaction() as session:
            found = _rows(session, update(m.LeaseOwner).where(
                m.LeaseOwner.token == self.token).values(heartbeat_at=now))
            if not found:  # taken for dead after a long stall: stand up again
                session.execute(insert(m.LeaseOwner).values(
                    token=self.token, pid=os.getpid(), hostname=HOST, started_at=now,
                    heartbeat_at=now))
            return sum(_rows(session, update(model).where(model.lease_owner == self.token)
                             .values(lease_until=now + lease)) for model in (m.Link, m.Tweet))

    def close(self) -> None:
        """Free every lease we still hold and leave the owners' table."""
        try:
            with self.mutex, self.db.transaction() as session:
                for model in (m.Link, m.Tweet):
                    session.execute(update(model).where(model.lease_owner == self.token)
                                    .values(lease_owner=None, lease_until=None))
                session.execute(delete(m.LeaseOwner).where(m.LeaseOwner.token == self.token))
        finally:
            if self._lock is not None:
                try:
                    self._lock.execute(select(func.pg_advisory_unlock(lock_key(self.token))))
                    self._lock.commit()
                except Exception:  # noqa: BLE001 - a broken connection: drop it, lock and all
                    self._lock.invalidate()
                finally:
                    self._lock.close()
                    self._lock = None


# -- taking over the leases of dead runs ----------------------------------------
@dataclass(frozen=True)
class Reclaimed:
    rows: int
    owners: tuple[OwnerInfo, ...]


def _is_dead(session: Session, row: m.LeaseOwner, now: dt.datetime, postgres: bool) -> bool:
    if _aware(row.heartbeat_at) < now - STALE_AFTER:
        return True
    if row.hostname == HOST and not pid_alive(row.pid):
        return True
    if postgres:  # its lock is free only when its session ended; ours lasts to our commit
        return bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(row.token)))))
    return False


def reclaim(db: Database, owner: Owner) -> Reclaimed:
    """Free the leases of owners that are dead, and forget those owners."""
    now = _now()
    with db.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:  # one reclaimer at a time (it only waits for another's short one)
            session.execute(select(func.pg_advisory_xact_lock(_RECLAIM_KEY)))
        others = session.scalars(select(m.LeaseOwner).where(m.LeaseOwner.token != owner.token))
        dead = [row for row in others if _is_dead(session, row, now, postgres)]
        if not dead:
            return Reclaimed(0, ())
        tokens = [row.token for row in dead]
        rows = sum(_rows(session, update(model).where(model.lease_owner.in_(tokens))
                         .values(lease_owner=None, lease_until=None)) for model in (m.Link, m.Tweet))
        session.execute(delete(m.LeaseOwner).where(m.LeaseOwner.token.in_(tokens)))
        return Reclaimed(rows, tuple(_info(row) for row in dead))


# -- claiming ----------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    targets: list[Target]
    reclaimed: Reclaimed


def _free(model: Leased, now: dt.datetime, token: str) -> Any:
    """Not leased (or the lease lapsed), and not in our own hands: a row we hold
    whose lease lapsed is still in flight here, never ours to take twice."""
    return and_(or_(model.lease_until.is_(None), model.lease_until < now),
                or_(model.lease_owner.is_(None), model.lease_owner != token))


def claim(db: Database, owner: Owner, selection: Selection, size: int, started: dt.datetime,
          lease: dt.timedelta) -> Claim:
    """Lease up to ``size`` targets (tweets first, then links), after taking over
    the leases of dead runs."""
    reclaimed = reclaim(db, owner)
    now = _now()
    targets: list[Target] = []
    with owner.mutex, db.transaction() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if selection.domain is None:
            won = _win(session, m.Tweet, tweet_filter(selection, now, started), size,
                       owner.token, now, now + lease, postgres,
                       owner.cursors.setdefault(("tweet", selection), _Cursor()))
            targets += tweet_targets(won)
        room = size - len(targets)
        if room > 0:
            won = _win(session, m.Link, link_filter(selection, now, started), room,
                       owner.token, now, now + lease, postgres,
                       owner.cursors.setdefault(("link", selection), _Cursor()))
            targets += link_targets(session, won)
    return Claim(targets, reclaimed)


_LINK_COLUMNS = (m.Link.id, m.Link.normalized, m.Link.kind, m.Link.resolved_url,
                 m.Link.snapshot_capture_id, m.Link.snapshot_text_sha256, m.Link.handle,
                 m.Link.state, m.Link.check_streak, m.Link.failing_since, m.Link.wayback_url)
_LINK_SPREAD = m.link_spread()


def _order(model: Leased) -> tuple[Any, ...]:
    """The order a run claims rows in, an index's: links by their spread key (a
    batch of consecutive keys spans many hosts: links come in per-host runs, an
    article's links, a site's pages, and politeness limits how fast one host may be
    asked), then id; tweets (all on one host) by id."""
    return (_LINK_SPREAD, m.Link.id) if model is m.Link else (m.Tweet.id,)


@dataclass
class _Cursor:
    """Where a run is in the claim order of one table and selection: the order key
    of the last row it read, None for the beginning."""

    after: tuple[Any, ...] | None = None


def _past(order: tuple[Any, ...], after: tuple[Any, ...]) -> Any:
    """Rows after ``after`` in ``order``. The row-value comparison is exact; the
    bound on the first key alone is what SQLite reads as a range of the order's index
    (it scans the index from its start for a row value over an expression)."""
    # Typed as the columns: a spread key past 2**31 is no INTEGER (PostgreSQL casts
    # an untyped int parameter to INTEGER).
    bound = [literal(value, column.type) for value, column in zip(after, order, strict=True)]
    if len(order) == 1:
        return order[0] > bound[0]
    return and_(order[0] >= bound[0], tuple_(*order) > tuple_(*bound))


def _win(session: Session, model: Leased, conditions: Sequence[Any], size: int, token: str,
         now: dt.datetime, until: dt.datetime, postgres: bool, cursor: _Cursor) -> list[Any]:
    """Lease up to ``size`` rows, the next ones in claim order after ``cursor``: an
    index range read of about one batch, where ``ORDER BY random()`` sorted every
    due row at each claim (0.9 to 3.2 s at 1,000,000 links). At the end of the order
    the cursor starts again from the beginning, once per claim: that pass finds the
    rows other runs held when we passed them and have freed since, and those that
    became due meanwhile; a claim returns nothing only when that pass finds nothing.

    Another run may win some of the rows we select (our UPDATE then changes
    nothing): select again past them, a few times."""
    won: list[Any] = []
    key = model.id
    order = _order(model)
    free = _free(model, now, token)
    # Links as plain rows of the columns a Target needs: loading ORM objects was half
    # of a claim's cost (py-spy, 10,000 links).
    what: Any = (*_LINK_COLUMNS, _LINK_SPREAD.label("spread")) if model is m.Link else (model,)
    wrapped = False
    for _attempt in range(6):
        start, room = cursor.after, size - len(won)
        stmt: Any = select(*what).where(*conditions, free)
        if start is not None:
            stmt = stmt.where(_past(order, start))
        stmt = stmt.order_by(*order).limit(room)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        rows: list[Any] = (list(session.execute(stmt)) if model is m.Link
                           else list(session.scalars(stmt)))
        if rows:
            last = rows[-1]
            cursor.after = (last.spread, last.id) if model is m.Link else (last.id,)
            ids = [row.id for row in rows]
            # One UPDATE for the batch, under the same conditions (on SQLite another
            # run may have taken or checked a row since we read it); the rows that
            # now name us are the ones we won.
            session.execute(update(model).where(among(session, key, ids), free, *conditions)
                            .values(lease_until=until, lease_owner=token)
                            .execution_options(synchronize_session=False))
            mine = set(session.scalars(select(key).where(among(session, key, ids),
                                                         model.lease_owner == token)))
            won += [row for row in rows if row.id in mine]
        if len(won) >= size:
            break
        if len(rows) < room:  # the end of the order
            if start is None or wrapped:  # read from the beginning: nothing more
                break
            cursor.after, wrapped = None, True
    return won


# -- recording and releasing ---------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One check to write: its result and the target's next schedule."""

    target: Target
    outcome: str
    checked_at: dt.datetime
    state: str  # the link state the schedule gives (a tweet's status links take it)
    streak: int
    failing_since: dt.datetime | None
    next_check_at: dt.datetime
    status: int | None = None
    final_url: str | None = None
    similarity: float | None = None
    latency_ms: int | None = None
    error: str | None = None
    wayback_url: str | None = None
    tweet_state: str | None = None  # a tweet's new state; None keeps it


def _held(session: Session, model: Leased, ids: list[Any], token: str) -> set[Any]:
    """Which of ``ids`` we still hold, made stable until our commit: the first
    statement is a write, which locks those rows (PostgreSQL) or the database
    (SQLite), so no lease can change hands between this look and our writes."""
    if not ids:
        return set()
    session.execute(update(model).where(among(session, model.id, ids), model.lease_owner == token)
                    .values(lease_owner=token).execution_options(synchronize_session=False))
    return set(session.scalars(select(model.id).where(among(session, model.id, ids),
                                                      model.lease_owner == token)))


def record(db: Database, owner: Owner, findings: list[Finding]) -> list[bool]:
    """Append the checks and move each target's schedule, in one short transaction,
    only where the row is still leased to us; False for a finding dropped because
    another run took the row over.

    Links are written in two statements for the whole batch (one multi-row INSERT
    of the checks, one executemany UPDATE of the links), not one ORM object per
    result: per-row ORM work was 44 % of the GIL in a 10,000-link check."""
    if not findings:
        return []
    with owner.mutex, db.transaction() as session:
        links = _held(session, m.Link, [f.target.link_id for f in findings
                                        if f.target.tweet_id is None], owner.token)
        tweets = _held(session, m.Tweet, [f.target.tweet_id for f in findings
                                          if f.target.tweet_id is not None], owner.token)
        kept = []
        link_findings: list[Finding] = []
        for f in findings:
            t = f.target
            held = tweets if t.tweet_id is not None else links
            key = t.tweet_id if t.tweet_id is not None else t.link_id
            ours = key in held
            kept.append(ours)
            if ours:
                if t.tweet_id is None:
                    link_findings.append(f)
                else:
                    _write_tweet(session, f)
                held.discard(key)  # written: the lease is gone, a second finding is dropped
        _write_links(session, link_findings)
    return kept


# A mapped class's table is a Table; the declarative base types it as any FromClause.
_LINK = cast(Table, m.Link.__table__)
_LINK_CHECK = cast(Table, m.LinkCheck.__table__)
_SET_LINK = update(_LINK).where(_LINK.c.id == bindparam("b_id")).values(
    check_streak=bindparam("b_streak"), failing_since=bindparam("b_since"),
    next_check_at=bindparam("b_next"), last_checked_at=bindparam("b_checked"),
    lease_until=None, lease_owner=None, state=bindparam("b_state"),
    wayback_url=func.coalesce(bindparam("b_wayback", type_=_LINK.c.wayback_url.type),
                              _LINK.c.wayback_url))


def _write_links(session: Session, findings: list[Finding]) -> None:
    if not findings:
        return
    conn = session.connection()  # Core, not the ORM's bulk insert: a quarter of the cost
    conn.execute(insert(_LINK_CHECK), [
        {"link_id": f.target.link_id, "tweet_id": None, "checked_at": f.checked_at,
         "outcome": f.outcome, "status": f.status, "final_url": f.final_url,
         "similarity": f.similarity, "latency_ms": f.latency_ms, "error": f.error}
        for f in findings])
    conn.execute(_SET_LINK, [
        {"b_id": f.target.link_id, "b_streak": f.streak, "b_since": f.failing_since,
         "b_next": f.next_check_at, "b_checked": f.checked_at, "b_state": f.state,
         "b_wayback": f.wayback_url} for f in findings])


def _write_tweet(session: Session, f: Finding) -> None:
    t = f.target
    row = session.get(m.Tweet, t.tweet_id)
    if row is None:
        return
    session.add(m.LinkCheck(
        link_id=t.link_id, tweet_id=t.tweet_id, checked_at=f.checked_at, outcome=f.outcome,
        status=f.status, final_url=f.final_url, similarity=f.similarity,
        latency_ms=f.latency_ms, error=f.error))
    row.check_streak, row.failing_since = f.streak, f.failing_since
    row.next_check_at, row.last_checked_at = f.next_check_at, f.checked_at
    row.lease_until, row.lease_owner = None, None
    row.state = f.tweet_state or row.state
    for link in session.scalars(select(m.Link).where(m.Link.tweet_id == row.id,
                                                     m.Link.kind == "status")):
        session.add(m.LinkCheck(link_id=link.id, tweet_id=row.id, checked_at=f.checked_at,
                                outcome=f.outcome, error=f.error, latency_ms=f.latency_ms))
        link.state, link.last_checked_at = f.state, f.checked_at
        link.next_check_at = f.next_check_at


def release(db: Database, owner: Owner, targets: list[Target]) -> None:
    """Free the leases of targets we will not check after all (an interrupted run)."""
    links = [t.link_id for t in targets if t.tweet_id is None]
    tweets = [t.tweet_id for t in targets if t.tweet_id is not None]
    if not links and not tweets:
        return
    with owner.mutex, db.transaction() as session:
        for model, ids in ((m.Link, links), (m.Tweet, tweets)):
            if ids:
                session.execute(update(model).where(
                    among(session, model.id, ids), model.lease_owner == owner.token,
                ).values(lease_owner=None, lease_until=None))


# -- what others hold -----------------------------------------------------------------
@dataclass(frozen=True)
class Outstanding:
    """Selected targets that other runs hold leases on (and this run left to them)."""

    count: int
    owners: tuple[OwnerInfo, ...]  # the known holders; a lease of an older archiver names none


def leased_by_others(db: Database, owner: Owner, selection: Selection,
                     started: dt.datetime) -> Outstanding:
    now = _now()
    filters: list[tuple[Leased, Callable[..., Any]]] = [(m.Link, link_filter)]
    if selection.domain is None:
        filters.append((m.Tweet, tweet_filter))
    count, tokens = 0, set[str]()
    with db.reader() as session:
        for model, make in filters:
            held = and_(model.lease_until >= now,
                        or_(model.lease_owner.is_(None), model.lease_owner != owner.token))
            for token, n in session.execute(
                    select(model.lease_owner, func.count())
                    .where(*make(selection, now, started), held).group_by(model.lease_owner)):
                count += n
                if token:
                    tokens.add(token)
        owners: list[m.LeaseOwner] = (list(session.scalars(
            select(m.LeaseOwner).where(m.LeaseOwner.token.in_(tokens)))) if tokens else [])
        return Outstanding(count, tuple(_info(row) for row in owners))
