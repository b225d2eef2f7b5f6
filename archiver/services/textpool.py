"""Main-text extraction in worker processes, so that a long check uses every core.

Reading a page's main text (for drift and soft-404 comparisons) is pure CPU
under the GIL; in one process it competed with the fetching and recording
threads for one core. A run that has many pages to read hands them to a small
process pool (spawned, not forked: the checking process has threads holding
locks); a short run, or a pool that broke, reads them inline. Workers ignore
Ctrl-C: the checking process decides what an interruption means.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from archiver.net.http import Fetch

START_FROM = 500  # pages read in a run before a pool (a second interpreter) is worth it


def page_text(body: bytes, content_type: str | None, url: str) -> str | None:
    """The page's main text as archiver extracts articles, or None for non-text."""
    from archiver.detect.decoding import decode
    from archiver.detect.document import main_text, sniff_format

    if not body:
        return None
    text, _ = decode(body, content_type)
    fmt = sniff_format(url, content_type, text)
    if fmt is None:
        return None
    return main_text(text, fmt, source_url=url)


def _quiet() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import archiver.detect.document  # noqa: F401 - imported once, before the first page


def workers() -> int:
    """Every core but one, which the checking process itself keeps busy."""
    try:
        return max(1, len(os.sched_getaffinity(0)) - 1)
    except AttributeError:  # not Linux
        return max(1, (os.cpu_count() or 1) - 1)


class TextPool:
    """Reads main texts inline until ``start`` is called, then in worker processes."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes if processes is not None else workers()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def running(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        if self._pool is None and self.processes >= 1:
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_quiet)

    def main_text(self, fetch: Fetch) -> str | None:
        return self.page_text(fetch.body, fetch.content_type, fetch.final_url)

    def page_text(self, body: bytes, content_type: str | None, url: str) -> str | None:
        if not body:
            return None
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(page_text, body, content_type, url).result()
            except (BrokenProcessPool, RuntimeError):  # a worker died, or shut down
                pass
        return page_text(body, content_type, url)

    async def page_text_async(self, body: bytes, content_type: str | None, url: str,
                              threads: Executor | None = None) -> str | None:
        """``page_text`` awaited on an event loop: in a worker process once the pool
        runs, else on one of ``threads`` (the loop's default pool when None)."""
        if not body:
            return None
        pool = self._pool
        if pool is not None:
            try:
                return await asyncio.wrap_future(pool.submit(page_text, body, content_type, url))
            except (BrokenProcessPool, RuntimeError):  # a worker died, or shut down
                pass
        return await asyncio.get_running_loop().run_in_executor(
            threads, page_text, body, content_type, url)

    def close(self, *, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
