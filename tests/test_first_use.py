"""Runs started together on a brand-new data folder: the schema is made once.

Before the schema lock, two ``archive`` runs started at the same moment on a new
data folder failed 4 times in 7 with "table article already exists". Here four
real processes start together on a fresh folder (and a fresh database), a few
times over: every one must succeed and the article must be stored once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from archiver.store import models as m
from tests.conftest import TEST_DB_ENV

RUNS = 4
ROUNDS = 3
# Each process imports archiver (slow), says it is ready, then waits for the word go:
# so that the runs really start together, not a few hundred milliseconds apart.
GATED_CLI = [sys.executable, "-c", """
import pathlib, sys, time
from archiver.cli import main
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.002)
sys.argv = ["archiver", *sys.argv[3:]]
main()
"""]


def _fresh_database(home: Path) -> tuple[str | None, str | None]:
    """(database URL, PostgreSQL schema to drop): SQLite is the folder's default."""
    base = os.environ.get(TEST_DB_ENV)
    if not base:
        return None, None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop(schema: str | None) -> None:
    if schema is None:
        return
    engine = create_engine(os.environ[TEST_DB_ENV])
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_runs_started_together_on_a_new_folder_all_succeed(tmp_path, seed_path):
    """Each of ROUNDS fresh folders gets RUNS processes at once; the rounds run side by
    side (they share nothing) so the test costs one round's time."""
    rounds = []
    try:
        for number in range(ROUNDS):
            home = tmp_path / f"round{number}"
            url, schema = _fresh_database(home)
            rounds.append((home, url, schema))
        go = tmp_path / "go"
        procs, ready = [], []
        for home, url, _schema in rounds:
            env = {**os.environ, "ARCHIVER_HOME": str(home)}
            if url:
                env["ARCHIVER_DATABASE_URL"] = url
            group = []
            for number in range(RUNS):
                ready.append(tmp_path / f"ready-{home.name}-{number}")
                group.append(subprocess.Popen(
                    [*GATED_CLI, str(ready[-1]), str(go), "archive", "--offline", "--format",
                     "json", str(seed_path)], env=env, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE, text=True))
            procs.append(group)
        while not all(flag.exists() for flag in ready):
            assert all(p.poll() is None for group in procs for p in group), "a run died early"
            time.sleep(0.01)
        go.touch()
        for (home, url, _schema), group in zip(rounds, procs, strict=True):
            outcomes = [(p.communicate()[1], p.returncode) for p in group]
            assert [code for _, code in outcomes] == [0] * RUNS, outcomes
            url = url or f"sqlite:///{home / 'archive.sqlite'}"
            assert _count(url, m.Article) == 1
            assert _count(url, m.ArticleVersion) == 1
            assert _count(url, m.Citation) == 4
    finally:
        for _home, _url, schema in rounds:
            _drop(schema)
