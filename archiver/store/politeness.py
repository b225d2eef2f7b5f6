"""Per-host politeness shared by every worker, in PostgreSQL.

One process keeps a host to ``per_host_concurrency`` fetches at once with a
semaphore (net/http.py); ten workers would send ten times that. Here each of the
host's slots is a PostgreSQL advisory lock: a fetch holds one for its duration,
on a connection of its own, so a killed worker's slots are freed by the server
the moment its connections drop, and nothing is ever left to expire. The start
of fetches to a host is paced by one row per host (``archiver_host_pace``): an
atomic "next start = max(next start, now) + delay" tells each fetch how long to wait.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

WAIT_FIRST, WAIT_MOST = 0.002, 0.05  # seconds between tries for a slot (doubling)

PACE = text(
    "INSERT INTO archiver_host_pace AS p (host, next_start) "
    "VALUES (:host, clock_timestamp() + make_interval(secs => :delay)) "
    "ON CONFLICT (host) DO UPDATE SET next_start = "
    "greatest(p.next_start, clock_timestamp()) + make_interval(secs => :delay) "
    "RETURNING extract(epoch FROM (p.next_start - make_interval(secs => :delay) "
    "- clock_timestamp()))")


class SharedHostSlots:
    """``with slots(host):`` waits for one of the host's slots across all workers."""

    def __init__(self, url: str, per_host: int, delay: float, connections: int) -> None:
        self.per_host = max(per_host, 1)
        self.delay = delay
        self.engine: Engine = create_engine(
            url, pool_size=max(connections, 1), max_overflow=connections,
            isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with self.engine.connect() as conn:  # advisory locks are per database: name the schema
            self._space = str(conn.scalar(text("SELECT current_schema()")))

    def _key(self, host: str, slot: int) -> int:
        digest = hashlib.blake2b(f"{self._space}\0{host}\0{slot}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big", signed=True)

    @contextmanager
    def __call__(self, host: str) -> Iterator[None]:
        conn = self.engine.connect()
        key = None
        try:
            pause = WAIT_FIRST
            while key is None:
                for slot in random.sample(range(self.per_host), self.per_host):
                    candidate = self._key(host, slot)
                    if conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": candidate}):
                        key = candidate
                        break
                else:
                    time.sleep(pause * random.uniform(0.5, 1.5))
                    pause = min(pause * 2, WAIT_MOST)
            if self.delay > 0:
                wait = float(conn.scalar(PACE, {"host": host, "delay": self.delay}) or 0)
                if wait > 0:
                    time.sleep(wait)
            yield
        finally:
            try:
                if key is not None:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except Exception:  # noqa: BLE001 - a broken connection: drop it, lock and all
                conn.invalidate()
            finally:
                conn.close()

    def close(self) -> None:
        self.engine.dispose()
