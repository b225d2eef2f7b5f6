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

import datetime as dt
from typing import Any, BinaryIO

from archiver import __version__
from archiver.config import Settings
from archiver.net.http import Exchange, Fetch, user_agent
from archiver.store import models as m
from archiver.store import rows
from archiver.store.blobs import BlobStore
from archiver.store.session import Session
from archiver.store.warc import WarcRun

# The settings that shape what a capture holds, recorded with every run.
SHAPING_SETTINGS = (
    "timeout_connect", "timeout_read", "total_timeout", "max_body_bytes", "max_redirects",
    "retries", "retry_max_wait", "per_host_concurrency", "per_host_delay", "providers",
    "syndication_base", "oembed_base", "fxtwitter_base", "wayback_base",
    "wayback_availability_base", "match_threshold", "match_margin", "with_links",
    "connect_to", "allow_private_networks",
)


def run_provenance(settings: Settings) -> dict[str, Any]:
    """What made a run's captures: our version, our User-Agent and the settings."""
    return {"software": f"archiver/{__version__}", "user_agent": user_agent(settings),
            "settings": {name: getattr(settings, name) for name in SHAPING_SETTINGS}}


def exchange_provenance(exchange: Exchange) -> dict[str, Any]:
    """How one response was obtained: where from, over what, when."""
    done = exchange.started_at + dt.timedelta(milliseconds=exchange.elapsed_ms)
    found: dict[str, Any] = {
        "request_at": exchange.started_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "response_at": done.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "elapsed_ms": exchange.elapsed_ms,
        "user_agent": next((v for k, v in exchange.request_headers
                            if k.lower() == "user-agent"), None),
    }
    if exchange.peer:
        found.update({"peer_ip": exchange.peer.get("ip"), "peer_port": exchange.peer.get("port")})
        for key in ("tls_chain_sha256", "tls_chain_certificates", "tls_version"):
            if key in exchange.peer:
                found[key] = exchange.peer[key]
    return found


class Recorder:
    def __init__(self, blobs: BlobStore, warc: WarcRun | None) -> None:
        self.blobs = blobs
        self.warc = warc
        self.bytes_saved = 0
        self.captures: list[m.Capture] = []  # in memory until ``store``

    def exchange(self, exchange: Exchange, *, blob: tuple[str, int] | None = None,
                 payload: bytes | None = None) -> m.Capture:
        """Record one exchange; ``blob`` is given when the body was streamed to disk,
        ``payload`` when the streamed body is at hand in memory too (its bytes)."""
        if blob is None:
            sha, size = self.blobs.put(exchange.body or b"")
        else:
            sha, size = blob
        offset = None
        # A HEAD answer has no body: in a WARC it would replay as an empty page.
        if self.warc is not None and exchange.method == "GET":
            if blob is None:
                payload = exchange.body or b""
            if payload is not None:
                offset = self._record(exchange, payload)
            else:
                with self.blobs.path(sha).open("rb") as stream:
                    offset = self._record(exchange, stream)
        self.bytes_saved += size
        capture = m.Capture(
            url=exchange.url, fetched_at=exchange.started_at, method=exchange.method,
            status=exchange.status, headers=[list(h) for h in exchange.headers],
            content_type=exchange.content_type, sha256=sha, size=size,
            warc_file=self.warc.name if self.warc is not None and offset is not None else None,
            warc_offset=offset, provenance=exchange_provenance(exchange),
        )
        self.captures.append(capture)
        return capture

    def _record(self, exchange: Exchange, payload: BinaryIO | bytes) -> int:
        assert self.warc is not None
        return self.warc.record(
            url=exchange.url, started_at=exchange.started_at,
            request_headers=exchange.request_headers, status=exchange.status,
            reason=exchange.reason, http_version=exchange.http_version,
            headers=exchange.headers, payload=payload, method=exchange.method,
            ip=str(exchange.peer["ip"]) if exchange.peer else None,
        )

    def fetch(self, fetch: Fetch, *, blob: tuple[str, int] | None = None,
              payload: bytes | None = None,
              hop_blobs: tuple[tuple[str, int], ...] = ()) -> list[m.Capture]:
        """Record every hop of a fetch, in order; the last is the final response.
        ``hop_blobs``: the hops' bodies, stored already (by the fetching thread)."""
        if hop_blobs:
            captures = [self.exchange(hop, blob=stored, payload=hop.body or b"")
                        for hop, stored in zip(fetch.hops, hop_blobs, strict=True)]
        else:
            captures = [self.exchange(hop) for hop in fetch.hops]
        captures.append(self.exchange(fetch.final, blob=blob, payload=payload))
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
