"""Fixity: re-hash what the archive keeps and compare it with what the database says.

- every blob a capture or media row names exists and hashes to its name;
- every WARC the database knows exists, every record in it reads and passes its
  own block and payload digests (so one changed byte anywhere is found), and each
  capture's record is where its row says, for the URL it says, with the payload
  the blob holds;
- every time-stamp token still matches its file (see net/tsa.py);
- a full check also reports files nobody refers to: blobs and WARCs the
  database does not know (``unindexed``), and blobs whose bytes do not match
  their name.

Findings are values; the command prints them and exits non-zero on any.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from archiver.store.evidence import CaptureRef, file_sha256

CHUNK = 1024 * 1024
FINDING_FIELDS = ("problem", "kind", "path", "detail")


@dataclass(frozen=True)
class Finding:
    problem: str  # missing, changed, unindexed, unverified
    kind: str  # blob, warc, record, timestamp
    path: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def line(self) -> str:
        return f"{self.problem} {self.kind}: {self.path}: {self.detail}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    blobs: int = 0
    warc_files: int = 0
    records: int = 0
    timestamps: int = 0

    def add(self, problem: str, kind: str, path: Path | str, detail: str) -> None:
        self.findings.append(Finding(problem, kind, str(path), detail))

    def counts(self) -> dict[str, int]:
        return {"blobs": self.blobs, "warc_files": self.warc_files, "records": self.records,
                "timestamps": self.timestamps, "findings": len(self.findings)}


def check_blobs(report: Report, wanted: Iterable[tuple[str, str]],
                blob_path: Callable[[str], Path]) -> None:
    """Each (sha256, who refers to it): the file exists and has that hash."""
    seen: set[str] = set()
    for sha, who in wanted:
        if sha in seen:
            continue
        seen.add(sha)
        path = blob_path(sha)
        report.blobs += 1
        if not path.is_file():
            report.add("missing", "blob", path, f"named by {who}")
        elif file_sha256(path) != sha:
            report.add("changed", "blob", path, f"sha256 is now {file_sha256(path)}")


def _read_payload_sha(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def check_warc(report: Report, path: Path, captures: list[CaptureRef]) -> None:
    """Read every record of ``path`` with its digests checked; then each capture's."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    report.warc_files += 1
    by_offset: dict[int, tuple[str | None, str]] = {}
    try:
        with path.open("rb") as fh:
            records = ArchiveIterator(fh, check_digests=True)
            for record in records:
                uri = record.rec_headers.get_header("WARC-Target-URI")
                payload = _read_payload_sha(record.content_stream()) \
                    if record.rec_type == "response" else ""
                records.read_to_end(record)
                offset = records.get_record_offset()
                report.records += 1
                if record.digest_checker.passed is False:
                    report.add("changed", "record", f"{path}@{offset}",
                               "; ".join(record.digest_checker.problems))
                by_offset[offset] = (uri, payload)
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        report.add("changed", "warc", path,
                   f"unreadable after {len(by_offset)} good records: {_printable(exc)}")
        return
    for capture in captures:
        if capture.warc_offset is None:
            continue
        found = by_offset.get(capture.warc_offset)
        where = f"{path}@{capture.warc_offset}"
        if found is None:
            report.add("missing", "record", where, f"capture {capture.id} ({capture.url})")
        elif found[0] != capture.url:
            report.add("changed", "record", where,
                       f"capture {capture.id}: record is for {found[0]}, not {capture.url}")
        elif capture.sha256 and found[1] and found[1] != capture.sha256:
            report.add("changed", "record", where,
                       f"capture {capture.id}: payload sha256 {found[1]} is not the "
                       f"blob's {capture.sha256}")


def _printable(exc: BaseException) -> str:
    """An exception as one short line: no bytes of a damaged file on a terminal."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.split(", first line:")[0]
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:160]


def check_warcs(report: Report, warc_dir: Path, captures: Iterable[CaptureRef],
                known: list[tuple[str, str]], *, whole: bool) -> None:
    """The WARCs the captures (and, on a full check, the database) name."""
    by_file: dict[str, list[CaptureRef]] = defaultdict(list)
    for capture in captures:
        if capture.warc_file:
            by_file[capture.warc_file].append(capture)
    names = set(by_file)
    if whole:
        names |= {name for name, state in known if state == "published"}
    for name in sorted(names):
        path = warc_dir / name
        if not path.is_file():
            report.add("missing", "warc", path, f"{len(by_file.get(name, []))} captures in it")
            continue
        check_warc(report, path, by_file.get(name, []))
    if whole and warc_dir.is_dir():
        registered = {name for name, _ in known}
        for path in sorted(warc_dir.iterdir()):
            if path.name.startswith(".") or not path.name.endswith((".warc.gz", ".warc")):
                continue
            if path.name not in registered:
                report.add("unindexed", "warc", path, "the database knows no such WARC")


def check_unindexed_blobs(report: Report, blob_dir: Path, referenced: set[str]) -> None:
    """Blob files the database does not name (or that no longer match their name)."""
    if not blob_dir.is_dir():
        return
    for path in sorted(blob_dir.glob("??/??/*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.name not in referenced:
            report.add("unindexed", "blob", path, "no capture or media row names it")
