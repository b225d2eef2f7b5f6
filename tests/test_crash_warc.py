"""A WARC is published only when the rows naming it are committed, whatever moment a
run is killed at; temporary files of dead runs are cleared, those of live ones kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store.blobs import BlobStore
from tests import runs_helpers as rh
from tests.test_resolve import warcio_check

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "10"}


def _warc_rows(db_url: str) -> dict[str, str]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return {w.name: w.state for w in session.scalars(select(m.WarcFile))}
    finally:
        engine.dispose()


def _assert_consistent(home, db_url) -> None:  # type: ignore[no-untyped-def]
    """Every WARC in the folder is named by committed rows and published, and
    every WARC the rows name is there and reads clean; no temporary file is left."""
    names = rh.warc_names(home)
    assert set(names) == rh.referenced_warcs(db_url)
    assert _warc_rows(db_url) == {name: "published" for name in names}
    for name in names:
        check = warcio_check(home / "warcs" / name)
        assert check.returncode == 0, check.stdout + check.stderr
    assert rh.leftovers(home) == []


@pytest.mark.parametrize("point", ["run:fetched", "run:before_commit"])
def test_killed_before_commit_leaves_nothing_and_rerun_writes_one_warc(
        home, db_url, seed_path, fakeweb, point):
    env = {**fakeweb.env(), **FAST}
    killed = rh.run(home, db_url, "archive", str(seed_path),
                    env={**env, "ARCHIVER_CRASHPOINT": point})
    assert killed.returncode == -signal.SIGKILL
    assert rh.count(db_url, m.Article) == 0 and rh.count(db_url, m.Capture) == 0
    assert rh.warc_names(home) == []  # nothing published that no row names
    again = rh.run(home, db_url, "archive", str(seed_path), env=env)
    assert again.returncode == 0, again.stderr
    assert len(rh.warc_names(home)) == 1  # one copy, not two
    _assert_consistent(home, db_url)


@pytest.mark.parametrize("point", ["run:committed", "run:published"])
def test_killed_after_commit_is_finished_by_the_next_run(home, db_url, seed_path, fakeweb,
                                                          point):
    env = {**fakeweb.env(), **FAST}
    killed = rh.run(home, db_url, "archive", str(seed_path),
                    env={**env, "ARCHIVER_CRASHPOINT": point})
    assert killed.returncode == -signal.SIGKILL
    [name] = rh.referenced_warcs(db_url)
    assert _warc_rows(db_url) == {name: "pending"}
    hits = len(fakeweb.hits)
    again = rh.run(home, db_url, "resolve", env=env)  # any run tidies first
    assert again.returncode == 0, again.stderr
    assert len(fakeweb.hits) == hits  # everything was committed: nothing fetched again
    assert rh.warc_names(home) == [name]
    _assert_consistent(home, db_url)


def test_only_dead_runs_temporary_files_are_removed(home, db_url, seed_path):
    blobs = home / "blobs"
    code = ("import os, sys; from pathlib import Path; from archiver.store.blobs import BlobStore\n"
            "w = BlobStore(Path(sys.argv[1])).writer(); w.write(b'half a body')\n"
            "os.kill(os.getpid(), 9)\n")
    subprocess.run([sys.executable, "-c", code, str(blobs)], check=False)
    [dead] = [p.name for p in blobs.glob(".tmp-*")]
    live = BlobStore(blobs).writer()  # this process is alive and holds its lock
    live.write(b"being written")
    try:
        done = rh.run(home, db_url, "archive", "--offline", str(seed_path))
        assert done.returncode == 0, done.stderr
        left = [p.name for p in blobs.glob(".tmp-*")]
        assert dead not in left
        assert left == [os.path.basename(live._tmp)]
    finally:
        live.abort()
    assert rh.leftovers(home) == []
