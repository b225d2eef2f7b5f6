"""The ``warc_file`` registry: which WARC a committed run wrote, and whether it
has been renamed into place yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archiver.store import models as m


def register_pending(session: Session, name: str, records: int,
                     provenance: dict[str, Any] | None = None) -> None:
    session.add(m.WarcFile(name=name, state="pending", records=records, provenance=provenance))


def mark_published(session: Session, name: str) -> None:
    session.execute(update(m.WarcFile)
                    .where(m.WarcFile.name == name, m.WarcFile.state == "pending")
                    .values(state="published", published_at=dt.datetime.now(dt.UTC)))


def state(session: Session, name: str) -> str | None:
    return session.scalars(select(m.WarcFile.state).where(m.WarcFile.name == name)).first()


def pending(session: Session) -> list[str]:
    return list(session.scalars(select(m.WarcFile.name).where(m.WarcFile.state == "pending")))
