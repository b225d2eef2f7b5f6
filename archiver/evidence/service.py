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
from archiver.net import tsa
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
        names = {c.warc_file for c in selection.captures if c.warc_file}
        tokens = {t.name: t.token for t in store.tokens(session, "warc", names)}
    blobs = BlobStore(settings.blob_dir)
    summary = write_wacz(dest, selection, warc_dir=settings.warc_dir, blob_path=blobs.path,
                         tokens=tokens, provenance=export_provenance(settings))
    result = ExportSummary(path=summary.path, articles=summary.articles, pages=summary.pages,
                           records=summary.records, whole_warcs=summary.whole_warcs,
                           export_warc=summary.export_warc, digest_sha256=summary.digest_sha256)
    if settings.timestamp_authority_urls:
        # The token covers datapackage-digest.json, which covers every file.
        try:
            stamped = tsa.stamp(settings, summary.digest_sha256)
        except tsa.TimestampError as exc:
            raise EvidenceError(f"{summary.path} written, but not time-stamped: {exc}") from None
        store.write_token_beside(summary.path, stamped[0].der)
        with db.transaction() as session:
            store.add_tokens(session, "wacz", str(summary.path), summary.digest_sha256,
                             [(t.authority, t.der, t.gen_time) for t in stamped])
        result.timestamps = [t.authority for t in stamped]
    return result


def check_tokens(settings: Settings, report: fixity.Report, rows: list[store.TokenRow],
                 warc_names: set[str] | None) -> None:
    """Each token still matches its file, and the copy beside the file is the same."""
    for row in rows:
        if row.kind == "warc":
            if warc_names is not None and row.name not in warc_names:
                continue
            path = settings.warc_dir / row.name
            if not path.is_file():
                continue  # reported as a missing WARC
            current = store.file_sha256(path)
        else:
            path = Path(row.name)
            if not path.is_file():
                continue  # a package handed on or moved is not the archive's concern
            current = _digest_of_package(path)
        report.timestamps += 1
        beside = store.token_path(path)
        if current != row.sha256:
            report.add("changed", row.kind, path, f"sha256 {current} is not the "
                       f"{row.sha256} time-stamped at {row.gen_time} by {row.authority}")
            continue
        try:
            tsa.check(settings, row.token, bytes.fromhex(current))
        except tsa.TimestampError as exc:
            report.add("unverified", "timestamp", beside, f"{row.authority}: {exc}")
            continue
        if not beside.is_file():
            report.add("missing", "timestamp", beside, f"token of {row.authority}")
        elif beside.read_bytes() != row.token and not any(
                r.token == beside.read_bytes() for r in rows if r.name == row.name):
            report.add("changed", "timestamp", beside, "differs from the database's token")


def _digest_of_package(path: Path) -> str:
    import hashlib
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return hashlib.sha256(zf.read("datapackage-digest.json")).hexdigest()
    except (OSError, KeyError, zipfile.BadZipFile):
        return "unreadable"


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
        token_rows = store.tokens(session)
        unstamped = store.unstamped_warcs(session)
    blobs = BlobStore(settings.blob_dir)
    report = fixity.Report()
    wanted = [(c.sha256, f"capture {c.id} ({c.url})") for c in captures if c.sha256]
    wanted += [(sha, f"media {url}") for sha, url in media]
    fixity.check_blobs(report, wanted, blobs.path)
    fixity.check_warcs(report, settings.warc_dir, captures, known, whole=ids is None)
    if ids is None:
        fixity.check_unindexed_blobs(report, settings.blob_dir, referenced)
    names = None if ids is None else {c.warc_file for c in captures if c.warc_file}
    check_tokens(settings, report, token_rows, names)
    if settings.timestamp_authority_urls:
        for name in unstamped:
            if names is None or name in names:
                report.add("unstamped", "warc", settings.warc_dir / name,
                           "no time-stamp token yet (archiver stamp asks again)")
    return report
