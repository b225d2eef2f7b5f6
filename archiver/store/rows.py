"""Generic unit-of-work steps on model rows: insert, send changes, compare.

Services build and change model rows (plain attribute writes); these are the
only ways they hand them to the database, through the session they were given.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session


def add(session: Session, *rows: object) -> None:
    """Insert new rows now, so that their ids are known."""
    session.add_all(rows)
    session.flush()


def save(session: Session) -> None:
    """Send the changes made to this session's rows (ids, columns) to the database."""
    session.flush()


def columns(row: object) -> dict[str, object]:
    """A row's column values, by attribute name."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}


def changed_columns(view: object, fixed: frozenset[str]) -> dict[str, object]:
    """The columns but ``fixed`` changed on ``view`` since it was loaded: every one
    of them when the view was never stored."""
    state = inspect(view)
    return {attr.key: getattr(view, attr.key) for attr in state.mapper.column_attrs
            if attr.key not in fixed
            and (state.transient or state.attrs[attr.key].history.has_changes())}
