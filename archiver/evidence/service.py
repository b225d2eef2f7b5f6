"""Use cases of evidence: export a package; (later) verify and time-stamp."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.config import Settings
from archiver.evidence import EvidenceError, fixity
from archiver.evidence.package import write_wacz
from archiver.store import evidence as store
from archiver.store.blobs import BlobStore
from archiver.store.db import Database


@dataclass
class ExportSummary:
    path: Path
    articles: int
    pages: int
    records: int
    whole_warcs: list[str]
    export_warc: str | None
    digest_sha256: str
    timestamps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "articles": self.articles, "pages": self.pages,
                "records": self.records, "whole_warcs": self.whole_warcs,
                "export_warc": self.export_warc,
                "datapackage_digest_sha256": self.digest_sha256,
                "timestamps": self.timestamps}


def export_provenance(settings: Settings) -> dict[str, Any]:
    """What made the package: our version and the settings that shaped captures."""
    from archiver.net.http import user_agent

    return {"software": f"archiver/{__version__}", "user_agent": user_agent(settings),
            "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def export(settings: Settings, db: Database, dest: Path, refs: list[str],
           since: dt.date | None) -> ExportSummary:
    with db.reader() as session:
        ids = store.choose_articles(session, refs, since)
        if not ids:
            raise EvidenceError("no article to export" + (f" since {since}" if since else ""))
        selection = store.select_material(session, ids)
        tokens: dict[str, bytes] = {}
    blobs = BlobStore(settings.blob_dir)
    summary = write_wacz(dest, selection, warc_dir=settings.warc_dir, blob_path=blobs.path,
                         tokens=tokens, provenance=export_provenance(settings))
    return ExportSummary(path=summary.path, articles=summary.articles, pages=summary.pages,
                         records=summary.records, whole_warcs=summary.whole_warcs,
                         export_warc=summary.export_warc, digest_sha256=summary.digest_sha256)


def verify(settings: Settings, db: Database, article: str | None) -> fixity.Report:
    """Re-hash blobs and WARC records (of one article, or everything) against the
    database; a full check also reports files the database does not know."""
    from archiver.store.queries import find_article

    with db.reader() as session:
        ids = [find_article(session, article).id] if article else None
        captures = store.captures_for_fixity(session, ids)
        media = store.media_blobs(session, ids)
        known = store.warc_files(session)
        referenced = store.referenced_blobs(session) if ids is None else set()
    blobs = BlobStore(settings.blob_dir)
    report = fixity.Report()
    wanted = [(c.sha256, f"capture {c.id} ({c.url})") for c in captures if c.sha256]
    wanted += [(sha, f"media {url}") for sha, url in media]
    fixity.check_blobs(report, wanted, blobs.path)
    fixity.check_warcs(report, settings.warc_dir, captures, known, whole=ids is None)
    if ids is None:
        fixity.check_unindexed_blobs(report, settings.blob_dir, referenced)
    return report
