"""Keep a copy of every outbound link's target at archive time (--with-links).

Each target is fetched once, within the usual bounds (size, time, redirect
hops, per-host concurrency, address guard), its response kept byte-exact (blob
and WARC record) and its main text kept as a blob too, so that a later check can
tell a page that drifted from one that is merely reachable.

Fetches run in a small thread pool and stream their bodies straight into the
blob store (a temporary file renamed onto its hash), never into memory; at most
``AHEAD`` fetches are started beyond the one being recorded, so a slow recorder
holds back the fetchers instead of letting finished pages pile up. The fetching
thread also reads the page's main text (in a process pool on a long run) and keeps
it as a blob: a blob is fsynced twice (file and folder, ~4 ms here), which on the
recording thread capped a run at ~250 pages/s. Recording (the WARC record, in
order) stays on the calling thread, one page at a time. The database is written
later, by ``apply``, in the run's one short transaction.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from archiver.detect.decoding import decode
from archiver.detect.document import main_text as extract_main_text
from archiver.detect.document import sniff_format
from archiver.net.errors import FetchError
from archiver.net.http import Fetch, HttpClient
from archiver.services.recorder import Recorder
from archiver.services.textpool import START_FROM, TextPool
from archiver.store import links as stored_links
from archiver.store import models as m
from archiver.store.blobs import BlobStore, BlobWriter
from archiver.store.session import Session

SNAPSHOT_KINDS = ("external", "internal")
WORKERS = 16  # link copies fetched at once (8 -> 16: 276-286 -> 305-323 links/s, 5,000 links, quiet machine)
AHEAD = WORKERS  # fetches started beyond the one being recorded
BODY_IN_MEMORY = 1 << 20  # a body up to this size is handed on in memory, not read back
_TEXT_TYPES = ("text/", "application/xhtml", "application/xml")


@dataclass
class SnapshotStats:
    saved: int = 0
    failed: int = 0
    messages: list[str] | None = None


@dataclass
class Kept:
    """What became of one link's target, for ``apply``."""

    normalized: str
    capture: m.Capture | None = None  # the final response (None: no response)
    resolved_url: str | None = None  # where redirects led (None: no redirect)
    text_sha256: str | None = None
    error: str | None = None  # "cause: message"; None when the copy is good


def main_text(fetch: Fetch, body: bytes | None = None) -> str | None:
    """The page's main text as archiver extracts articles, or None for non-text;
    ``body`` when it was streamed to disk rather than kept on ``fetch``."""
    body = fetch.body if body is None else body
    if not body:
        return None
    text, _ = decode(body, fetch.content_type)
    fmt = sniff_format(fetch.final_url, fetch.content_type, text)
    if fmt is None:
        return None
    return extract_main_text(text, fmt, source_url=fetch.final_url)


@dataclass(frozen=True)
class Got:
    """One fetch, done on a worker thread, with every blob it needs written there: the
    response, its body's blob (and the body itself when small), its main text's blob
    and its redirects' bodies' blobs."""

    fetch: Fetch
    blob: tuple[str, int] | None
    text_sha256: str | None = None
    body: bytes | None = None
    hops: tuple[tuple[str, int], ...] = ()  # the redirects' bodies' blobs, in order


