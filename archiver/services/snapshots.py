"""Keep a copy of every outbound link's target at archive time (--with-links).

Each target is fetched once, within the usual bounds (size, time, redirect
hops, per-host concurrency, address guard), its response kept byte-exact (blob
and WARC record) and its main text kept as a blob too, so that a later check can
tell a page that drifted from one that is merely reachable. Fetches run in a
small thread pool; recording stays on the run's one database session.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.detect.decoding import decode
from archiver.detect.document import main_text as extract_main_text
from archiver.detect.document import sniff_format
from archiver.net.errors import FetchError
from archiver.net.http import Fetch, HttpClient
from archiver.services.recorder import Recorder
from archiver.store import models as m

SNAPSHOT_KINDS = ("external", "internal")
WORKERS = 8


@dataclass
class SnapshotStats:
    saved: int = 0
    failed: int = 0
    messages: list[str] | None = None


def pending_links(session: Session, article_ids: list[int], refetch: bool = False) -> list[m.Link]:
    stmt = (
        select(m.Link)
        .join(m.LinkOccurrence, m.LinkOccurrence.link_id == m.Link.id)
        .join(m.Article, m.Article.id == m.LinkOccurrence.article_id)
        .where(m.LinkOccurrence.version_id == m.Article.current_version_id,
               m.LinkOccurrence.article_id.in_(article_ids),
               m.Link.kind.in_(SNAPSHOT_KINDS))
        .distinct()
        .order_by(m.Link.id)
    )
    links = list(session.scalars(stmt))
    return links if refetch else [link for link in links if link.snapshot_capture_id is None]


def main_text(fetch: Fetch) -> str | None:
    """The page's main text as archiver extracts articles, or None for non-text."""
    if not fetch.body:
        return None
    text, _ = decode(fetch.body, fetch.content_type)
    fmt = sniff_format(fetch.final_url, fetch.content_type, text)
    if fmt is None:
        return None
    return extract_main_text(text, fmt, source_url=fetch.final_url)


def snapshot(
    links: list[m.Link],
    client: HttpClient,
    recorder: Recorder,
    progress: Callable[[str], None] | None = None,
) -> SnapshotStats:
    stats = SnapshotStats(messages=[])

    def fetch(url: str) -> Fetch | FetchError:
        try:
            return client.get(url)
        except FetchError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = pool.map(fetch, [link.normalized for link in links])
        for link, result in zip(links, results, strict=True):
            if progress:
                progress(link.domain or link.normalized[:40])
            if isinstance(result, FetchError):
                recorder.failure(link.normalized, str(result))
                link.snapshot_error = f"{result.cause}: {result.message}"
                stats.failed += 1
                stats.messages.append(str(result))
                continue
            capture = recorder.fetch(result)[-1]
            link.snapshot_capture_id = capture.id
            link.resolved_url = result.final_url if result.hops else link.resolved_url
            if result.status >= 400:
                link.snapshot_error = f"http_{result.status}: HTTP {result.status}"
                stats.failed += 1
                stats.messages.append(f"{link.normalized}: HTTP {result.status}")
                continue
            text = main_text(result)
            if text:
                link.snapshot_text_sha256, _ = recorder.blobs.put(text.encode("utf-8"))
            link.snapshot_error = None
            stats.saved += 1
    return stats
