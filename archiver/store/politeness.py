"""Per-host politeness shared by every worker, in PostgreSQL.

One process keeps a host to ``per_host_concurrency`` fetches at once with a
semaphore (net/http.py); ten workers would send ten times that. Here a host has
``per_host_concurrency`` rows in ``archiver_host_slot``; a fetch takes a free one
(one UPDATE that only one process can win: ``FOR UPDATE SKIP LOCKED``) and frees
it when done. A slot is leased, not held by a connection: a dozen workers of
thirty threads each need no more than a few pooled connections, and the slots of
a worker killed mid-fetch free themselves when their lease ends (a fetch never
outlasts ``total_timeout``, so the lease is that plus a margin).

The starts of fetches to a host are paced by one row per host
(``archiver_host_pace``): an atomic "next start = max(next start, now) + delay"
tells each fetch how long to wait.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

WAIT_FIRST, WAIT_MOST = 0.002, 0.05  # seconds between tries for a slot (doubling)
LEASE_MARGIN = 10.0  # seconds a slot's lease outlasts the longest fetch

MAKE_SLOTS = text(
    "INSERT INTO archiver_host_slot (host, slot) SELECT :host, s FROM generate_series(0, :k - 1) s "
    "ON CONFLICT DO NOTHING")
TAKE = text(
    "UPDATE archiver_host_slot SET holder = :me, "
    "until = clock_timestamp() + make_interval(secs => :lease) "
    "WHERE (host, slot) = (SELECT host, slot FROM archiver_host_slot "
    "  WHERE host = :host AND slot < :k AND (holder IS NULL OR until < clock_timestamp()) "
    "  LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING slot")
GIVE_BACK = text("UPDATE archiver_host_slot SET holder = NULL, until = NULL "
                 "WHERE host = :host AND slot = :slot AND holder = :me")
PACE = text(
    "INSERT INTO archiver_host_pace AS p (host, next_start) "
    "VALUES (:host, clock_timestamp() + make_interval(secs => :delay)) "
    "ON CONFLICT (host) DO UPDATE SET next_start = "
    "greatest(p.next_start, clock_timestamp()) + make_interval(secs => :delay) "
    "RETURNING extract(epoch FROM (p.next_start - make_interval(secs => :delay) "
    "- clock_timestamp()))")


class SharedHostSlots:
    """``with slots(host):`` waits for one of the host's slots across all workers."""

    def __init__(self, url: str, per_host: int, delay: float, longest_fetch: float,
                 connections: int = 4) -> None:
        self.per_host = max(per_host, 1)
        self.delay = delay
        self.lease = longest_fetch + LEASE_MARGIN
        self.me = uuid.uuid4().hex
        self.engine: Engine = create_engine(
            url, pool_size=max(connections, 1), max_overflow=0, pool_timeout=300,
            isolation_level="AUTOCOMMIT")
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def _take(self, host: str) -> tuple[int | None, float]:
        with self.engine.connect() as conn:
            with self._lock:
                known = host in self._known
            if not known:
                conn.execute(MAKE_SLOTS, {"host": host, "k": self.per_host})
                with self._lock:
                    self._known.add(host)
            slot = conn.scalar(TAKE, {"me": self.me, "lease": self.lease, "host": host,
                                      "k": self.per_host})
            wait = 0.0
            if slot is not None and self.delay > 0:
                wait = float(conn.scalar(PACE, {"host": host, "delay": self.delay}) or 0)
            return (None if slot is None else int(slot)), wait

    @contextmanager
    def __call__(self, host: str) -> Iterator[None]:
        pause = WAIT_FIRST
        slot, wait = self._take(host)
        while slot is None:
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, WAIT_MOST)
            slot, wait = self._take(host)
        if wait > 0:  # our start, paced after the others' (the connection is back in the pool)
            time.sleep(wait)
        try:
            yield
        finally:
            with self.engine.connect() as conn:
                conn.execute(GIVE_BACK, {"host": host, "slot": slot, "me": self.me})

    def close(self) -> None:
        with self.engine.connect() as conn:  # a clean stop frees what it may still hold
            conn.execute(text("UPDATE archiver_host_slot SET holder = NULL, until = NULL "
                              "WHERE holder = :me"), {"me": self.me})
        self.engine.dispose()
