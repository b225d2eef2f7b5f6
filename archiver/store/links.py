"""Reads and writes of links for archive runs: by normalized URL, a citation's
links, short links' handles, kept copies. (The CLI's listing is in queries.py.)"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from archiver.store import models as m

CHUNK = 500  # URLs per IN (...) list


def by_normalized(session: Session, urls: list[str]) -> dict[str, m.Link]:
    """The stored links among ``urls``, by normalized URL."""
    found: dict[str, m.Link] = {}
    for start in range(0, len(urls), CHUNK):
        part = urls[start:start + CHUNK]
        found.update((link.normalized, link) for link in session.scalars(
            select(m.Link).where(m.Link.normalized.in_(part))))
    return found


def link(session: Session, normalized: str) -> m.Link | None:
    return session.scalars(select(m.Link).where(m.Link.normalized == normalized)).first()


def of_citation(session: Session, citation_id: int) -> list[tuple[m.Link, m.LinkOccurrence]]:
    """A citation's links with their occurrences, in the order of the text."""
    stmt = (select(m.Link, m.LinkOccurrence)
            .join(m.LinkOccurrence, m.LinkOccurrence.link_id == m.Link.id)
            .where(m.LinkOccurrence.citation_id == citation_id)
            .order_by(m.LinkOccurrence.paragraph, m.LinkOccurrence.start))
    return [(row, occ) for row, occ in session.execute(stmt)]


def cites(session: Session, citation_id: int, normalized: str) -> bool:
    """Whether the citation has this link already."""
    return session.scalars(
        select(m.LinkOccurrence.id)
        .join(m.Link, m.Link.id == m.LinkOccurrence.link_id)
        .where(m.LinkOccurrence.citation_id == citation_id,
               m.Link.normalized == normalized)).first() is not None


def add_to_citation(session: Session, citation: m.Citation, link_id: int,
                    occurrence: m.LinkOccurrence) -> None:
    """Add ``occurrence`` of a link to a stored citation, unless it has one."""
    exists = session.scalars(select(m.LinkOccurrence).where(
        m.LinkOccurrence.version_id == citation.version_id,
        m.LinkOccurrence.link_id == link_id, m.LinkOccurrence.citation_id == citation.id,
    )).first()
    if exists is None:
        session.add(occurrence)


def handles_naming(session: Session, tweet_id: str, kinds: tuple[str, ...]) -> list[str | None]:
    """The handles in the stored links of these kinds that name this tweet."""
    return list(session.scalars(select(m.Link.handle).where(
        m.Link.tweet_id == tweet_id, m.Link.kind.in_(kinds))))


def pending_snapshots(session: Session, kinds: tuple[str, ...], version_ids: list[int],
                      refetch: bool = False) -> list[str]:
    """Normalized URLs of the links of these kinds in these versions with no copy yet."""
    if not version_ids:
        return []
    stmt = (
        select(m.Link.normalized, m.Link.snapshot_capture_id)
        .join(m.LinkOccurrence, m.LinkOccurrence.link_id == m.Link.id)
        .where(m.LinkOccurrence.version_id.in_(version_ids), m.Link.kind.in_(kinds))
        .distinct()
        .order_by(m.Link.normalized)
    )
    return [url for url, capture in session.execute(stmt) if refetch or capture is None]


def already_kept(session: Session, urls: list[str]) -> set[str]:
    """Those of ``urls`` whose link has a copy already."""
    kept: set[str] = set()
    for start in range(0, len(urls), CHUNK):
        part = urls[start:start + CHUNK]
        kept.update(session.scalars(select(m.Link.normalized).where(
            m.Link.normalized.in_(part), m.Link.snapshot_capture_id.is_not(None))))
    return kept


def set_snapshots(session: Session, copies: list[dict[str, object]]) -> None:
    """Write kept copies onto their links, by normalized URL, in one executemany: each
    of ``copies`` has ``normalized``, ``capture_id``, ``resolved_url``, ``text_sha256``
    (None: leave the column as it is) and ``error`` (always written). Only the
    snapshot columns are touched; a URL with no link is skipped."""
    if not copies:
        return
    table = cast(Table, m.Link.__table__)
    stmt = (update(table).where(table.c.normalized == bindparam("b_normalized"))
            .values(snapshot_capture_id=func.coalesce(bindparam("b_capture_id"),
                                                      table.c.snapshot_capture_id),
                    resolved_url=func.coalesce(bindparam("b_resolved_url"),
                                               table.c.resolved_url),
                    snapshot_text_sha256=func.coalesce(bindparam("b_text_sha256"),
                                                       table.c.snapshot_text_sha256),
                    snapshot_error=bindparam("b_error")))
    session.execute(stmt, [{f"b_{key}": value for key, value in copy.items()}
                           for copy in copies])
