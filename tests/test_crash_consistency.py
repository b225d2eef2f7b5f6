"""kill -9 at named steps of archive, resolve and check, then run again: nothing lost,
nothing corrupted, nothing left behind.

Each case runs the command as a real process against the fake web with
``ARCHIVER_CRASHPOINT`` set, so that ``archiver.crashpoints.reached`` kills it with
SIGKILL at that step (the test first proves the process died there), then runs the
same command again normally and checks the invariants of a whole archive:

- SQLite's ``PRAGMA integrity_check`` is ``ok``;
- every blob a row refers to is present, and its bytes hash to its name;
- every WARC file is referenced by committed rows (and every referenced one
  exists), and ``warcio check`` accepts it;
- no orphan or temporary files: no ``.open`` WARC, no ``.tmp-`` blob, no blob
  that no row refers to;
- the work was done: every citation resolved (archive, resolve); every due target
  checked exactly once in the round made of the killed run and the re-run, and
  nothing left leased (check).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from archiver.store import models as m
from tests.cli_helpers import run
from tests.conftest import backend

CRASHPOINT = "ARCHIVER_CRASHPOINT"  # read by archiver.crashpoints.reached
CLI = [sys.executable, "-c", "from archiver.cli import main; main()"]
FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "5",
        "ARCHIVER_TIMEOUT_READ": "2"}


CASES = [
    pytest.param("archive", "blob:before_rename"),
    pytest.param("archive", "archive:stored"),
    pytest.param("archive", "resolve:citation_done"),
    pytest.param("archive", "run:before_commit"),
    pytest.param("archive", "run:published"),
    pytest.param("archive", "run:committed"),
    pytest.param("resolve", "resolve:citation_done"),
    pytest.param("resolve", "run:before_commit"),
    pytest.param("resolve", "run:published"),
    pytest.param("resolve", "run:committed"),
    pytest.param("check", "check:claimed"),
    pytest.param("check", "check:mid_batch"),
    pytest.param("check", "check:before_record"),
    pytest.param("check", "check:recorded"),
]


def _env(web, home: Path, db_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**web.env(), **FAST, "ARCHIVER_HOME": str(home), "ARCHIVER_DATABASE_URL": db_url}


def _command(name: str, seed: Path) -> list[str]:
    return {"archive": ["archive", str(seed)], "resolve": ["resolve"], "check": ["check"]}[name]


def _kill_at(point: str, args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([*CLI, *args], env={**os.environ, **env, CRASHPOINT: point},
                          capture_output=True, text=True, timeout=600, check=False)
    # The process must have died at the point, or the case proves nothing.
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stderr[-2000:])


def _warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from warcio.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "check", str(path)],
                          capture_output=True, text=True, check=False)


def _blob_path(home: Path, sha: str) -> Path:
    return home / "blobs" / sha[:2] / sha[2:4] / sha


def _assert_whole(home: Path, db_url: str) -> None:
    """The invariants every archive must keep, whatever was killed when."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            if backend() == "sqlite":
                assert session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
            captures = list(session.scalars(select(m.Capture)))
            referenced = {c.sha256 for c in captures if c.sha256}
            referenced |= {x for x in session.scalars(select(m.Media.sha256)) if x}
            referenced |= {x for x in session.scalars(select(m.Link.snapshot_text_sha256)) if x}
            warcs = {c.warc_file for c in captures if c.warc_file}
    finally:
        engine.dispose()
    for sha in referenced:
        blob = _blob_path(home, sha)
        assert blob.is_file(), f"missing blob {sha}"
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha, f"blob {sha} altered"
    on_disk = {p.name for p in (home / "warcs").glob("*.warc.gz")}
    assert warcs <= on_disk, f"rows point at missing WARCs: {warcs - on_disk}"
    assert on_disk <= warcs, f"WARCs no committed row refers to: {on_disk - warcs}"
    for name in on_disk:
        checked = _warcio_check(home / "warcs" / name)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    temp = [p for p in home.rglob("*") if p.name.endswith(".open") or ".tmp-" in p.name]
    assert temp == [], f"temporary files left: {temp}"
    blobs = {p.name for p in (home / "blobs").glob("??/??/*")}
    assert blobs <= referenced, f"blobs no row refers to: {sorted(blobs - referenced)[:3]}"


def _resolve_states(db_url: str) -> Counter[str]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return Counter(session.scalars(select(m.Citation.resolve_state)))
    finally:
        engine.dispose()


def _checks_and_leases(db_url: str) -> tuple[Counter[tuple], list, int]:  # type: ignore[type-arg]
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            checks = Counter((c.link_id, c.tweet_id) for c in session.scalars(
                select(m.LinkCheck).where(m.LinkCheck.tweet_id.is_(None)
                                          | m.LinkCheck.link_id.is_(None))))
            leased = [*session.scalars(select(m.Link.id).where(m.Link.lease_until.is_not(None))),
                      *session.scalars(select(m.Tweet.id).where(m.Tweet.lease_until.is_not(None)))]
            unchecked = len(list(session.scalars(select(m.Link.id).where(
                m.Link.kind != "status", m.Link.last_checked_at.is_(None)))))
            return checks, leased, unchecked
    finally:
        engine.dispose()


@pytest.mark.parametrize(("command", "point"), CASES)
def test_killed_then_run_again_leaves_a_whole_archive(command, point, home, db_url, seed_path,
                                                      fakeweb):
    env = _env(fakeweb, home, db_url)
    if command == "resolve":
        assert run(home, db_url, "archive", "--offline", str(seed_path)).exit_code == 0
    if command == "check":
        assert run(home, db_url, "archive", str(seed_path), env=env).exit_code == 0

    _kill_at(point, _command(command, seed_path), env)
    again = run(home, db_url, *_command(command, seed_path), env=env)
    assert again.exit_code == 0, again.output

    _assert_whole(home, db_url)
    if command in ("archive", "resolve"):
        assert _resolve_states(db_url) == {"resolved": 4}
    else:
        checks, leased, unchecked = _checks_and_leases(db_url)
        twice = {key: n for key, n in checks.items() if n > 1}
        assert twice == {}, f"checked twice in one round: {twice}"
        assert leased == [], f"left leased: {leased}"
        assert unchecked == 0, f"{unchecked} due link(s) skipped by the re-run"
