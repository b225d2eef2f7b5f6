"""What is stored is exactly what was served: cut bodies, retries, slow headers.

Over real sockets against the fake web: the client (and, for media, the whole
``archive`` path) is never mocked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.config import load_settings
from archiver.net import errors
from archiver.net.http import HttpClient
from archiver.store import models as m
from archiver.store.blobs import BlobStore
from tests.cli_helpers import run, run_json
from tests.fakeweb import client as raw
from tests.fakeweb import dataset as ds
from tests.fakeweb.data import Page
from tests.fakeweb.server import FakeWeb
from tests.test_resolve import FAST, rows

PHOTO_PREFIX = f"/media/{ds.SV_PHOTO_KEY}"


def _client(web: FakeWeb, monkeypatch: pytest.MonkeyPatch, **overrides: object) -> HttpClient:
    env = web.env()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", env.pop("REQUESTS_CA_BUNDLE"))
    settings = load_settings(env=env, retry_max_wait=0.01, **overrides)
    return HttpClient(settings, sleep=lambda _s: None)


VIDEO_SIZE = 300_000  # several of the client's 64 KiB reads: a cut lands mid-stream


def _video_url(web: FakeWeb) -> str:
    """The 720p rendition of the fake web's video, made VIDEO_SIZE bytes long."""
    for tweet in web.data.tweets.values():
        for media in tweet.media:
            for variant in media.variants:
                if variant.content_type == "video/mp4" and variant.width == 1280:
                    variant.size = VIDEO_SIZE
                    return variant.url
    raise AssertionError("the fake web has no 720p video")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


CUTS = [
    pytest.param({"after": 150_000}, id="fin-mid-body"),
    pytest.param({"after": 150_000, "rst": True}, id="rst-mid-body"),
    pytest.param({"after": 150_000, "chunked": True}, id="chunked-mid-body"),
    pytest.param({"after": 10**9, "chunked": True}, id="chunked-no-last-chunk"),
]


@pytest.mark.parametrize("cut", CUTS)
def test_a_cut_body_retried_is_stored_exactly_as_served(fakeweb, monkeypatch, tmp_path, cut):
    url = _video_url(fakeweb)
    served = raw.fetch(fakeweb, url).body
    assert len(served) == VIDEO_SIZE
    fakeweb.clear_hits()
    fakeweb.fault("video.twimg.com", "/ext_tw_video/*", "cut", times=1, **cut)
    store = BlobStore(tmp_path / "blobs")
    http = _client(fakeweb, monkeypatch, retries=2)
    with store.writer() as writer:
        fetch = http.get(url, sink=writer)
        sha, size = writer.commit()
    assert fetch.status == 200
    assert [h.fault for h in fakeweb.hits_for("video.twimg.com")] == ["cut", None]
    assert (sha, size) == (_sha(served), len(served))
    assert store.read(sha) == served
    assert _leftovers(store.root) == [store.path(sha)]


@pytest.mark.parametrize("cut", CUTS)
def test_a_body_cut_every_time_is_a_failure_naming_the_cause(fakeweb, monkeypatch, tmp_path,
                                                               cut):
    url = _video_url(fakeweb)
    fakeweb.fault("video.twimg.com", "/ext_tw_video/*", "cut", **cut)
    store = BlobStore(tmp_path / "blobs")
    http = _client(fakeweb, monkeypatch, retries=1)
    with pytest.raises(errors.BodyCutShort) as caught, store.writer() as writer:
        http.get(url, sink=writer)
    assert caught.value.cause == "body_cut_short"
    assert "cut short" in caught.value.message and url in str(caught.value)
    assert len(fakeweb.hits_for("video.twimg.com")) == 2  # retried once, then given up
    assert _leftovers(store.root) == []


def test_a_short_body_in_memory_is_never_returned(fakeweb, monkeypatch):
    url = _video_url(fakeweb)
    fakeweb.fault("video.twimg.com", "/ext_tw_video/*", "cut", after=150_000, times=1)
    http = _client(fakeweb, monkeypatch, retries=1)
    fetch = http.get(url)
    assert fetch.body == raw.fetch(fakeweb, url).body and len(fetch.body) == VIDEO_SIZE


def test_headers_trickled_a_byte_a_second_end_in_a_timeout(fakeweb, monkeypatch):
    # Without a deadline over the headers this call would take the fault's 30 s,
    # then succeed: the test fails by returning 200, not by a clock.
    fakeweb.fault("example.com", "/slow-headers", "trickle_headers", delay=0.5, seconds=30)
    http = _client(fakeweb, monkeypatch, total_timeout=2, timeout_read=5, retries=2)
    with pytest.raises(errors.Timeout, match="longer than 2 s"):
        http.get("https://example.com/slow-headers")
    assert len(fakeweb.hits_for("example.com", "/slow-headers")) == 1  # not retried past it


