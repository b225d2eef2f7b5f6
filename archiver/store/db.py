"""Engine and sessions; the schema is created and upgraded by alembic on first use.

The migrations ship inside the package (``archiver.migrations``, mapped from the
top-level ``migrations/`` folder), so that ``pip install .`` upgrades a database
exactly as a source checkout does.

Opening a database refuses, in one line naming it, what would otherwise end in a
traceback or in silent loss:

- a damaged SQLite file (overwritten by something else, cut short, or with
  malformed pages met later in a run);
- a schema revision this archiver does not know (written by a newer archiver);
- a database without a schema beside a data folder that already holds blobs or
  WARCs: an emptied or lost database file would otherwise silently become a new,
  empty archive. ``archiver db upgrade --start-over`` starts one deliberately.

Creating or upgrading the schema holds a lock (a file lock beside the SQLite
file; a session advisory lock on PostgreSQL), so that runs started together on a
new data folder do not race to create the same tables. Errors of the database in
the middle of a run (locked, disk I/O, connection lost) leave the transaction
helpers as one ``DatabaseError`` line too.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from archiver.errors import DatabaseError, DiskFull

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The newest migration's revision (its file stem). An archive already there opens
# without importing alembic or reading the migrations (a third of a second of
# every command); tests/test_migrations.py checks it against alembic's head.
SCHEMA_HEAD = "0012_link_spread"

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another run's transaction
LOCK_SECONDS = 300  # longest wait for another process's schema upgrade
PG_LOCK_CLASS = 0x41524348  # "ARCH": first key of our advisory lock; the schema is the second
WRITER_OPTION = "archiver_writer"
_DAMAGED = ("malformed", "not a database", "file is encrypted")


def migrations_dir() -> Path:
    """Where the alembic scripts are: installed package first, then the checkout."""
    spec = importlib.util.find_spec("archiver.migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def sqlite_path(url: str) -> Path | None:
    """The SQLite file of ``url``, or None (another database, or in memory)."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):  # ValueError: a port that is no number
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def describe(url: str) -> str:
    """How messages name a database: its file for SQLite, its URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return url


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0].strip() if lines else type(orig).__name__


def as_database_error(exc: BaseException, where: str,
                      opening: bool = False) -> DatabaseError | None:
    """One line for a failure of the database itself; None for our own bugs
    (integrity or programming errors), which must stay loud."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    reason = _reason(exc)
    if isinstance(exc.orig, sqlite3.DatabaseError) and any(
            word in reason.lower() for word in _DAMAGED):
        return DatabaseError(f"{where} is damaged: {reason}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or (
            exc.connection_invalidated):
        hint = "; another process holds it too long" if "locked" in reason.lower() else ""
        prefix = "cannot open database" if opening else "database"
        return DatabaseError(f"{prefix} {where}: {reason}{hint}")
    return None


@contextmanager
def database_errors(where: str, opening: bool = False) -> Iterator[None]:
    try:
        yield
    except sa_exc.DBAPIError as exc:
        mapped = as_database_error(exc, where, opening)
        if mapped is None:
            raise
        raise mapped from None


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that cannot be a whole SQLite database before SQLite reads
    it: overwritten by something else, or cut short (a partial copy, a full disk)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return  # SQLite's own way of starting a database
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot read database {path}: {exc.strerror}") from None
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise DatabaseError(f"{path} is damaged: not a SQLite database")
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return  # pages may still be in the log; SQLite knows better than the header
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]
    if header_valid and pages * page_size > size:
        raise DatabaseError(f"{path} is damaged: {size} bytes where its header says "
                            f"{pages * page_size} (cut short)")


def holds_archive(data_dir: Path) -> bool:
    """True when the data folder already keeps blobs or WARCs of some database."""
    return (next((data_dir / "blobs").glob("??/??/*"), None) is not None
            or next((data_dir / "warcs").glob("*.warc.gz"), None) is not None)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout so
    that overlapping runs wait instead of failing with "database is locked"."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):  # ValueError: "postgresql://[::1/x" (port)
        raise DatabaseError(f"bad database URL: {url}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in (
        "psycopg2",
        "",
    ):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            if "\x00" in (parsed.database or ""):  # no file system takes such a name
                raise DatabaseError(f"bad database URL: {url} (a NUL byte in the path)")
            folder = Path(parsed.database or ".").parent
            if parsed.database not in (None, "", ":memory:") and not folder.is_dir():
                # a typo in --db must not become a tree of new folders
                raise DatabaseError(f"cannot create database {parsed.database}: its folder "
                                    f"{folder} does not exist")
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
                cur.close()
                dbapi_conn.isolation_level = None  # we say BEGIN ourselves, below

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Connection) -> None:
                # A writer takes the write lock first (waiting its turn), so that it
                # reads what the previous writer committed: a deferred transaction
                # would read first, then fail to write on a stale snapshot ("UNIQUE
                # constraint failed", "database is locked") when runs overlap.
                write = conn.get_execution_options().get(WRITER_OPTION)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (sa_exc.NoSuchModuleError, ImportError, sa_exc.ArgumentError) as exc:
        raise DatabaseError(f"cannot use database {describe(url)}: {exc}") from None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stamped(conn: Connection) -> str | None:
    """The revision in alembic_version, read directly; None if there is none (yet)."""
    try:
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    except sa_exc.DBAPIError:
        rows = []
    conn.rollback()
    return str(rows[0][0]) if len(rows) == 1 else None


