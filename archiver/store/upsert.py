"""Insert unless present, on SQLite and PostgreSQL: the one place that knows each
dialect's ``ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from archiver.store import models as m


def insert_ignoring(session: Session, model: type[m.Base], keys: list[str],
                    **values: Any) -> None:
    """Insert a row unless one with the same ``keys`` exists (a concurrent run's)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


def upsert_link(session: Session, normalized: str, values: dict[str, object]) -> int:
    """Insert a link unless it exists (safe against a concurrent run); return its id."""
    insert_ignoring(session, m.Link, ["normalized"], normalized=normalized, **values)
    return session.scalars(select(m.Link.id).where(m.Link.normalized == normalized)).one()
