"""WARCs that replay: what a Wayback-style player (pywb) needs, checked with warcio alone.

pywb indexes each response record by URL, then serves one by reading ``length``
bytes at ``offset`` (a single gzip member), parsing the HTTP head and sending the
payload as it is. So for every capture we check that the member at the row's
offset stands alone, is the response for the row's URL and status, carries no
transfer or content coding a player would re-apply, has a Content-Length equal to
its payload, and that the payload is byte for byte the blob we kept. Redirects
must name a target that is itself in the archive, so replay stays inside it.

(Verified by hand against pywb 2.10.0 ``wayback`` on loopback; pywb is not a
dependency, so this test does not need it.)
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archiver.store import models as m
from archiver.store.warc import WarcRun
from tests.cli_helpers import run
from tests.fakeweb import dataset as ds

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "5",
        "ARCHIVER_TIMEOUT_READ": "2"}
ARTICLE = "https://news.example/2020/10/01/nagorno-karabakh.html"


def captures(db_url: str) -> list[m.Capture]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(m.Capture).order_by(m.Capture.id)))
    finally:
        engine.dispose()


def index(warcs: Path) -> dict[tuple[str, int], tuple[int, str, str | None]]:
    """(file, offset) -> (length, type, target URI), like a CDXJ index of every record."""
    out: dict[tuple[str, int], tuple[int, str, str | None]] = {}
    for path in sorted(warcs.glob("*.warc.gz")):
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                uri = record.rec_headers.get_header("WARC-Target-URI")
                rec_type = record.rec_type
                record.content_stream().read()
                out[(path.name, records.get_record_offset())] = (
                    records.get_record_length(), rec_type, uri)
    return out


def member(path: Path, offset: int, length: int) -> ArcWarcRecord:
    """Read one record the way a player does: just its own bytes, nothing before."""
    with path.open("rb") as stream:
        stream.seek(offset)
        raw = stream.read(length)
    record = next(iter(ArchiveIterator(io.BytesIO(raw))))
    record.payload = record.content_stream().read()  # type: ignore[attr-defined]
    return record


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_every_capture_replays_byte_exact(home, db_url, seed_path, fakeweb):
    env = {**fakeweb.env(), **FAST}
    for args in (("archive", str(seed_path)), ("archive", ARTICLE)):
        result = run(home, db_url, *args, env=env)
        assert result.exit_code == 0, result.output
    warcs = home / "warcs"
    idx = index(warcs)
    rows = [c for c in captures(db_url) if c.warc_file is not None]
    assert {c.url for c in rows} >= {ARTICLE, ds.JPOST_URL}
    assert any("pbs.twimg.com/media/" in c.url for c in rows)
    assert any(c.url.startswith("https://cdn.syndication.twimg.com/") for c in rows)
    redirects = [c for c in rows if c.status is not None and 300 <= c.status < 400]
    assert any(c.url.startswith("https://t.co/") for c in redirects)

    indexed = {uri for (_, rec_type, uri) in idx.values() if rec_type == "response"}
    for capture in rows:
        assert capture.warc_offset is not None
        length, rec_type, uri = idx[(capture.warc_file, capture.warc_offset)]
        assert (rec_type, uri) == ("response", capture.url)
        record = member(warcs / capture.warc_file, capture.warc_offset, length)
        http = record.http_headers
        assert http is not None and int(http.get_statuscode()) == capture.status
        assert http.get_header("Content-Encoding") is None
        assert http.get_header("Transfer-Encoding") is None
        payload = record.payload  # type: ignore[attr-defined]
        assert http.get_header("Content-Length") == str(len(payload)) == str(capture.size)
        assert capture.sha256 is not None
        blob = home / "blobs" / capture.sha256[:2] / capture.sha256[2:4] / capture.sha256
        assert payload == blob.read_bytes(), capture.url
        assert record.rec_headers.get_header("WARC-Payload-Digest") == sha1_b32(payload)
        if capture.content_type:
            assert http.get_header("Content-Type") == capture.content_type
        # its request follows, tied to it, with the same target
        follow = capture.warc_offset + length
        req_length, req_type, req_uri = idx[(capture.warc_file, follow)]
        assert (req_type, req_uri) == ("request", capture.url)
        request = member(warcs / capture.warc_file, follow, req_length)
        assert request.rec_headers.get_header("WARC-Concurrent-To") == \
            record.rec_headers.get_header("WARC-Record-ID")

    # a short link replays as a redirect to a page the archive also holds
    frantzman = next(c for c in redirects if c.url == f"https://t.co/{ds.FRANTZMAN_CODE}")
    length = idx[(frantzman.warc_file, frantzman.warc_offset)][0]
    hop = member(warcs / frantzman.warc_file, frantzman.warc_offset, length)
    assert hop.http_headers.get_header("Location") == ds.JPOST_URL
    assert ds.JPOST_URL in indexed


def test_server_compressed_body_is_stored_decoded(tmp_path):
    body = b"<html><body>" + b"drones " * 200 + b"</body></html>"
    run_ = WarcRun(tmp_path / "warcs")
    offset = run_.record(
        url="https://gz.example/page.html", started_at=dt.datetime(2020, 10, 1, tzinfo=dt.UTC),
        request_headers=(("Accept-Encoding", "identity"),), status=200, reason="OK",
        http_version="HTTP/1.1",
        headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                 ("Content-Length", str(len(gzip.compress(body)))),
                 ("Transfer-Encoding", "chunked")),
        payload=body)
    path = run_.publish()
    assert path is not None
    length = index(path.parent)[(path.name, offset)][0]
    record = member(path, offset, length)
    http = record.http_headers
    assert record.payload == body  # type: ignore[attr-defined]
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(body))
    assert http.get_header("X-Archiver-Orig-Content-Encoding") == "gzip"
