"""job queue: Procrastinate's schema and our own queue tables (PostgreSQL only)

Revision ID: 0010_job_queue
Revises: 0009_warc_files

The workers (archiver/jobs/) queue their jobs in Procrastinate's tables. Its
schema is applied here, by ``archiver db upgrade`` like every other change, so an
operator runs one command and never ``procrastinate schema --apply``. The schema
is the one shipped with the pinned Procrastinate release (pyproject pins the minor
version): moving the pin to a release with new SQL migrations means a new alembic
revision that runs those files (``procrastinate/sql/migrations/``), in order.

Beside it, tables of ours: ``archiver_job_failure`` (why a job failed, which
Procrastinate does not keep), ``archiver_host_slot`` and ``archiver_host_pace``
(per-host politeness shared by every worker, store/politeness.py). On SQLite this revision does nothing: SQLite
runs every command in-process, without a queue.
"""

from __future__ import annotations

from alembic import op

revision = "0010_job_queue"
down_revision = "0009_warc_files"
branch_labels = None
depends_on = None

OUR_TABLES = """
CREATE TABLE archiver_job_failure (
    job_id bigint PRIMARY KEY REFERENCES procrastinate_jobs (id) ON DELETE CASCADE,
    reason text NOT NULL,
    attempt integer NOT NULL,
    at timestamp with time zone NOT NULL DEFAULT now()
);
CREATE TABLE archiver_host_pace (
    host text PRIMARY KEY,
    next_start timestamp with time zone NOT NULL
);
CREATE TABLE archiver_host_slot (
    host text NOT NULL,
    slot integer NOT NULL,
    holder text,
    until timestamp with time zone,
    PRIMARY KEY (host, slot)
);
"""

DROP_PROCRASTINATE = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'
                   AND c.relname LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.relname);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                  JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.sig);
    END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                   AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
    END LOOP;
END $$;
"""


def _execute_script(sql: str) -> None:
    """Run a multi-statement script on alembic's connection, in its transaction
    (the driver's own cursor: no parameters, so ``%`` in the script stays as is)."""
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    try:
        from procrastinate.schema import SchemaManager
    except ImportError as exc:  # pragma: no cover - the postgres extra brings it
        raise RuntimeError("PostgreSQL needs the job queue: pip install 'archiver[postgres]'"
                           ) from exc
    _execute_script(SchemaManager.get_schema())
    _execute_script(OUR_TABLES)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _execute_script("DROP TABLE IF EXISTS archiver_job_failure; "
                    "DROP TABLE IF EXISTS archiver_host_pace; "
                    "DROP TABLE IF EXISTS archiver_host_slot;")
    _execute_script(DROP_PROCRASTINATE)
