"""WACZ 1.1.1 packages of chosen articles, written with zipfile and cdxj-indexer.

Why not py-wacz's ``create``: it re-indexes and guesses the pages from the
WARCs, and pulls in frictionless (and its many dependencies) at run time. We
know the pages (article, tweets, media) from the database, so we write the few
files of the format ourselves and let ``wacz validate`` (a test dependency)
judge every package in the tests.

Layout (https://specs.webrecorder.net/wacz/1.1.1/):

    archive/*.warc.gz         records as stored: a whole WARC when every record
                              of it is chosen, else the chosen records copied
                              byte for byte into one export WARC
    indexes/index.cdx         CDXJ, sorted (cdxj-indexer)
    pages/pages.jsonl         the article(s), each cited tweet, each media file
    timestamps/*.tsr          RFC 3161 tokens of the whole WARCs included
    datapackage.json          every file's sha256 and size, and provenance
    datapackage-digest.json   the sha256 of datapackage.json

The package is built in a temporary file beside the destination and renamed
into place only when complete: never a half-written package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archiver import __version__
from archiver.evidence import EvidenceError
from archiver.evidence import records as rec
from archiver.store.evidence import CaptureRef, Selection

WACZ_VERSION = "1.1.1"
CHUNK = 1024 * 1024


@dataclass
class PackageSummary:
    path: Path
    articles: int
    pages: int
    records: int
    whole_warcs: list[str] = field(default_factory=list)
    export_warc: str | None = None
    digest_sha256: str = ""
    files: dict[str, str] = field(default_factory=dict)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _warc_date(iso: str) -> str:
    when = dt.datetime.fromisoformat(iso)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _ExportWarc:
    """The package's own WARC: a warcinfo record, then copied records (and
    resource records for captures that were read from a file, not fetched)."""

    def __init__(self, folder: Path, info: dict[str, str]) -> None:
        from warcio.warcwriter import WARCWriter

        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self.name = f"archiver-export-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.path = folder / self.name
        self._out = self.path.open("wb")
        self._writer = WARCWriter(self._out, gzip=True, warc_version="WARC/1.1")
        self._writer.write_record(self._writer.create_warcinfo_record(self.name, info))
        self.records = 0

    def copy(self, source: Path, spans: Iterable[rec.Span]) -> None:
        with source.open("rb") as src:
            for span in spans:
                rec.copy_span(src, span, self._out)
                self.records += 1

    def resource(self, capture: CaptureRef, body: Path) -> None:
        """A capture that never crossed a network (an article read from a file)."""
        with body.open("rb") as payload:
            record = self._writer.create_warc_record(
                capture.url, "resource", payload=payload, length=body.stat().st_size,
                warc_content_type=capture.content_type or "application/octet-stream",
                warc_headers_dict={"WARC-Date": _warc_date(capture.fetched_at)},
            )
            self._writer.write_record(record)
        self.records += 1

    def close(self) -> None:
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()


def _gather_warcs(selection: Selection, warc_dir: Path, blob_path: Callable[[str], Path],
                  work: Path,
                  info: dict[str, str]) -> tuple[list[Path], list[str], str | None, int]:
    """Put the chosen records into ``work/archive``; returns (files, whole, export, n)."""
    archive = work / "archive"
    archive.mkdir()
    by_file: dict[str, set[int]] = defaultdict(set)
    loose: list[tuple[CaptureRef, str]] = []  # with its blob's hash
    for capture in selection.captures:
        if capture.warc_file and capture.warc_offset is not None:
            by_file[capture.warc_file].add(capture.warc_offset)
        elif capture.sha256 and capture.status is None and capture.url.startswith(
                ("file:", "stdin:")):
            loose.append((capture, capture.sha256))
    files: list[Path] = []
    whole: list[str] = []
    export: _ExportWarc | None = None
    count = 0
    for name in sorted(by_file):
        source = warc_dir / name
        if not source.is_file():
            raise EvidenceError(f"{source}: WARC file missing from the data folder "
                                "(run archiver verify)")
        all_spans = rec.spans(source)
        chosen = by_file[name]
        payloads = {s.offset for s in all_spans if s.rec_type in ("response", "resource",
                                                                    "revisit")}
        missing = chosen - {s.offset for s in all_spans}
        if missing:
            raise EvidenceError(f"{source}: no record at offset {min(missing)} "
                                "(run archiver verify)")
        if payloads <= chosen:
            target = archive / name
            rec.copy_file(source, target)
            files.append(target)
            whole.append(name)
            count += sum(1 for s in all_spans if s.rec_type != "warcinfo")
            continue
        if export is None:
            export = _ExportWarc(archive, info)
        picked = rec.with_requests(all_spans, chosen)
        export.copy(source, picked)
        count += len(picked)
    for capture, sha256 in loose:
        body = blob_path(sha256)
        if not body.is_file():
            raise EvidenceError(f"{body}: blob missing from the data folder "
                                "(run archiver verify)")
        if export is None:
            export = _ExportWarc(archive, info)
        export.resource(capture, body)
        count += 1
    if export is not None:
        export.close()
        files.append(export.path)
    return files, whole, export.name if export else None, count


def _index(warcs: list[Path], out: Path) -> None:
    from cdxj_indexer.main import CDXJIndexer

    if not warcs:
        out.write_text("", encoding="utf-8")
        return
    indexer = CDXJIndexer(str(out), [str(p) for p in warcs], sort=True, post_append=True)
    indexer.process_all()


def _pages(selection: Selection) -> bytes:
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages",
                         "title": selection.title or "Pages"}, ensure_ascii=False)]
    for n, page in enumerate(selection.pages):
        entry: dict[str, object] = {"id": f"{page.kind}-{n + 1}", "url": page.url,
                                    "ts": page.ts, "title": page.title,
                                    "kind": page.kind}
        entry.update({k: v for k, v in page.extra.items() if v is not None})
        lines.append(json.dumps(entry, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_wacz(dest: Path, selection: Selection, *, warc_dir: Path,
               blob_path: Callable[[str], Path],
               tokens: dict[str, bytes], provenance: dict[str, object]) -> PackageSummary:
    """Write the package of ``selection`` to ``dest`` (atomically)."""
    dest = dest.resolve()
    if not dest.parent.is_dir():
        raise EvidenceError(f"{dest}: folder does not exist")
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1",
            "description": "records copied byte for byte from the archive's WARCs for "
                           "a WACZ package", "created": created,
            "provenance": json.dumps(provenance, sort_keys=True)}
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=dest.parent) as tmp:
        work = Path(tmp)
        warcs, whole, export_name, count = _gather_warcs(selection, warc_dir, blob_path, work,
                                                         info)
        (work / "indexes").mkdir()
        _index(warcs, work / "indexes" / "index.cdx")
        (work / "pages").mkdir()
        (work / "pages" / "pages.jsonl").write_bytes(_pages(selection))
        entries = [f"archive/{p.name}" for p in warcs] + ["indexes/index.cdx",
                                                            "pages/pages.jsonl"]
        if whole and any(name in tokens for name in whole):
            (work / "timestamps").mkdir()
            for name in whole:
                if name in tokens:
                    (work / "timestamps" / f"{name}.tsr").write_bytes(tokens[name])
                    entries.append(f"timestamps/{name}.tsr")
        resources = []
        hashes: dict[str, str] = {}
        for entry in entries:
            sha, size = _sha256(work / entry)
            hashes[entry] = sha
            resources.append({"name": Path(entry).name.lower(), "path": entry,
                              "hash": f"sha256:{sha}", "bytes": size})
        package: dict[str, object] = {
            "profile": "data-package", "resources": resources,
            "wacz_version": WACZ_VERSION, "created": created,
            "software": f"archiver/{__version__}",
            "title": selection.title or "archiver export",
        }
        if selection.main_url:
            package["mainPageURL"] = selection.main_url
            first = next((p for p in selection.pages if p.kind == "article"), None)
            if first is not None and first.ts:
                package["mainPageDate"] = first.ts
        package["archiver"] = {"articles": list(selection.articles), "whole_warcs": whole,
                               "export_warc": export_name, "provenance": provenance,
                               "runs": selection.runs}
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        digest = {"path": "datapackage.json",
                  "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        digest_bytes = json.dumps(digest, indent=2).encode("utf-8")
        partial = work / "package.wacz"
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            for entry in entries:
                kind = zipfile.ZIP_STORED if entry.startswith(("archive/", "indexes/")) \
                    else zipfile.ZIP_DEFLATED
                info_z = zipfile.ZipInfo(entry, date_time=_zip_time(created))
                info_z.compress_type = kind
                with (work / entry).open("rb") as src, zf.open(info_z, "w",
                                                               force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
            for name, data in (("datapackage.json", package_bytes),
                               ("datapackage-digest.json", digest_bytes)):
                info_z = zipfile.ZipInfo(name, date_time=_zip_time(created))
                info_z.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info_z, data)
        with partial.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
    return PackageSummary(path=dest, articles=len(selection.articles),
                          pages=len(selection.pages), records=count, whole_warcs=whole,
                          export_warc=export_name,
                          digest_sha256=hashlib.sha256(digest_bytes).hexdigest(),
                          files=hashes)


def _zip_time(created: str) -> tuple[int, int, int, int, int, int]:
    when = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def read_member(package: Path, name: str) -> bytes:
    """One file of a package (for tests and verification)."""
    with zipfile.ZipFile(package) as zf:
        return zf.read(name)


__all__ = ["PackageSummary", "read_member", "write_wacz"]
