"""Insert unless present, on SQLite and PostgreSQL: the one place that knows each
dialect's ``ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from archiver.store import models as m

CHUNK = 500  # links per id lookup (an IN list)


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


def upsert_links(session: Session, links: dict[str, dict[str, object]]) -> dict[str, int]:
    """``upsert_link`` for many links at once, in their order: one executemany insert
    and one lookup per ``CHUNK`` links instead of a statement pair per link. A link
    stored already keeps its values, as one by one."""
    ids: dict[str, int] = {}
    if not links:
        return ids
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    keys = sorted({key for values in links.values() for key in values})
    rows = [{"normalized": normalized, **{key: values.get(key) for key in keys}}
            for normalized, values in links.items()]
    # executemany of one cached statement: a multi-row VALUES is compiled afresh each time
    session.execute(insert(m.Link).on_conflict_do_nothing(index_elements=["normalized"]), rows)
    names = list(links)
    for start in range(0, len(names), CHUNK):
        found = session.execute(select(m.Link.normalized, m.Link.id)
                                .where(m.Link.normalized.in_(names[start:start + CHUNK])))
        ids.update((normalized, link_id) for normalized, link_id in found)
    return ids
