"""Reading single records out of our WARC files by offset.

Every record is written as its own gzip member (store/warc.py), so one record is
the bytes from its offset to the end of that member: copied as they are, they
form a valid WARC again, with the digests computed when they were written.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

from archiver.errors import ArchiverError

CHUNK = 64 * 1024
MAX_RECORD = 1 << 31  # a record larger than this is not ours


class RecordError(ArchiverError, ValueError):  # a known failure, under the one root
    """The WARC has no whole gzip member at the offset given."""


def warc_path(folder: Path, name: str) -> Path | None:
    """The WARC ``name`` inside ``folder``, or None for a name that tries to leave it."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        return None
    if not name.endswith((".warc.gz", ".warc")):
        return None
    path = folder / name
    return path if path.is_file() else None


def record_bytes(path: Path, offset: int) -> Iterator[bytes]:
    """The compressed bytes of the one gzip member starting at ``offset``."""
    inflater = zlib.decompressobj(wbits=31)
    taken = 0
    with path.open("rb") as file:
        file.seek(offset)
        while not inflater.eof:
            chunk = file.read(CHUNK)
            if not chunk:
                raise RecordError(f"{path.name}@{offset}: cut short")
            try:
                inflater.decompress(chunk)
            except zlib.error as exc:
                raise RecordError(f"{path.name}@{offset}: not a gzip member ({exc})") from None
            used = len(chunk) - len(inflater.unused_data)
            taken += used
            if taken > MAX_RECORD:
                raise RecordError(f"{path.name}@{offset}: record too large")
            yield chunk[:used]
