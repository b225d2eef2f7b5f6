"""Turning fetched exchanges into preserved captures: blob + WARC record + row.

Every response we rely on is kept byte-exact: its body in the blob store (named
by its hash), the request and response in this run's WARC, and a ``capture``
row pointing at both.

Runs are two-phase (see runs.py): while fetching, the recorder writes blobs and
WARC records (files, no database) and keeps the capture rows in memory, not yet
in any session; ``store`` adds them all in the run's one short transaction, and
whatever refers to a capture reads its id after that.
"""

from __future__ import annotations

from archiver.net.http import Exchange, Fetch
from archiver.store import models as m
from archiver.store import rows
from archiver.store.blobs import BlobStore
from archiver.store.session import Session
from archiver.store.warc import WarcRun


class Recorder:
    def __init__(self, blobs: BlobStore, warc: WarcRun | None) -> None:
        self.blobs = blobs
        self.warc = warc
        self.bytes_saved = 0
        self.captures: list[m.Capture] = []  # in memory until ``store``

    def exchange(self, exchange: Exchange, *, blob: tuple[str, int] | None = None) -> m.Capture:
        """Record one exchange; ``blob`` is given when the body was streamed to disk."""
        if blob is None:
            sha, size = self.blobs.put(exchange.body or b"")
        else:
            sha, size = blob
        offset = None
        # A HEAD answer has no body: in a WARC it would replay as an empty page.
        if self.warc is not None and exchange.method == "GET":
            with self.blobs.path(sha).open("rb") as payload:
                offset = self.warc.record(
                    url=exchange.url, started_at=exchange.started_at,
                    request_headers=exchange.request_headers, status=exchange.status,
                    reason=exchange.reason, http_version=exchange.http_version,
                    headers=exchange.headers, payload=payload, method=exchange.method,
                )
        self.bytes_saved += size
        capture = m.Capture(
            url=exchange.url, fetched_at=exchange.started_at, method=exchange.method,
            status=exchange.status, headers=[list(h) for h in exchange.headers],
            content_type=exchange.content_type, sha256=sha, size=size,
            warc_file=self.warc.name if self.warc is not None and offset is not None else None,
            warc_offset=offset,
        )
        self.captures.append(capture)
        return capture

    def fetch(self, fetch: Fetch, *, blob: tuple[str, int] | None = None) -> list[m.Capture]:
        """Record every hop of a fetch, in order; the last is the final response."""
        captures = [self.exchange(hop) for hop in fetch.hops]
        captures.append(self.exchange(fetch.final, blob=blob))
        return captures

    def failure(self, url: str, error: str) -> m.Capture:
        """A fetch that produced no response is a fact worth keeping too."""
        capture = m.Capture(url=url, error=error)
        self.captures.append(capture)
        return capture

    def store(self, session: Session) -> None:
        """Add every capture recorded so far to ``session``; ids are set after this."""
        fresh = [c for c in self.captures if c.id is None]
        rows.add(session, *fresh)
