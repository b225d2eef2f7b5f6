"""The provenance of captures, for the read side: how each response was obtained
(capture.provenance) and what shaped the run that fetched it (warc_file.provenance)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.store import models as m


def of_captures(session: Session, capture_ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    """capture id -> {"capture_id", "warc_file", <how>, "run": <what shaped it>}."""
    ids = sorted({i for i in capture_ids if i is not None})
    found: dict[int, dict[str, Any]] = {}
    runs: dict[str, Any] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        # select's overloads give up on these columns (rows typed Any): name the types
        rows = cast(Sequence[tuple[int, str | None, dict[str, Any] | None]], session.execute(
            select(m.Capture.id, m.Capture.warc_file, m.Capture.provenance)
            .where(m.Capture.id.in_(part))).all())
        names = {name for _, name, _ in rows if name and name not in runs}
        if names:
            runs.update(session.execute(select(m.WarcFile.name, m.WarcFile.provenance)
                                        .where(m.WarcFile.name.in_(names))).all())
        for capture_id, name, how in rows:
            found[capture_id] = {"capture_id": capture_id, "warc_file": name, **(how or {}),
                                 "run": runs.get(name) if name else None}
    return found
