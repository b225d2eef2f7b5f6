"""One gzipped WARC 1.1 file per run, written with warcio.

Each record is its own gzip member, so a capture row can point at a record by
file and offset. The file is written under a temporary name
(``.<name>.<pid>.open``, locked while written, created only when the first
record comes) and published in three steps that keep the database and the
folder in agreement whatever moment a run is killed at:

1. ``seal``: flush and fsync the records, before the transaction that refers
   to them commits (with the file's ``warc_file`` row marked pending);
2. ``publish``: rename onto the final name, fsync the folder;
3. the row is marked published.

A run that fails before its commit discards the file. After a kill, the next
run finishes step 2 and 3 for a file whose pending row was committed and
deletes the others (see ``services/housekeeping.py``): no WARC is left that the
database does not know, and none is written twice.

Bodies are requested with ``Accept-Encoding: identity`` so that what we store
is what crossed the wire. If a server compresses anyway, the record holds the
decoded body and the header is kept as ``X-Archiver-Orig-Content-Encoding``
(with Content-Length set to the decoded length), so replay tools read it right.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import uuid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import DiskFull
from archiver.store import tempfiles

_DROP = {"content-encoding", "transfer-encoding", "content-length"}


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def temp_name(name: str, pid: int) -> str:
    return f".{name}.{pid}.open"


def final_name(temp: str) -> str | None:
    """The WARC name a temporary file will be published as (None: not ours)."""
    if not (temp.startswith(".archiver-") and temp.endswith(".open")):
        return None
    name = temp[1:-len(".open")]
    head, _, tail = name.rpartition(".")
    return head if tail.isdigit() else name


class WarcRun:
    def __init__(self, folder: Path, *, operator: str = "",
                 provenance: dict[str, object] | None = None) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self.name = f"archiver-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.folder = folder
        self.operator = operator
        self.provenance = provenance  # what shaped the run: kept in its warcinfo record
        self._tmp = folder / temp_name(self.name, os.getpid())
        self._file: BinaryIO | None = None
        self._writer: WARCWriter | None = None
        self.records = 0
        self.committed = False  # set once a transaction naming it has committed

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @property
    def temp_path(self) -> Path:
        return self._tmp

    def _open(self) -> WARCWriter:
        if self._writer is not None:
            return self._writer
        self._file = tempfiles.create_named(self._tmp)
        try:
            writer = WARCWriter(self._file, gzip=True, warc_version="WARC/1.1")
            info = {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1",
                    "operator": self.operator or "archiver user"}
            if self.provenance:
                info["archiver-provenance"] = json.dumps(self.provenance, sort_keys=True)
            with tempfiles.disk_full_is(self.folder):
                writer.write_record(writer.create_warcinfo_record(self.name, info))
        except BaseException:
            self.discard()
            raise
        self._writer = writer
        return writer

    def record(
        self,
        *,
        url: str,
        started_at: dt.datetime,
        request_headers: tuple[tuple[str, str], ...],
        status: int,
        reason: str,
        http_version: str,
        headers: tuple[tuple[str, str], ...],
        payload: BinaryIO | bytes,
        method: str = "GET",
        ip: str | None = None,
    ) -> int:
        """Write a response and its request; returns the response record's offset.
        A full disk discards the file and raises ``DiskFull``."""
        writer = self._open()
        assert self._file is not None
        stream = io.BytesIO(payload) if isinstance(payload, bytes) else payload
        stream.seek(0, os.SEEK_END)
        length = stream.tell()
        stream.seek(0)
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP]
        for key, value in headers:
            if key.lower() == "content-encoding":
                kept.append(("X-Archiver-Orig-Content-Encoding", value))
        kept.append(("Content-Length", str(length)))
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), kept, protocol=http_version)
        date = _warc_date(started_at)
        warc_headers = {"WARC-Date": date}
        if ip:
            warc_headers["WARC-IP-Address"] = ip
        response = writer.create_warc_record(
            url, "response", payload=stream, length=length, http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"{method} {target} {http_version}",
                                          list(request_headers), is_http_request=True),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        offset = self._file.tell()
        try:
            with tempfiles.disk_full_is(self.folder):
                writer.write_record(response)
                writer.write_record(request)
        except DiskFull:
            self.discard()
            raise
        self.records += 1
        return offset

    def seal(self) -> None:
        """Make the records durable (before the transaction naming them commits)."""
        if self._file is None or self._file.closed:
            return
        try:
            with tempfiles.disk_full_is(self.folder):
                self._file.flush()
                os.fsync(self._file.fileno())
        except DiskFull:
            self.discard()
            raise

    def publish(self) -> Path | None:
        """Move into place (after the commit); a run that recorded nothing has no file."""
        if self._file is None:
            return None
        self.seal()
        publish(self._tmp, self.path)
        self._file.close()  # the lock is held until the file has its final name
        return self.path

    def discard(self) -> None:
        """Drop the temporary file, unless a committed transaction refers to it
        (then it is published, now or by the next run)."""
        if self.committed:
            return
        if self._file is not None and not self._file.closed:
            try:
                self._file.close()
            except OSError:  # a buffered tail that cannot be written: dropped with the file
                pass
        try:
            self._tmp.unlink(missing_ok=True)
        except OSError:  # its folder could not be made (a file in the way): nothing to drop
            pass
        self._writer = None


def publish(temp: Path, final: Path) -> None:
    """Rename a sealed WARC onto its final name, durably."""
    os.replace(temp, final)
    tempfiles.fsync_dir(final.parent)
