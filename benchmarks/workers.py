"""Throughput of `archiver worker` processes on one PostgreSQL queue (issue 13).

    python benchmarks/run.py workers [--links 10000] [--workers 1,2] [--db URL]
    python benchmarks/workers.py ...   (the same)

Starts benchmarks/linkweb.py in its "check" phase (links rotted, slow ones
included), stores its N links in a fresh PostgreSQL schema, then for each worker
count W: resets every link to never checked, queues `archiver check --queue`
(one job per 500 link ids) and times W `archiver worker --until-idle` processes
until the queue is empty. Prints links per second per W and the ratio to W=1,
the figure to read (the goal: >= 1.7x from the second worker on 2 cores). Each
worker runs the same --concurrency and --check-concurrency, so W workers have W
times the threads; per-host limits hold across workers (store/politeness.py),
with the per-host concurrency lifted to 64 so they are not what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESET = [
    "DELETE FROM link_check",
    "DELETE FROM archiver_job_failure",
    "DELETE FROM procrastinate_events",
    "DELETE FROM procrastinate_periodic_defers",
    "DELETE FROM procrastinate_jobs",
    ("UPDATE link SET next_check_at = NULL, last_checked_at = NULL, state = 'unchecked', "
    "check_streak = 0, failing_since = NULL, lease_until = NULL, lease_owner = NULL, "
     "wayback_url = NULL"),
]


def log(msg: str) -> None:
    print(f"[workers] {msg}", file=sys.stderr, flush=True)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from archiver.cli import main; main(sys.argv[1:])",
            *args]


def seed(db_url: str, urls: list[str]) -> None:
    from sqlalchemy import create_engine, insert
    from sqlalchemy.orm import Session

    from archiver.store import models as m

    engine = create_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.execute(insert(m.Link), [
                {"normalized": u, "url": u, "kind": "external", "domain": u.split("/")[2],
                 "state": "unchecked", "check_streak": 0} for u in urls])
    finally:
        engine.dispose()


def execute(db_url: str, statements: list[str]) -> list[object]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            return [conn.execute(text(s)).scalar() if s.startswith("SELECT")
                    else conn.execute(text(s)) and None for s in statements]
    finally:
        engine.dispose()


def one_round(db_url: str, env: dict[str, str], workers: int, concurrency: int,
              check_concurrency: int) -> dict[str, float]:
    execute(db_url, RESET)
    queued = subprocess.run(cli("check", "--queue"), env=env, capture_output=True, text=True,
                            check=False)
    if queued.returncode:
        sys.exit(f"check --queue failed: {queued.stderr}")
    started = time.monotonic()
    procs = [subprocess.Popen(cli("worker", "--until-idle", "--concurrency", str(concurrency),
                                  "--check-concurrency", str(check_concurrency)),
                              env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(workers)]
    for proc in procs:
        _out, err = proc.communicate(timeout=3600)
        if proc.returncode:
            sys.exit(f"a worker failed ({proc.returncode}): {err[-2000:]}")
    seconds = time.monotonic() - started
    checked = int(execute(db_url, ["SELECT count(*) FROM link_check"])[0] or 0)  # type: ignore[arg-type]
    return {"workers": workers, "seconds": round(seconds, 2), "checked": checked,
            "links_per_s": round(checked / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    from run import Web, archiver_env  # the link web and settings of the main benchmark
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated")
    ap.add_argument("--concurrency", type=int, default=2, help="jobs at once per worker")
    ap.add_argument("--check-concurrency", type=int, default=32,
                    help="checks at once per job")
    ap.add_argument("--db", default=os.environ.get("ARCHIVER_BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]

    schema = f"bench_workers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.db)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db_url = make_url(args.db).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    web = Web(args.links, args.hosts, args.timeout, workdir)
    results = []
    try:
        web.control("set", phase="check")
        env = {**archiver_env(args.timeout), "ARCHIVER_DATABASE_URL": db_url,
               "ARCHIVER_HOME": str(workdir / "home"), "ARCHIVER_PER_HOST_CONCURRENCY": "64",
               "ARCHIVER_PER_HOST_DELAY": "0"}
        up = subprocess.run(cli("db", "upgrade"), env=env, capture_output=True, text=True,
                            check=False)
        if up.returncode:
            sys.exit(f"db upgrade failed: {up.stderr}")
        seed(db_url, sorted(web.truth))
        log(f"{len(web.truth)} links on {args.hosts} hosts in schema {schema}")
        for n in counts:
            result = one_round(db_url, env, n, args.concurrency, args.check_concurrency)
            log(f"{n} worker(s): {result['checked']} links in {result['seconds']} s, "
                f"{result['links_per_s']} links/s")
            results.append(result)
    finally:
        web.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    base = results[0]["links_per_s"] if results else 0
    print(f"{'workers':>7} {'links':>6} {'seconds':>8} {'links/s':>8} {'vs 1':>6}")
    for r in results:
        ratio = r["links_per_s"] / base if base else 0
        r["ratio"] = round(ratio, 2)
        print(f"{r['workers']:>7} {r['checked']:>6} {r['seconds']:>8} {r['links_per_s']:>8} "
              f"{ratio:>5.2f}x")
    print(f"cores: {os.cpu_count()}, load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
