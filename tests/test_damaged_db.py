"""A damaged, newer or lost database is one line naming it, exit 1, for every command.

Each damaged form is made the way it happens to people: a SQLite file cut short
(a partial copy, a full disk), overwritten by another file, with pages overwritten
in the middle; a database upgraded by a newer archiver; a database file emptied
or deleted in a data folder full of blobs. Every command that opens the database
must then say so in one line, exit 1, print no traceback, and leave the file as
it found it (nothing repaired, nothing created in its place).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archiver.store import db as store_db
from tests.cli_helpers import run
from tests.conftest import backend

COMMANDS = [
    ("archive", "--offline", "{seed}"),
    ("citations",),
    ("articles",),
    ("tweets",),
    ("show", "1"),
    ("links",),
    ("check",),
    ("report",),
    ("resolve",),
    ("db", "upgrade"),
]
# PostgreSQL has no file to cut or overwrite: a newer schema and a lost one are its forms.
FORMS = (["truncated", "overwritten", "overwritten-pages", "newer", "emptied", "deleted"]
         if backend() == "sqlite" else ["newer", "emptied"])


def _sqlite_file(db_url: str) -> Path:
    return Path(make_url(db_url).database)  # type: ignore[arg-type]


def _archived(home: Path, db_url: str, seed_path: Path) -> None:
    result = run(home, db_url, "archive", "--offline", str(seed_path))
    assert result.exit_code == 0, result.output
    assert any((home / "blobs").rglob("*")), "the seed's bytes are kept as a blob"


def _damage(form: str, db_url: str) -> None:
    if backend() == "sqlite":
        path = _sqlite_file(db_url)
        for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            extra.unlink(missing_ok=True)  # the last run checkpointed: only the file is left
        data = path.read_bytes()
        damaged = {
            "truncated": lambda: data[: len(data) // 2],
            "overwritten": lambda: os.urandom(len(data)),
            "overwritten-pages": lambda: data[:8192] + os.urandom(len(data) - 8192),
            "emptied": lambda: b"",
        }
        if form == "deleted":
            path.unlink()
        elif form == "newer":
            conn = sqlite3.connect(path)
            conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
            conn.commit()
            conn.close()
        else:
            path.write_bytes(damaged[form]())
        return
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            if form == "newer":
                conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
            else:  # emptied: the schema wiped (tables, and the job queue's types and
                # functions with them), as a fresh or wiped schema would be
                schema = conn.execute(text("SELECT current_schema()")).scalar_one()
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def _expected(form: str, db_url: str, home: Path) -> str:
    where = store_db.describe(db_url)
    if form in ("truncated", "overwritten", "overwritten-pages"):
        return f"{where} is damaged"
    if form == "newer":
        return f"{where} was written by a newer archiver (revision 0099_future)"
    return f"refusing to start a new database beside existing blobs in {home}"


def _snapshot(db_url: str) -> bytes | None:
    if backend() != "sqlite":
        return None
    path = _sqlite_file(db_url)
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_refuses_a_damaged_database_in_one_line(
        form, command, home, db_url, seed_path):
    _archived(home, db_url, seed_path)
    _damage(form, db_url)
    before = _snapshot(db_url)
    args = [part.format(seed=seed_path) for part in command]
    result = run(home, db_url, *args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archiver: error: ")
    assert _expected(form, db_url, home) in lines[0]
    assert "Traceback" not in result.output
    assert _snapshot(db_url) == before  # refused as found: nothing repaired or created


def test_detect_needs_no_database(home, db_url, seed_path):
    _archived(home, db_url, seed_path)
    _damage("newer", db_url)
    result = run(home, db_url, "detect", str(seed_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"handle": "SVNewsAlerts"' in result.stdout


def test_start_over_is_deliberate(home, db_url, seed_path):
    _archived(home, db_url, seed_path)
    _damage("emptied", db_url)
    refused = run(home, db_url, "articles")
    assert refused.exit_code == 1 and "refusing to start a new database" in refused.stderr
    started = run(home, db_url, "db", "upgrade", "--start-over")
    assert started.exit_code == 0, started.output
    assert "(upgraded)" in started.stdout
    again = run(home, db_url, "archive", "--offline", "--format", "json", str(seed_path))
    assert again.exit_code == 0, again.output
    assert '"article_id": 1' in again.stdout


def test_a_new_data_folder_is_not_refused(home, db_url):
    result = run(home, db_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "(upgraded)" in result.stdout


def test_a_database_failure_mid_run_is_one_line(home, db_url, seed_path, monkeypatch):
    """SQLite: another process holds the write lock past the busy timeout.
    PostgreSQL: the server ends the session in the middle of a transaction."""
    _archived(home, db_url, seed_path)
    if backend() == "sqlite":
        monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
        holder = sqlite3.connect(_sqlite_file(db_url), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            result = run(home, db_url, "archive", "--offline", str(seed_path))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert result.exit_code == 1, result.output
        [line] = result.stderr.strip().splitlines()
        assert f"database {_sqlite_file(db_url)}: database is locked" in line
        return
    database = store_db.Database(db_url)
    admin = create_engine(db_url)
    try:
        with pytest.raises(store_db.DatabaseError) as caught, database.transaction() as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with admin.begin() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            session.execute(text("SELECT count(*) FROM article"))
    finally:
        admin.dispose()
        database.dispose()
    message = str(caught.value)
    assert message.startswith(f"database {store_db.describe(db_url)}: ")
    assert "\n" not in message and "terminat" in message
