"""WARC records as byte ranges: where each record of a stored WARC starts and ends.

Our WARCs hold one gzip member per record (store/warc.py), so a record can be
copied into another WARC byte for byte, without decompressing or recompressing:
its digests, dates and headers stay exactly as they were written at capture time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator


@dataclass(frozen=True)
class Span:
    offset: int
    length: int
    rec_type: str
    record_id: str
    concurrent_to: str | None
    target_uri: str | None
    block_digest: str | None


def spans(path: Path) -> list[Span]:
    """Every record of ``path``, in file order, with its gzip member's byte range."""
    found: list[Span] = []
    with path.open("rb") as stream:
        records = ArchiveIterator(stream, check_digests=False)
        for record in records:
            headers = record.rec_headers
            rec_type = record.rec_type
            record_id = headers.get_header("WARC-Record-ID") or ""
            concurrent = headers.get_header("WARC-Concurrent-To")
            target = headers.get_header("WARC-Target-URI")
            digest = headers.get_header("WARC-Block-Digest")
            records.read_to_end(record)
            found.append(Span(records.get_record_offset(), records.get_record_length(),
                              rec_type, record_id, concurrent, target, digest))
    return found


def with_requests(all_spans: list[Span], chosen_offsets: set[int]) -> list[Span]:
    """The chosen records, each followed by the request records made with it."""
    by_id = {s.record_id: s for s in all_spans}
    picked: list[Span] = []
    seen: set[int] = set()
    for span in all_spans:
        if span.offset in chosen_offsets and span.offset not in seen:
            picked.append(span)
            seen.add(span.offset)
    for span in all_spans:
        if (span.rec_type == "request" and span.concurrent_to in by_id
                and by_id[span.concurrent_to].offset in seen and span.offset not in seen):
            picked.append(span)
            seen.add(span.offset)
    return sorted(picked, key=lambda s: s.offset)


def copy_span(source: BinaryIO, span: Span, out: BinaryIO) -> None:
    """Copy one record's bytes as they are."""
    source.seek(span.offset)
    remaining = span.length
    while remaining > 0:
        chunk = source.read(min(remaining, 1024 * 1024))
        if not chunk:
            raise OSError(f"record at {span.offset} ends early")
        out.write(chunk)
        remaining -= len(chunk)


def copy_file(source: Path, out: Path) -> None:
    with source.open("rb") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
