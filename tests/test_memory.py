"""Memory stays flat however many large pages --with-links keeps: bodies stream to
disk and the fetchers cannot run far ahead of the recorder."""

from __future__ import annotations

from pathlib import Path

from tests import runs_helpers as rh
from tests.fakeweb.data import Page

PAGE = 4 * 1024 * 1024
FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "60",
        "ARCHIVER_PER_HOST_DELAY": "0"}


def _peak_kib(tmp_path: Path, web, db_url: str, pages: int) -> int:  # type: ignore[no-untyped-def]
    url = f"https://news.example/2024/06/reports-{pages}.html"
    links = "".join(f"<p>Report {i}: <a href='https://example.com/big/{pages}/{i}'>read it</a>."
                    "</p>" for i in range(pages))
    web.data.add_page(Page(url, (f"<html><head><title>Reports</title><link rel='canonical' "
                                 f"href='{url}'></head><body><article>{links}</article>"
                                 "</body></html>").encode()))
    home = tmp_path / f"home-{pages}"
    usage = tmp_path / f"rss-{pages}"
    done = rh.run(home, db_url, "archive", "--with-links", url,
                  env={**web.env(), **FAST, "ARCHIVER_TEST_RUSAGE": str(usage)})
    assert done.returncode == 0, done.stderr
    assert f"outbound links kept: {pages}, failed: 0" in done.stdout
    return int(usage.read_text())


def test_peak_memory_does_not_grow_with_the_number_of_pages(tmp_path, db_url, fakeweb):
    fakeweb.fault("example.com", "/big/*", "oversized", size=PAGE,
                  content_type="application/pdf")
    few = _peak_kib(tmp_path, fakeweb, db_url, 6)
    many = _peak_kib(tmp_path, fakeweb, db_url, 48)
    # Before: every body in memory, 42 more pages were 168 MiB more.
    assert many - few <= 8 * PAGE // 1024, (few, many)
