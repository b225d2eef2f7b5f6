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
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from archiver.store import models as m
from tests.conftest import TEST_DB_ENV

RUNS = 3
ROUNDS = 3
CLI = [sys.executable, "-c", "from archiver.cli import main; main()"]


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
        procs = []
        for home, url, _schema in rounds:
            env = {**os.environ, "ARCHIVER_HOME": str(home)}
            if url:
                env["ARCHIVER_DATABASE_URL"] = url
            procs.append([subprocess.Popen(
                [*CLI, "archive", "--offline", "--format", "json", str(seed_path)], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for _ in range(RUNS)])
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