class _Tee:
    """A sink that streams into a blob and keeps a copy of a small body in memory,
    so that neither the main text nor the WARC record reads the blob back."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer
        self.chunks: list[bytes] | None = []
        self.size = 0

    def write(self, chunk: bytes, /) -> None:
        self.writer.write(chunk)
        self.size += len(chunk)
        if self.chunks is not None:
            if self.size > BODY_IN_MEMORY:
                self.chunks = None
            else:
                self.chunks.append(chunk)

    def restart(self) -> None:
        self.writer.restart()
        self.chunks, self.size = [], 0

    def body(self) -> bytes | None:
        return b"".join(self.chunks) if self.chunks is not None else None


def _fetch(client: HttpClient, blobs: BlobStore, url: str,
           texts: TextPool | None = None) -> Got | FetchError:
    """Fetch with the body streamed into a blob (2xx) or kept small in memory; the
    kept page's main text is read (in ``texts``' process pool, when given) and every
    blob written here too (two fsyncs each), so that the recording thread only
    writes the WARC."""
    writer = blobs.writer()
    tee = _Tee(writer)
    try:
        fetch = client.get(url, sink=tee)
    except FetchError as exc:
        writer.abort()
        return exc
    except BaseException:
        writer.abort()
        raise
    if fetch.final.body is None:  # the body went to the writer
        blob = writer.commit()
        body = tee.body()
        hops = tuple(blobs.put(hop.body or b"") for hop in fetch.hops)
        if fetch.status >= 400:
            return Got(fetch, blob, body=body, hops=hops)
        text = _text(texts, blobs, fetch, blob[0], body)
        return Got(fetch, blob, blobs.put(text.encode("utf-8"))[0] if text else None,
                   body, hops)
    writer.abort()  # a body kept in memory (an error page, say): its blob written here too
    body = fetch.final.body or b""
    blob = blobs.put(body)
    hops = tuple(blobs.put(hop.body or b"") for hop in fetch.hops)
    if fetch.status >= 400:
        return Got(fetch, blob, body=body, hops=hops)
    text = main_text(fetch, body) if _is_text(fetch) else None
    return Got(fetch, blob, blobs.put(text.encode("utf-8"))[0] if text else None, body,
               hops)


def _is_text(fetch: Fetch) -> bool:
    ctype = (fetch.content_type or "").split(";")[0].strip().lower()
    return not ctype or ctype.startswith(_TEXT_TYPES)


def _text(texts: TextPool | None, blobs: BlobStore, fetch: Fetch, sha: str,
          body: bytes | None) -> str | None:
    """The main text of a page streamed to a blob (``body``: its bytes, when kept),
    read in ``texts``' process pool when there is one."""
    if not _is_text(fetch):
        return None  # not read back at all: a video is no article
    body = blobs.read(sha) if body is None else body
    if texts is not None:
        return texts.page_text(body, fetch.content_type, fetch.final_url)
    return main_text(fetch, body)


def snapshot(
    urls: list[str],
    client: HttpClient,
    recorder: Recorder,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Kept], SnapshotStats]:
    stats = SnapshotStats(messages=[])
    kept: list[Kept] = []
    todo = deque(urls)
    running: deque[tuple[str, Future[Got | FetchError]]] = deque()
    # Many pages: read their main texts on every core, beside the fetching.
    texts = TextPool() if len(urls) >= START_FROM else None
    if texts is not None:
        texts.start()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        try:
            while todo or running:
                while todo and len(running) < WORKERS + AHEAD:
                    url = todo.popleft()
                    running.append((url, pool.submit(_fetch, client, recorder.blobs, url,
                                                     texts)))
                url, future = running.popleft()
                result = future.result()
                if progress:
                    progress(url.split("/")[2] if "//" in url else url[:40])
                kept.append(_record(url, result, recorder, stats))
        except BaseException:
            for _, future in running:
                future.cancel()
            if texts is not None:
                texts.close(wait=False)
            raise
    if texts is not None:
        texts.close()
    return kept, stats


def _record(url: str, result: Got | FetchError, recorder: Recorder,
            stats: SnapshotStats) -> Kept:
    assert stats.messages is not None
    if isinstance(result, FetchError):
        recorder.failure(url, str(result))
        stats.failed += 1
        stats.messages.append(str(result))
        return Kept(url, error=f"{result.cause}: {result.message}")
    fetch = result.fetch
    capture = recorder.fetch(fetch, blob=result.blob, payload=result.body,
                             hop_blobs=result.hops)[-1]
    item = Kept(url, capture=capture, resolved_url=fetch.final_url if fetch.hops else None)
    if fetch.status >= 400:
        item.error = f"http_{fetch.status}: HTTP {fetch.status}"
        stats.failed += 1
        stats.messages.append(f"{url}: HTTP {fetch.status}")
        return item
    item.text_sha256 = result.text_sha256
    stats.saved += 1
    return item


def apply(session: Session, kept: list[Kept]) -> None:
    """Write the copies onto their links, in the run's transaction (captures are
    stored already); only the snapshot columns are touched."""
    stored_links.set_snapshots(session, [
        {"normalized": item.normalized,
         "capture_id": item.capture.id if item.capture is not None else None,
         "resolved_url": item.resolved_url or None, "text_sha256": item.text_sha256 or None,
         "error": item.error}
        for item in kept])