def _known_revision(conn: Connection, script: ScriptDirectory, where: str) -> str | None:
    """The schema's revision, refusing one that no migration of ours wrote."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    conn.rollback()
    if revision is not None and revision not in {s.revision for s in script.walk_revisions()}:
        raise DatabaseError(f"{where} was written by a newer archiver (revision {revision}); "
                            "upgrade archiver to use it")
    return revision


@contextmanager
def schema_lock(engine: Engine, url: str) -> Iterator[Connection]:
    """A connection held under the schema lock: only one process creates or
    upgrades a schema at a time; the lock dies with its process."""
    where = describe(url)
    if engine.dialect.name == "postgresql":
        key = "hashtext(coalesce(current_schema(), ''))"
        with engine.connect() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_SECONDS}s'"))
            conn.execute(text(f"SELECT pg_advisory_lock({PG_LOCK_CLASS}, {key})"))
            conn.commit()
            try:
                yield conn
            finally:
                if not conn.invalidated:
                    conn.rollback()
                    conn.execute(text(f"SELECT pg_advisory_unlock({PG_LOCK_CLASS}, {key})"))
                    conn.commit()
        return
    path = sqlite_path(url)
    if path is None:
        with engine.connect() as conn:
            yield conn
        return
    lock = FileLock(path.with_name(path.name + ".lock"), timeout=LOCK_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise DatabaseError(f"database {where}: another archiver has been upgrading it for "
                            f"{LOCK_SECONDS} s ({lock.lock_file} is held)") from None
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        lock.release()


def _refuse_beside_blobs(data_dir: Path | None, where: str) -> None:
    """A database without a schema beside blobs is a lost database, not a new one."""
    if data_dir is not None and holds_archive(data_dir):
        raise DatabaseError(
            f"refusing to start a new database beside existing blobs in {data_dir} "
            f"({where} has no archive in it); restore it, or run "
            "`archiver db upgrade --start-over` to begin a new one")


def prepare(engine: Engine, url: str, *, data_dir: Path | None = None,
            start_over: bool = False, verify: bool = False) -> bool:
    """Refuse a damaged, newer or misplaced database, then bring the schema to the
    newest revision under the schema lock; True when something was applied.
    ``verify`` also reads every page of a SQLite file (``PRAGMA quick_check``)."""
    where = describe(url)
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_file(path)
        if not start_over and (not path.exists() or path.stat().st_size == 0):
            _refuse_beside_blobs(data_dir, where)  # before SQLite makes the file
    if not verify:
        with database_errors(where, opening=True), engine.connect() as conn:
            if _stamped(conn) == SCHEMA_HEAD:
                return False
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_current_head()
    with database_errors(where, opening=True):
        with engine.connect() as conn:
            if verify and engine.dialect.name == "sqlite":
                problems = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise DatabaseError(f"{where} is damaged: {problems[0]}")
            if _known_revision(conn, script, where) == head:
                return False
        with schema_lock(engine, url) as conn:
            revision = _known_revision(conn, script, where)
            if revision == head:  # another process did it while we waited
                return False
            if revision is None and not start_over:
                _refuse_beside_blobs(data_dir, where)
            cfg = alembic_config(url)
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    return True


def upgrade(engine: Engine, url: str) -> bool:
    """Bring the schema to the newest revision; True when something was applied."""
    return prepare(engine, url)


class Database:
    """One database: an engine plus a session factory, upgraded on first use."""

    def __init__(self, url: str, *, auto_upgrade: bool = True,
                 data_dir: Path | None = None) -> None:
        self.url = url
        self.where = describe(url)
        self.engine = make_engine(url)
        if auto_upgrade:
            try:
                prepare(self.engine, url, data_dir=data_dir)
            except BaseException:
                self.engine.dispose()
                raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(self.engine.execution_options(**{WRITER_OPTION: True}),
                                     expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole. A SQLite file
        whose disk is full is ``DiskFull`` naming its folder; any other failure of the
        database itself (locked, disk I/O, connection lost) leaves as one line."""
        try:
            with self._writers() as session, session.begin():
                yield session
        except sa_exc.DBAPIError as exc:
            folder = self._sqlite_folder()
            if folder is not None and "disk is full" in str(exc.orig):
                raise DiskFull(folder) from None
            mapped = as_database_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from None

    def _sqlite_folder(self) -> Path | None:
        path = sqlite_path(self.url)
        return path.resolve().parent if path is not None else None

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with database_errors(self.where), self._sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