def test_headers_trickled_are_a_timeout_for_head_too(fakeweb, monkeypatch):
    fakeweb.fault("example.com", "/slow-headers", "trickle_headers", delay=0.5, seconds=30)
    http = _client(fakeweb, monkeypatch, total_timeout=1.5, timeout_read=5)
    with pytest.raises(errors.Timeout):
        http.head("https://example.com/slow-headers")


def test_trickled_headers_that_arrive_in_time_are_an_answer(fakeweb, monkeypatch):
    fakeweb.fault("example.com", "/slow-headers", "trickle_headers", delay=0.01, seconds=0.2)
    http = _client(fakeweb, monkeypatch, total_timeout=20)
    fetch = http.get("https://example.com/slow-headers")
    assert fetch.status == 404 and fetch.final.header("x-padding")


# -- through `archiver archive` ------------------------------------------------



def _warc_payloads(home: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for warc in (home / "warcs").glob("*.warc.gz"):
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    found[uri] = record.content_stream().read()
    return found


@pytest.mark.parametrize("cut", [{"after": 1000}, {"after": 1000, "chunked": True}],
                         ids=["length", "chunked"])
def test_archive_stores_the_photo_exactly_after_a_cut_download(home, db_url, seed_path,
                                                                 fakeweb, cut):
    fakeweb.fault("pbs.twimg.com", PHOTO_PREFIX + "*", "cut", times=1, **cut)
    result = run(home, db_url, "archive", str(seed_path), env={**fakeweb.env(), **FAST})
    assert result.exit_code == 0, result.output
    [photo] = rows(db_url, m.Media)
    served = raw.fetch(fakeweb, photo.url).body
    assert len(served) > 2000
    assert [h.fault for h in fakeweb.hits_for("pbs.twimg.com", PHOTO_PREFIX)][:2] == ["cut", None]
    assert (photo.sha256, photo.size) == (_sha(served), len(served))
    blob = home / "blobs" / photo.sha256[:2] / photo.sha256[2:4] / photo.sha256
    assert blob.read_bytes() == served
    assert _warc_payloads(home)[photo.url] == served
    assert not list((home / "blobs").rglob(".tmp-*"))


def test_archive_reports_a_photo_cut_every_time_and_stores_none(home, db_url, seed_path,
                                                                fakeweb):
    fakeweb.fault("pbs.twimg.com", PHOTO_PREFIX + "*", "cut", after=1000)
    result = run(home, db_url, "archive", str(seed_path), env={**fakeweb.env(), **FAST})
    assert result.exit_code == 0, result.output
    assert "media_body_cut_short" in result.stdout
    assert rows(db_url, m.Media) == []
    assert not any("/media/" in uri for uri in _warc_payloads(home))
    assert not list((home / "blobs").rglob(".tmp-*"))


def test_archive_times_out_a_photo_whose_headers_trickle(home, db_url, seed_path, fakeweb):
    fakeweb.fault("pbs.twimg.com", PHOTO_PREFIX + "*", "trickle_headers", delay=0.5, seconds=30)
    result = run(home, db_url, "archive", str(seed_path),
                 env={**fakeweb.env(), **FAST, "ARCHIVER_TOTAL_TIMEOUT": "2"})
    assert result.exit_code == 0, result.output
    assert "media_timeout" in result.stdout
    assert rows(db_url, m.Media) == []


def test_check_reports_a_link_whose_headers_trickle_as_a_timeout(home, db_url, fakeweb):
    story, target = "https://news.example/2024/slow.html", "https://blog.example/slow-head"
    fakeweb.data.add_page(Page(story, f"<html><body><article><h1>Slow</h1><p>See <a href="
                                      f"'{target}'>this report</a>.</p></article></body>"
                                      "</html>".encode()))
    fakeweb.data.add_page(Page(target, b"<html><body><article><p>A report on the floods in May"
                                       b" with enough words to compare.</p></article></body>"
                                       b"</html>"))
    env = {**fakeweb.env(), **FAST, "ARCHIVER_TOTAL_TIMEOUT": "2", "ARCHIVER_RETRIES": "0"}
    assert run(home, db_url, "archive", "--with-links", story, env=env).exit_code == 0
    fakeweb.fault("blog.example", "/slow-head", "trickle_headers", delay=0.5, seconds=30)
    result = run(home, db_url, "check", "--all", "--format", "jsonl", env=env)
    assert result.exit_code == 0, result.output
    links = {link["url"]: link["last_check"] for link in run_json(home, db_url, "links")}
    assert links[target] == "timeout"
