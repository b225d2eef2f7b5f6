"""A run: everything one command does, in two phases.

1. Fetch: everything the network gives is fetched first, with no database
   transaction open (reads are short transactions of their own). Bodies go to
   the blob store (content-addressed, atomic, idempotent: harmless if the run
   fails) and records to the run's temporary WARC; the rows are kept in memory.
2. Write: everything is written in one short transaction, with the WARC's
   ``warc_file`` row marked pending; the WARC is made durable before the commit,
   renamed into place after it, then marked published.

So a slow web never holds a write lock (a ``check`` running meanwhile is not
blocked), and a run that fails, however, stores no rows and leaves no WARC: it
fails before its commit (the temporary WARC is deleted) or it does not fail. A
run killed at any moment leaves what the next run tidies (housekeeping.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from archiver import crashpoints
from archiver.config import Settings
from archiver.detect.values import Detection
from archiver.net.http import HttpClient
from archiver.services import snapshots as snap
from archiver.services.archive import (
    ArchiveSummary,
    article_identity,
    content_hash,
    raw_hash,
    store_detection,
)
from archiver.services.housekeeping import tidy
from archiver.services.recorder import Recorder, run_provenance
from archiver.services.resolve import Resolver, ResolveStats
from archiver.services.sources import Source
from archiver.services.stamping import stamp_after_run
from archiver.store import links, rows, warcfiles
from archiver.store.articles import existing_version
from archiver.store.blobs import BlobStore
from archiver.store.db import Database
from archiver.store.session import Session
from archiver.store.warc import WarcRun

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    summaries: list[ArchiveSummary]
    stats: ResolveStats | None
    warc: str | None
    snapshots: snap.SnapshotStats | None = None


@contextmanager
def _run(settings: Settings, db: Database) -> Iterator[Recorder]:
    """A recorder for the fetch phase; on any failure its temporary WARC goes."""
    tidy(settings, db)
    warc = WarcRun(settings.warc_dir, operator=settings.user_agent_contact,
                   provenance=run_provenance(settings))
    recorder = Recorder(BlobStore(settings.blob_dir), warc)
    try:
        yield recorder
    except BaseException:
        warc.discard()
        raise


def _commit(settings: Settings, db: Database, recorder: Recorder,
            write: Callable[[Session], None]) -> None:
    """Phase 2: ``write`` and the captures in one transaction, then publish the WARC."""
    warc = recorder.warc
    assert warc is not None
    crashpoints.reached("run:fetched")
    with db.transaction() as session:
        write(session)
        recorder.store(session)
        if warc.records:
            warcfiles.register_pending(session, warc.name, warc.records, warc.provenance)
        rows.save(session)
        warc.seal()
        crashpoints.reached("run:before_commit")
    warc.committed = True
    # Committed: from here on the WARC is never discarded. A failure or a kill
    # before it is marked published is finished by the next run (housekeeping).
    crashpoints.reached("run:committed")
    if warc.publish() is None:
        return
    crashpoints.reached("run:published")
    with db.transaction() as session:
        warcfiles.mark_published(session, warc.name)
    if settings.timestamp_authority_urls:
        stamp_after_run(settings, db)



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
    with _run(settings, db) as recorder:
        # Phase 1: which versions are stored already (a short read), then the network.
        with db.reader() as session:
            versions = [existing_version(session,
                                         article_identity(src, det, raw_hash(src)),
                                         content_hash(det))
                        for src, det in documents]
        stats = snapshots = None
        resolver: Resolver | None = None
        kept: list[snap.Kept] = []
        if resolve or with_links:
            with HttpClient(settings) as client:
                resolver = Resolver(settings, db, recorder.blobs, client, recorder)
                work = (resolver.pending_in_documents(
                    [(det, version) for (_, det), version in zip(documents, versions, strict=True)])
                    if resolve else [])
                if total:
                    total(len(work))
                if resolve:
                    stats = resolver.run(work, progress)
                if with_links:  # after resolving: expanded t.co targets are links too
                    urls = _link_targets(db, documents, versions, resolver)
                    if total:
                        total(len(work) + len(urls))
                    kept, snapshots = snap.snapshot(urls, client, recorder, progress)
        summaries: list[ArchiveSummary] = []

        def write(session: Session) -> None:
            for source, detection in documents:
                summaries.append(store_detection(session, recorder.blobs, source, detection,
                                                 recorder))
            crashpoints.reached("archive:stored")
            recorder.store(session)
            if resolver is not None:
                resolver.apply(session, {i: s.version_id for i, s in enumerate(summaries)
                                          if s.version_id is not None})
            snap.apply(session, kept)

        _commit(settings, db, recorder, write)
        warc = recorder.warc
        assert warc is not None
    return RunResult(summaries, stats, warc.name if warc.records else None, snapshots)


def _link_targets(db: Database, documents: list[tuple[Source, Detection]],
                  versions: list[int | None], resolver: Resolver) -> list[str]:
    """The outbound links of the documents that have no copy yet, in order."""
    with db.reader() as session:
        urls = links.pending_snapshots(session, snap.SNAPSHOT_KINDS, [v for v in versions if v is not None])
        for (_, detection), version in zip(documents, versions, strict=True):
            if version is None:
                urls += [ref.normalized for ref in detection.links
                         if ref.kind in snap.SNAPSHOT_KINDS]
        urls += [url for url, kind in resolver.expanded_links() if kind in snap.SNAPSHOT_KINDS]
        urls = list(dict.fromkeys(urls))
        done = links.already_kept(session, urls)
    return [url for url in urls if url not in done]


def resolve(
    settings: Settings,
    db: Database,
    *,
    article_ids: list[int] | None,
    retry_failed: bool,
    refetch: bool,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
    citation_ids: list[int] | None = None,
) -> RunResult:
    """Resolve the pending citations of ``article_ids`` (all when None), or only
    those of ``citation_ids`` among them (a worker's job: one citation)."""
    with _run(settings, db) as recorder:
        with HttpClient(settings) as client:
            resolver = Resolver(settings, db, recorder.blobs, client, recorder, refetch=refetch)
            work = resolver.pending(article_ids, retry_failed)
            if citation_ids is not None:
                work = [item for item in work if item.key in citation_ids]
            if total:
                total(len(work))
            stats = resolver.run(work, progress)
        _commit(settings, db, recorder, resolver.apply)
        warc = recorder.warc
        assert warc is not None
    return RunResult([], stats, warc.name if warc.records else None)
