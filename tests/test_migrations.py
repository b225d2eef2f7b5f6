"""The alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from archiver.store.db import Database, alembic_config, current_revision
from archiver.store.jobs import is_queue_table
from archiver.store.models import Base


# ix_link_spread is an index on an expression, which neither SQLAlchemy's reflection on
# SQLite nor alembic's comparison reads: the test below checks it by name instead.
@pytest.mark.filterwarnings("ignore:.*expression-based index.*ix_link_spread")
def test_upgraded_schema_matches_the_models(db_url):
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            # The job queue's tables (PostgreSQL only) are Procrastinate's and ours,
            # made by their own SQL in 0010_job_queue, not by the models.
            context = MigrationContext.configure(conn, opts={
                "include_name": lambda name, kind, parents: not (
                    kind == "table" and is_queue_table(name))})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()


def test_downgrade_and_upgrade_again(db_url):
    db = Database(db_url)
    try:
        head = current_revision(db.engine)
        cfg = alembic_config(db_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert current_revision(db.engine) == "0001"
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert current_revision(db.engine) == head
    finally:
        db.dispose()


def test_the_schema_head_we_open_without_alembic_is_alembics_head():
    # An archive stamped with SCHEMA_HEAD opens without reading the migrations; a
    # new migration must move it, or archives would never be upgraded to it.
    from alembic.script import ScriptDirectory

    from archiver.store.db import SCHEMA_HEAD

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_current_head() == SCHEMA_HEAD


def test_an_archive_one_revision_back_is_still_upgraded_on_open(db_url):
    from archiver.store.db import SCHEMA_HEAD

    db = Database(db_url)
    try:
        cfg = alembic_config(db_url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "-1")
        assert current_revision(db.engine) != SCHEMA_HEAD
    finally:
        db.dispose()
    again = Database(db_url)  # the fast path must not take it for the head
    try:
        assert current_revision(again.engine) == SCHEMA_HEAD
    finally:
        again.dispose()


def test_the_spread_index_the_claims_read_is_there(db_url):
    from sqlalchemy import text

    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                found = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                          "AND name = 'ix_link_spread'")).scalar()
            else:
                found = conn.execute(text("SELECT indexdef FROM pg_indexes "
                                          "WHERE indexname = 'ix_link_spread'")).scalar()
    finally:
        db.dispose()
    assert found is not None and "4294967291" in found and "id" in found
