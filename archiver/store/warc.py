"""One gzipped WARC 1.1 file per run, written with warcio.

Each record is its own gzip member, so a capture row can point at a record by
file and offset. The file is written under a temporary name and published
(fsync, rename) only when the run commits; a failed run discards it, so no
WARC holds records the database does not know.

Bodies are requested with ``Accept-Encoding: identity`` so that what we store
is what crossed the wire. If a server compresses anyway, the record holds the
decoded body and the header is kept as ``X-Archiver-Orig-Content-Encoding``
(with Content-Length set to the decoded length), so replay tools read it right.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__

_DROP = {"content-encoding", "transfer-encoding", "content-length"}


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WarcRun:
    def __init__(self, folder: Path, *, operator: str = "") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self.name = f"archiver-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.folder = folder
        self._tmp = folder / f".{self.name}.open"
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed in publish/discard
        self._writer = WARCWriter(self._file, gzip=True, warc_version="WARC/1.1")
        self.records = 0
        info = {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1",
                "operator": operator or "archiver user"}
        self._writer.write_record(self._writer.create_warcinfo_record(self.name, info))

    @property
    def path(self) -> Path:
        return self.folder / self.name

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
    ) -> int:
        """Write a response and its request; returns the response record's offset."""
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
        response = self._writer.create_warc_record(
            url, "response", payload=stream, length=length, http_headers=http_headers,
            warc_headers_dict={"WARC-Date": date},
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"{method} {target} {http_version}",
                                          list(request_headers), is_http_request=True),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        offset = self._file.tell()
        self._writer.write_record(response)
        self._writer.write_record(request)
        self.records += 1
        return offset

    def publish(self) -> Path | None:
        """Close and move into place; a run that recorded nothing leaves no file."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if self.records == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)
