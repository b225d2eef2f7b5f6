"""Memory of `archiver check --all` over many stored links: does it stay flat?

Generates N links (default 1,000,000) straight into a fresh PostgreSQL schema
(COPY, no archiving: the links have no kept copy, so nothing is compared but
status and the host's not-found answer), starts a tiny web on a few loopback
hosts that answers every link (9 in 10 with 200 and a small page, 1 in 10 with
404, unknown paths 404), and times `archiver check --all`, sampling the peak RSS
of its process tree as run.py does. Prints links/s, CPU and peak RSS; with
``--steps 100000,300000,1000000`` it runs each size in turn (on the same schema,
links added), so the peaks can be compared.

    python benchmarks/million.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test

The schema is dropped at the end (``--keep`` keeps it). Politeness is relaxed for
this run only (``ARCHIVER_PER_HOST_DELAY=0``): it measures memory, not manners.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import ClassVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # the benchmark's timing and RSS sampling

PAGE = (b"<!doctype html><html><head><title>Page</title></head><body><article>"
        b"<h1>A page</h1><p>" + b"Words of a page that is still there. " * 20
        + b"</p></article></body></html>")


class TinyWeb:
    """200 for /p/<n> unless n % 10 == 9 (404); 404 for anything else. Keep-alive."""

    def __init__(self, hosts: int) -> None:
        self.hosts = [f"127.0.2.{i + 1}" for i in range(hosts)]
        self.port = 0
        self.requests = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        web = self

        class Proto(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.t = transport
                self.buf = b""

            def data_received(self, data: bytes) -> None:
                self.buf += data
                while b"\r\n\r\n" in self.buf:
                    head, self.buf = self.buf.split(b"\r\n\r\n", 1)
                    method, path = head.split(b" ", 2)[:2]
                    web.requests += 1
                    ok = path.startswith(b"/p/") and not path.endswith(b"9")
                    body = PAGE if ok else b"<html><body><p>Not here.</p></body></html>"
                    status = b"200 OK" if ok else b"404 Not Found"
                    out = (b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\n"
                           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
                    self.t.write(out + (b"" if method == b"HEAD" else body))  # type: ignore[attr-defined]

        loop = asyncio.get_running_loop()
        sock0 = socket.socket()
        sock0.bind((self.hosts[0], 0))
        self.port = sock0.getsockname()[1]
        sock0.listen(1024)
        servers = [await loop.create_server(Proto, sock=sock0)]
        for host in self.hosts[1:]:
            servers.append(await loop.create_server(Proto, host, self.port, backlog=1024))
        self._ready.set()
        await asyncio.Event().wait()


def fill(url: str, schema: str, start: int, stop: int, web: TinyWeb, run: int = 1) -> None:
    """COPY links start..stop-1 into the schema, over the web's hosts in runs of
    ``run`` consecutive links per host (as archives hold them: an article's links,
    a site's pages), so that a claim has to spread its batch over hosts itself."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        buf = io.StringIO()
        now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
        for i in range(start, stop):
            host = web.hosts[(i // run) % len(web.hosts)]
            u = f"http://{host}:{web.port}/p/{i}"
            buf.write(f"{u}\t{u}\texternal\t{host}\tunchecked\t0\t"
                      f"{now}\n")
        buf.seek(0)
        with cur.copy("COPY link (normalized, url, kind, domain, state, check_streak, created_at) "
                      "FROM STDIN") as copy:
            while chunk := buf.read(1 << 20):
                copy.write(chunk)
        cur.execute("ANALYZE link")


def claim_ms(url: str, size: int = 1000, times: int = 3,
             explain: bool = False) -> tuple[float, int]:
    """Median milliseconds of a claim of ``size`` links as `check --all` makes it
    (store/leases.py, reclaim included), and the hosts the last batch spans; the
    leases are freed after each. With ``explain``, print EXPLAIN ANALYZE of the last
    claim's SELECT, and of the same ordered by random() (the claim before 0012)."""
    import datetime as dt
    import re
    import statistics

    from sqlalchemy import event

    from archiver.store import leases
    from archiver.store.db import Database
    from archiver.store.targets import Selection

    db = Database(url)
    seen: list[tuple[str, object]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _keep(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT link.id, link.normalized"):
            seen[:] = [(statement, params)]

    owner = leases.Owner.register(db)
    spent, hosts = [], 0
    try:
        started = dt.datetime.now(dt.UTC)
        for _ in range(times):
            t0 = time.perf_counter()
            got = leases.claim(db, owner, Selection(due=False), size, started,
                               dt.timedelta(minutes=5))
            spent.append(1000 * (time.perf_counter() - t0))
            hosts = len({t.url.split("/")[2] for t in got.targets})
            leases.release(db, owner, got.targets)
        if explain and seen:
            statement, params = seen[0]
            at_random = re.sub(r"AND link.id %+ \d+ .*? ORDER BY .*?link.id \n",
                               "ORDER BY random() \n", statement, flags=re.DOTALL)
            with db.engine.connect() as conn:
                for name, sql in (("claim", statement), ("ORDER BY random()", at_random)):
                    plan = [r[0] for r in conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]  # type: ignore[arg-type]
                    conn.rollback()
                    bench.log(f"EXPLAIN ANALYZE, {name}:\n    " + "\n    ".join(plan))
    finally:
        owner.close()
        db.dispose()
    return statistics.median(spent), hosts


class _TracingSampler(bench.RssSampler):
    """run.py's sampler, also logging the tree's RSS and the requests served every
    30 s: growth with the number of links shows as a trend, not only as a peak."""

    web: ClassVar[TinyWeb | None] = None
    trace: ClassVar[list[tuple[int, int, int]]] = []

    def __init__(self, pid: int) -> None:
        super().__init__(pid)
        self._t0 = time.monotonic()

    def sample(self) -> None:
        super().sample()
        if self._ticks % int(30 / bench.RSS_SAMPLE_SECONDS) == 1 and self.web is not None:
            rss = sum(bench._proc_status_kib(pid)[0] for pid in self._tree) // 1024
            point = (round(time.monotonic() - self._t0), self.web.requests, rss)
            self.trace.append(point)
            bench.log(f"  {point[0]} s: {point[1]} requests served, RSS {rss} MiB")


def _summary(text: str) -> dict:
    """The run's summary from `check --format json`: a list of one object (older
    archivers printed the object alone on its last line)."""
    try:
        got = json.loads(text)
    except ValueError:
        lines = [ln for ln in text.splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    return got[-1] if isinstance(got, list) and got else got if isinstance(got, dict) else {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="a PostgreSQL SQLAlchemy URL (a schema is "
                    "made in it and dropped after)")
    ap.add_argument("--steps", default="1000000",
                    help="comma-separated link counts, run in turn (links added)")
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--host-run", type=int, default=100,
                    help="consecutive links per host as stored (1: hosts interleaved)")
    ap.add_argument("--concurrency", type=int, default=256, help="archiver check --concurrency (its default)")
    ap.add_argument("--keep", action="store_true", help="keep the schema")
    ap.add_argument("--explain", action="store_true",
                    help="print EXPLAIN ANALYZE of a claim at each step (and of ORDER BY random())")
    ap.add_argument("--json", help="write the results as JSON here")
    args = ap.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    bench.TOOL_TIMEOUT = 6 * 3600  # a million links take a while
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"million_{uuid.uuid4().hex[:8]}"
    engine = create_engine(args.db)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db_url = make_url(args.db).update_query_dict({"options": f"-csearch_path={schema}"})
    home = Path(f"/tmp/{schema}")
    home.mkdir()
    env = bench.archiver_env(2.0)
    env["ARCHIVER_DATABASE_URL"] = db_url.render_as_string(hide_password=False)
    env["ARCHIVER_PER_HOST_DELAY"] = "0"
    web = TinyWeb(args.hosts)
    _TracingSampler.web = web
    bench.RssSampler = _TracingSampler  # type: ignore[misc]  # timed() samples with it
    results = []
    try:
        # Creates the tables (migrations on first use).
        subprocess.run([*bench.archiver_cmd(), "--home", str(home), "links", "--format",
                        "json"], env=env, check=True, capture_output=True)
        have = 0
        for n in steps:
            t0 = time.perf_counter()
            fill(args.db, schema, have, n, web, args.host_run)
            have = n
            bench.log(f"{n} links stored ({time.perf_counter() - t0:.0f} s to generate)")
            claim, spans = claim_ms(env["ARCHIVER_DATABASE_URL"], explain=args.explain)
            bench.log(f"a claim of 1,000 links: {claim:.1f} ms (median of 3), {spans} hosts")
            run = bench.Run(f"archiver check, {n} links")

            class _Web:  # what bench.timed wants of a web
                def control(self, path: str, **q: object) -> dict:
                    return {"requests": web.requests}

                def cpu_seconds(self) -> float:
                    return 0.0

            before = web.requests
            out, err = home / f"check-{n}.out", home / f"check-{n}.err"
            done = bench.timed(run, _Web(), [*bench.archiver_cmd(), "--home", str(home),  # type: ignore[arg-type]
                                             "check", "--all", "--concurrency",
                                             str(args.concurrency), "--format", "json"],
                               env, out, err)
            summary = _summary(out.read_text()) if done else {}
            row = {"links": n, "checked": summary.get("checked"), "seconds": round(run.seconds, 1),
                   "links_per_s": round((summary.get("checked") or 0) / run.seconds),
                   "cpu_ms_per_link": round(1000 * run.tool_cpu / max(summary.get("checked") or 1, 1), 2),
                   "peak_rss_mib": round(run.peak_rss_kib / 1024), "requests": web.requests - before,
                   "outcomes": summary.get("outcomes"), "exit": done.returncode if done else None,
                   "claim_ms": round(claim, 1), "claim_hosts": spans,
                   "rss_trace": _TracingSampler.trace[:]}
            _TracingSampler.trace.clear()
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if not args.keep:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"load average at end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
