"""One tree of the failures a user can meet, rooted at ``ArchiverError``.

The bottom layer: it imports nothing of ours, so every layer can raise these and
the command line catches the root once, printing one line naming the input and
exiting with status 1. Bugs (anything not under the root) stay loud.
"""

from __future__ import annotations


class ArchiverError(Exception):
    """A known failure; its message names the input and says what went wrong."""


class OutputError(ArchiverError):
    """An output file cannot be written (missing or read-only folder, full disk)."""
