"""Content-addressed blobs: ``blobs/ab/cd/<sha256>``, written atomically.

A blob is written to a temporary file in the same folder, flushed and fsynced,
then renamed onto its hash name, so a reader never sees half a file. The
temporary file (``.tmp-<pid>-*``) is locked while written and removed on any
failure; one that a killed run left behind is removed by ``remove_abandoned``
at the start of the next run. A full disk is ``DiskFull`` naming the folder.
Writing the same bytes twice is free.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Self

from archiver import crashpoints
from archiver.errors import DiskFull
from archiver.store import tempfiles


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data``; returns (sha256, size)."""
        return self.put_stream([data])

    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store a stream without holding it whole in memory; returns (sha256, size)."""
        with self.writer() as writer:
            for chunk in chunks:
                writer.write(chunk)
            return writer.commit()

    def writer(self) -> BlobWriter:
        """A streaming writer: feed ``write`` chunk by chunk, then ``commit``."""
        return BlobWriter(self)

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def remove_abandoned(self) -> list[Path]:
        """Remove the temporary files of runs that died while writing."""
        return tempfiles.remove_abandoned(self.root, ".tmp-*")


class BlobWriter:
    """Writes one blob as it streams in (media never sits whole in memory)."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self._digest = hashlib.sha256()
        self.size = 0
        self._out, self._tmp = tempfiles.create(store.root, ".tmp-")
        self.sha256: str | None = None

    def write(self, chunk: bytes) -> None:
        """Append a chunk; on a full disk the temporary file is removed at once
        and ``DiskFull`` raised (never an OSError a caller could take for a
        network error)."""
        self._digest.update(chunk)
        self.size += len(chunk)
        try:
            with tempfiles.disk_full_is(self.store.root):
                self._out.write(chunk)
        except DiskFull:
            self.abort()
            raise

    def restart(self) -> None:
        """Forget what was written so far: a retried download starts from byte 0."""
        self._out.seek(0)
        self._out.truncate()
        self._digest = hashlib.sha256()
        self.size = 0

    def commit(self) -> tuple[str, int]:
        try:
            with tempfiles.disk_full_is(self.store.root):
                self._out.flush()
                os.fsync(self._out.fileno())
                self._out.close()
                sha = self._digest.hexdigest()
                target = self.store.path(sha)
                if target.exists():
                    os.unlink(self._tmp)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    crashpoints.reached("blob:before_rename")
                    os.replace(self._tmp, target)
                    tempfiles.fsync_dir(target.parent)
        except BaseException:
            self.abort()
            raise
        self.sha256 = sha
        return sha, self.size

    def abort(self) -> None:
        if not self._out.closed:
            try:
                self._out.close()
            except OSError:  # the buffered tail cannot be written (disk full): drop it
                pass
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self.sha256 is None:
            self.abort()

