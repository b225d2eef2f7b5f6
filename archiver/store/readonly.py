"""A database opened for reading only, for ``archiver serve``.

The web view must never change the archive: not by a page, not by a bug. So its
connections refuse writes in the database itself (``PRAGMA query_only`` on
SQLite, ``default_transaction_read_only`` on PostgreSQL), and opening it neither
creates a file nor upgrades the schema: an archive that is missing or older than
this archiver is a one-line error instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from archiver.errors import DatabaseError
from archiver.store.db import (
    alembic_config,
    check_sqlite_file,
    current_revision,
    database_errors,
    describe,
    make_engine,
    sqlite_path,
)


class ReadOnlyDatabase:
    def __init__(self, url: str) -> None:
        self.where = describe(url)
        path = sqlite_path(url)
        if path is not None:
            if not path.exists() or path.stat().st_size == 0:
                raise DatabaseError(f"{path}: no archive there yet (run `archiver archive` "
                                    "first, or give --home/--db)")
            check_sqlite_file(path)
        self.engine = make_engine(url)
        event.listen(self.engine, "connect", _refuse_writes)
        try:
            with database_errors(self.where, opening=True):
                revision = current_revision(self.engine)
            head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            if revision != head:
                raise DatabaseError(
                    f"{self.where} is at schema {revision or 'none'}, this archiver reads "
                    f"{head}: run `archiver db upgrade` first")
        except BaseException:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with database_errors(self.where), self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _refuse_writes(dbapi_conn: Any, _record: object) -> None:
    module = type(dbapi_conn).__module__
    cur = dbapi_conn.cursor()
    if module.startswith("sqlite3"):
        cur.execute("PRAGMA query_only = ON")
    else:
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_conn.commit()
    cur.close()
