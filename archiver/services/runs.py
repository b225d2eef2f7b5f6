"""A run: everything one command does, in one database transaction.

The run's WARC is published (fsync, rename) just before the transaction
commits, and removed again if the commit fails, so that a failed run leaves
neither rows nor a WARC behind; blobs are content-addressed and harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from archiver.config import Settings
from archiver.detect.values import Detection
from archiver.net.http import HttpClient
from archiver.services.archive import ArchiveSummary, store_detection
from archiver.services.recorder import Recorder
from archiver.services.resolve import Resolver, ResolveStats
from archiver.services.snapshots import SnapshotStats, pending_links, snapshot
from archiver.services.sources import Source
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.warc import WarcRun

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    summaries: list[ArchiveSummary]
    stats: ResolveStats | None
    warc: str | None
    snapshots: SnapshotStats | None = None


@contextmanager
def _run(settings: Settings, db: Database) -> Iterator[tuple[Session, Recorder, WarcRun]]:
    blobs = BlobStore(settings.blob_dir)
    warc = WarcRun(settings.warc_dir, operator=settings.user_agent_contact)
    published = None
    try:
        with db.transaction() as session:
            recorder = Recorder(session, blobs, warc)
            yield session, recorder, warc
            session.flush()
            published = warc.publish()
    except BaseException:
        warc.discard()
        if published is not None:
            published.unlink(missing_ok=True)
        raise


def archive(
    settings: Settings,
    db: Database,
    documents: list[tuple[Source, Detection]],
    *,
    resolve: bool,
    with_links: bool = False,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> RunResult:
    """Store the documents and, unless offline, resolve their citations and (with
    ``with_links``) keep a copy of every outbound link."""
    with _run(settings, db) as (session, recorder, warc):
        summaries = [store_detection(session, recorder.blobs, source, detection, recorder)
                     for source, detection in documents]
        article_ids = [s.article_id for s in summaries]
        stats = snapshots = None
        if resolve or with_links:
            with HttpClient(settings) as client:
                resolver = Resolver(settings, session, recorder.blobs, client, recorder)
                pending = resolver.pending(article_ids, False) if resolve else []
                if total:
                    total(len(pending))
                if resolve:
                    stats = resolver.run(pending, progress)
                if with_links:  # after resolving: expanded t.co targets are links too
                    links = pending_links(session, article_ids)
                    if total:
                        total(len(pending) + len(links))
                    snapshots = snapshot(links, client, recorder, progress)
    return RunResult(summaries, stats, warc.name if warc.records else None, snapshots)


def resolve(
    settings: Settings,
    db: Database,
    *,
    article_ids: list[int] | None,
    retry_failed: bool,
    refetch: bool,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> RunResult:
    with _run(settings, db) as (session, recorder, warc), HttpClient(settings) as client:
        resolver = Resolver(settings, session, recorder.blobs, client, recorder, refetch=refetch)
        pending = resolver.pending(article_ids, retry_failed)
        if total:
            total(len(pending))
        stats = resolver.run(pending, progress)
    return RunResult([], stats, warc.name if warc.records else None)
