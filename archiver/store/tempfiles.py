"""Temporary files a run owns, and a full disk.

Blobs and WARCs are written under temporary names and renamed into place. Each
temporary file carries its writer's pid in its name and an exclusive ``flock``
on its open descriptor for as long as it is being written, so that a later run
can tell a live writer's file (locked, or its pid alive) from one that a killed
run left behind (unlocked and its pid gone), and remove only the latter.

A write that fails for want of space (ENOSPC, EDQUOT) becomes ``DiskFull``,
naming the folder. It is deliberately not an ``OSError``: the HTTP client reads
an ``OSError`` during a body as a dropped connection, and a full disk is not one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from archiver.errors import DiskFull

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_PID = re.compile(r"^\.tmp-(\d+)-|\.(\d+)\.open$")


@contextlib.contextmanager
def disk_full_is(folder: Path) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT raised inside the block into ``DiskFull(folder)``."""
    try:
        yield
    except OSError as exc:
        if exc.errno in FULL:
            raise DiskFull(folder) from None
        raise


def create(folder: Path, prefix: str) -> tuple[BinaryIO, Path]:
    """A new temporary file ``<prefix><pid>-<random>``, open and locked."""
    with disk_full_is(folder):
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", dir=folder)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return os.fdopen(fd, "wb"), Path(name)


def create_named(path: Path) -> BinaryIO:
    """Create ``path`` (which must not exist), open and locked."""
    with disk_full_is(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return os.fdopen(fd, "wb")


def owner_pid(path: Path) -> int | None:
    found = _PID.search(path.name)
    return int(found.group(1) or found.group(2)) if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(path: Path) -> bool:
    """True when no live process owns this temporary file: its pid is gone (or it
    has none) and nobody holds its lock."""
    pid = owner_pid(path)
    if pid is not None and _alive(pid):
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def remove_abandoned(folder: Path, pattern: str) -> list[Path]:
    """Delete the temporary files matching ``pattern`` that dead runs left."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(pattern):
        if path.is_file() and abandoned(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
