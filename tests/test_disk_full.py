"""A full disk is one line naming the folder, cause disk_full, exit 1, and nothing
half-written: no partial blob, no WARC (published or temporary), no rows.

The disk is a real one: a small tmpfs mounted over the data folder (or its WARC
folder) in a private mount namespace (``unshare -rm``: no root needed where user
namespaces are allowed), only for the archiver process run inside it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from archiver.store import models as m
from tests import runs_helpers as rh
from tests.fakeweb import dataset as ds
from tests.fakeweb.data import Page

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "20"}
SCRIPT = """
mount -t tmpfs -o size="$FULL_SIZE" tmpfs "$FULL_DIR" || exit 99
"$@"
rc=$?
find "$FULL_HOME" -type f > "$FULL_LIST"
exit $rc
"""


def run_on_small_disk(home: Path, db_url: str, folder: Path, size: str, *args: str,
                      env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the CLI with ``folder`` on a tmpfs of ``size``; the files left in ``home``."""
    folder.mkdir(parents=True, exist_ok=True)
    listing = home.parent / "files-left.txt"
    full = {**rh.cli_env(home, db_url, env), "FULL_SIZE": size, "FULL_DIR": str(folder),
            "FULL_HOME": str(home), "FULL_LIST": str(listing)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", SCRIPT, "sh", *rh.cli_command(*args)],
                          env=full, text=True, capture_output=True, check=False, timeout=300)
    assert done.returncode != 99, f"cannot mount a tmpfs: {done.stderr}"
    left = [os.path.relpath(p, home) for p in listing.read_text().split()]
    return done, left


def _assert_failed_cleanly(done, left, db_url, folder) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and lines[0].startswith("archiver: error: "), done.stderr
    assert "disk_full" in lines[0] and str(folder) in lines[0]
    assert not [p for p in left if os.path.basename(p).startswith(".")]  # no .tmp-, no .open
    assert not [p for p in left if p.endswith(".warc.gz")]
    assert rh.count(db_url, m.Article) == 0 and rh.count(db_url, m.Capture) == 0


def _video_article(tmp_path: Path, web, size: int) -> Path:  # type: ignore[no-untyped-def]
    for media in web.data.tweets[ds.VIDEO_ID].media:
        for variant in media.variants:
            variant.size = size
    article = tmp_path / "video.txt"
    article.write_text("The ministry released footage tonight.\n\n"
                       f"https://twitter.com/caucasus_desk/status/{ds.VIDEO_ID}\n")
    return article


def test_media_that_does_not_fit(home, db_url, fakeweb, tmp_path):
    """Before: reported as a connection error, the run went on and committed."""
    article = _video_article(tmp_path, fakeweb, 3 * 1024 * 1024)
    done, left = run_on_small_disk(home, db_url, home, "2m", "archive", str(article),
                                   env={**fakeweb.env(), **FAST})
    _assert_failed_cleanly(done, left, db_url, home / "blobs")


def test_a_page_that_does_not_fit(home, db_url, fakeweb, tmp_path):
    url = "https://news.example/2024/06/full.html"
    fakeweb.data.add_page(Page(url, (
        f"<html><head><title>Full</title><link rel='canonical' href='{url}'></head><body>"
        "<article><p>See <a href='https://example.com/big'>the big report</a> today.</p>"
        "</article></body></html>").encode()))
    fakeweb.fault("example.com", "/big", "oversized", size=5 * 1024 * 1024)
    done, left = run_on_small_disk(home, db_url, home, "2m", "archive", "--with-links", url,
                                   env={**fakeweb.env(), **FAST})
    _assert_failed_cleanly(done, left, db_url, home / "blobs")


def test_a_warc_that_does_not_fit(home, db_url, fakeweb, seed_path):
    """Before: a traceback from the WARC writer and a 0-byte .open left behind."""
    done, left = run_on_small_disk(home, db_url, home / "warcs", "8k", "archive",
                                   str(seed_path), env={**fakeweb.env(), **FAST})
    _assert_failed_cleanly(done, left, db_url, home / "warcs")
    # And the same data folder works again once there is room.
    again = rh.run(home, db_url, "archive", str(seed_path), env={**fakeweb.env(), **FAST})
    assert again.returncode == 0, again.stderr
    assert len(rh.warc_names(home)) == 1 and rh.leftovers(home) == []


def test_a_database_that_does_not_fit(home, tmp_path):
    """The default SQLite file lives in the data folder: when it is the one that
    fills the disk, the same one line, and the transaction is rolled back."""
    article = tmp_path / "long.txt"
    paragraphs = [f"Paragraph {i} of a long report, " + "with words " * 60 for i in range(2000)]
    article.write_text("\n\n".join(paragraphs))  # about 1.4 MB: its blob fits, not twice more
    done, left = run_on_small_disk(home, "", home, "2m", "archive", "--offline", str(article),
                                   env={})
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and "disk_full" in lines[0], done.stderr
    assert lines[0].startswith(f"archiver: error: {home}: "), done.stderr  # the database's folder
    assert not [p for p in left if os.path.basename(p).startswith((".tmp-", ".archiver-"))]
