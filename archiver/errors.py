"""One tree of the failures a user can meet, rooted at ``ArchiverError``.

The bottom layer: it imports nothing, so every layer raises these and the
command line catches the root once, printing one line that names the input and
exiting with status 1. Anything not under the root is a bug and stays loud.
Lower-level errors (requests, SQLAlchemy, OSError) are translated where they
happen, as httpx translates its transports' errors: in net/http.py for fetches,
in store/db.py's transaction helpers for the database.

    ArchiverError
    ├── ConfigError      a setting cannot be used (config.py)
    ├── SourceError      a source cannot be read or archived (services/sources.py)
    ├── FetchError       a fetch failed, with its URL and a ``cause`` word (net/errors.py
    │                    holds the subclasses: Timeout, DNSFailure, BlockedAddress, ...)
    ├── WaybackError     a Wayback Machine answer cannot be read (providers/wayback.py)
    ├── DatabaseError    the database cannot be opened, upgraded or used (store/db.py)
    │   └── DiskFull     no space left where a run writes (store/tempfiles.py)
    ├── NotFound         no article matches the reference given (store/queries.py)
    └── OutputError      an output file cannot be written (render.py)

Each class stays importable from the module named beside it.
"""

from __future__ import annotations

from pathlib import Path


class ArchiverError(Exception):
    """A known failure; its message names the input and says what went wrong."""


class ConfigError(ArchiverError):
    """A setting has a value we cannot use."""


class SourceError(ArchiverError):
    """A source cannot be archived; the message names it."""


class FetchError(ArchiverError):
    """A fetch failed; ``cause`` is a short stable word for tables and JSON."""

    cause = "error"

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


class WaybackError(ArchiverError):
    """An Availability or CDX answer that cannot be read (status, JSON or shape)."""


class DatabaseError(ArchiverError):
    """The database cannot be opened, upgraded or used; the message names it."""


class DiskFull(DatabaseError):
    """No space left where a run writes (database, blobs, WARCs); ``cause`` as in
    fetch errors. Nothing of the run was stored."""

    cause = "disk_full"

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder}: no space left on the device (disk_full); "
                         "nothing of this run was stored")
        self.folder = folder


class NotFound(ArchiverError):
    """No article (or other stored thing) matches the reference given."""


class OutputError(ArchiverError):
    """An output file cannot be written (missing or read-only folder, full disk)."""
