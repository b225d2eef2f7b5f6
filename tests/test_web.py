"""`archiver serve` through Starlette's TestClient: every page and its JSON, the
same objects as the CLI's JSON, the safety headers, downloads with ranges, and
that the reading room cannot write."""

from __future__ import annotations

import gzip
import io
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from warcio.archiveiterator import ArchiveIterator

from archiver.config import load_settings
from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds
from tests.web_helpers import XSS_ID, Archive

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from archiver.web.app import LOOPBACK_HOSTS, create_app


@pytest.fixture(scope="module")
def archive(web_archive: Archive) -> Archive:
    return web_archive


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    settings = load_settings(database_url=archive.db_url, home=archive.home)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(create_app(settings)) as c:
            yield c


def cli_json(archive: Archive, *args: str):  # type: ignore[no-untyped-def]
    return run_json(archive.home, archive.db_url, *args)


def get_json(client: TestClient, path: str):  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def link_id(archive: Archive, url: str) -> int:
    [row] = [r for r in cli_json(archive, "links") if r["url"] == url]
    return row["id"]


def test_every_page_renders_as_html_and_json(client, archive):
    tco = link_id(archive, f"https://t.co/{ds.FRANTZMAN_CODE}")
    pages = ["/articles", f"/articles/{archive.seed_id}", f"/articles/{archive.second_id}",
             f"/tweets/{ds.SV_ID}", f"/tweets/{ds.VIDEO_ID}", f"/tweets/{XSS_ID}",
             f"/links/{tco}", "/report", "/downloads"]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
        assert "<script" not in page.text.lower()  # we ship no script at all
        assert f'href="{path}.json"' in page.text  # every page links its JSON
        assert isinstance(get_json(client, path + ".json"), dict)
    assert client.get("/", follow_redirects=False).headers["location"] == "/articles"


def test_page_json_is_the_cli_json_of_the_same_object(client, archive):
    listed = {a["id"]: a for a in get_json(client, "/articles.json?per_page=500")["articles"]}
    assert listed == {a["id"]: a for a in cli_json(archive, "articles")}

    page = get_json(client, f"/articles/{archive.seed_id}.json")
    show = json.loads(run(archive.home, archive.db_url, "show", str(archive.seed_id),
                          "--format", "jsonl").stdout)
    assert page["article"] == show
    assert len(show["citation_list"]) == 4
    assert page["links"] == cli_json(archive, "links", "--article", str(archive.seed_id))

    tweets = {t["id"]: t for t in cli_json(archive, "tweets")}
    cites = {c["id"]: c for c in cli_json(archive, "citations")}
    for tweet_id in (ds.SV_ID, ds.VIDEO_ID, XSS_ID, ds.FRANTZMAN_ID):
        data = get_json(client, f"/tweets/{tweet_id}.json")
        data["tweet"].pop("urls")
        assert data["tweet"] == tweets[tweet_id]
        assert data["citations"] and all(c == cites[c["id"]] for c in data["citations"])
    assert page["tweets"][ds.SV_ID]["media"] == tweets[ds.SV_ID]["media"]

    links = {r["id"]: r for r in cli_json(archive, "links")}
    for lid, row in links.items():
        assert get_json(client, f"/links/{lid}.json")["link"] == row

    report = get_json(client, "/report.json")
    [cli_report] = cli_json(archive, "report")  # --format json: an array of one report
    report.pop("generated_at"), cli_report.pop("generated_at")
    assert report == cli_report


def test_articles_search_filter_sort_and_pages(client, archive):
    def ids(query: str) -> list[int]:
        return [a["id"] for a in get_json(client, "/articles.json?" + query)["articles"]]

    title = cli_json(archive, "articles")[0]["title"]
    assert ids("q=" + title.split()[0].lower()) == [archive.seed_id]
    assert ids("q=no+such+words") == []
    assert ids("handle=@NikolPashinyan") == [archive.third_id, archive.seed_id]
    assert ids("handle=caucasus_desk") == [archive.second_id]
    assert ids("hashtag=%23ArmenianGenocide") == [archive.seed_id]
    assert ids("domain=jpost.com") == [archive.seed_id]
    everything = [archive.seed_id, archive.second_id, archive.third_id]
    assert ids("sort=archived") == everything[::-1]
    assert ids("sort=archived_asc") == everything
    pages = [get_json(client, f"/articles.json?per_page=2&page={n}&sort=archived_asc")
             for n in (1, 2)]
    assert [(p["total"], p["pages"]) for p in pages] == [(3, 2), (3, 2)]
    assert [a["id"] for p in pages for a in p["articles"]] == everything
    page = client.get("/articles?per_page=2&sort=archived_asc")
    assert 'rel="next" href="/articles?sort=archived_asc&amp;page=2&amp;per_page=2"' in page.text
    assert ids("state=rotten") == [archive.seed_id]  # its report link now answers 404
    assert ids("state=hidden") == [archive.third_id]  # cites a deleted tweet
    assert ids("state=hidden&handle=NikolPashinyan") == [archive.third_id]
    assert client.get("/articles?state=bogus").status_code == 400
    assert client.get("/articles?sort=bogus").status_code == 400


def test_article_page_marks_citations_where_they_stand(client, archive):
    page = client.get(f"/articles/{archive.seed_id}").text
    show = json.loads(run(archive.home, archive.db_url, "show", str(archive.seed_id),
                          "--format", "jsonl").stdout)
    for number, cite in enumerate(show["citation_list"], start=1):
        paragraph = cite["position"]["paragraph"]
        assert re.search(rf'<p id="p{paragraph}" class="cited"><a class="mark" '
                         rf'href="#c{number}">\[{number}\]</a>', page)
        assert f'href="/tweets/{cite["tweet_id"]}"' in page
    assert 'src="/media/' in page  # the photo, from our blob


def test_tweet_page_shows_evidence_flags_and_candidates(client, archive):
    deleted = get_json(client, f"/tweets/{ds.DELETED_ID}.json")["tweet"]
    assert deleted["state"] == "deleted" and deleted["verdict"]["wayback"]
    page = client.get(f"/tweets/{ds.DELETED_ID}").text
    assert "state-deleted" in page and deleted["verdict"]["wayback"]["timestamp"] in page
    assert all(s["provider"] in page for s in deleted["verdict"]["live"])

    data = get_json(client, f"/tweets/{ds.PASHINYAN_ID}.json")
    by_article = {c["article_id"]: c for c in data["citations"]}
    assert by_article[archive.seed_id]["tweet_id"] == ds.PASHINYAN_ID
    misattributed = by_article[archive.third_id]
    assert misattributed["tweet_id"] is None
    assert ds.PASHINYAN_ID in {k["tweet_id"] for k in misattributed["candidates"]}
    page = client.get(f"/tweets/{ds.PASHINYAN_ID}").text
    assert "a candidate only" in page and "We will never surrender" in page

    frantzman = get_json(client, f"/tweets/{ds.FRANTZMAN_ID}.json")
    [short] = [link for link in frantzman["links"] if ds.FRANTZMAN_CODE in link["url"]]
    assert short["resolved_url"] == ds.JPOST_URL
    assert [h["status"] for h in short["hops"]][:1] == [301]


def test_link_page_has_history_copy_and_report_counts(client, archive):
    link = get_json(client, f"/links/{link_id(archive, ds.JPOST_URL)}.json")
    assert link["checks"][0]["outcome"] == "ok"
    assert link["checks"][-1]["status"] == 404 and link["link"]["state"] == "failing"
    assert link["occurrences"][0]["article_id"] == archive.seed_id
    report = get_json(client, "/report.json")
    assert report["totals"]["links"]["failing"] >= 1 and report["timeline"]
    html = client.get("/report").text
    assert "<svg" in html and "polyline" in html and ds.JPOST_URL in html


def test_hostile_text_is_escaped(client):
    page = client.get(f"/tweets/{XSS_ID}").text
    assert "&lt;script&gt;window.__pwned = 1" in page
    assert "&lt;img src=x onerror=" in page
    assert "<img src=x" not in page and "<script>" not in page


def test_strict_csp_on_pages_and_sandbox_on_archived_bytes(client, archive):
    page = client.get("/articles")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # no script allowed
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"

    tco = link_id(archive, ds.JPOST_URL)
    link = get_json(client, f"/links/{tco}.json")
    assert link["our_copy"]["sha256"] and link["our_copy"]["warc_file"]
    capture_id = link["our_copy"]["id"]
    raw = client.get(f"/captures/{capture_id}/raw")
    assert raw.status_code == 200
    assert raw.headers["content-security-policy"].startswith("sandbox")
    download = client.get(f"/captures/{capture_id}/download")
    assert download.headers["content-disposition"].startswith("attachment")
    assert 'sandbox="" src="/captures/' in client.get(f"/links/{tco}").text


def test_media_come_from_our_blobs(client, archive):
    tweet = get_json(client, f"/tweets/{ds.SV_ID}.json")["tweet"]
    [photo] = tweet["media"]
    page = client.get(f"/tweets/{ds.SV_ID}").text
    [src] = re.findall(r'<img class="photo" src="(/media/\d+)"', page)
    image = client.get(src)
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.content == Path(photo["path"]).read_bytes()
    blob = client.get(f"/blobs/{photo['sha256']}")
    assert blob.headers["content-disposition"].startswith("attachment")
    assert blob.content == image.content

    video = get_json(client, f"/tweets/{ds.VIDEO_ID}.json")["tweet"]
    assert any(m["kind"] == "video" and m["sha256"] for m in video["media"])
    [vsrc] = re.findall(r'<video controls preload="metadata" src="(/media/\d+)"',
                        client.get(f"/tweets/{ds.VIDEO_ID}").text)
    part = client.get(vsrc, headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"ftyp"


def test_warc_downloads_with_ranges(client, archive):
    downloads = get_json(client, "/downloads.json")
    assert downloads["warcs"] and downloads["blobs"]
    name = downloads["warcs"][0]["name"]
    whole = (archive.home / "warcs" / name).read_bytes()
    full = client.get(f"/warcs/{name}")
    assert full.content == whole and full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-disposition"].startswith("attachment")
    part = client.get(f"/warcs/{name}", headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == whole[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole)}"
    tail = client.get(f"/warcs/{name}", headers={"Range": f"bytes={len(whole) + 5}-"})
    assert tail.status_code == 416
    for bad in ("..%2Fhome%2Farchive.sqlite", "%2Fetc%2Fpasswd", "x.warc.gz"):
        assert client.get(f"/warcs/{bad}").status_code == 404
    assert client.get("/blobs/" + "0" * 64).status_code == 404
    assert client.get("/blobs/..%2F..%2Farchive.sqlite").status_code == 404


def test_an_article_as_one_warc(client, archive):
    r = client.get(f"/articles/{archive.seed_id}/records.warc.gz")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        f'attachment; filename="article-{archive.seed_id}.warc.gz"')
    gzip.decompress(r.content)  # whole gzip members only
    uris = [rec.rec_headers.get_header("WARC-Target-URI")
            for rec in ArchiveIterator(io.BytesIO(r.content))]
    assert any("pbs.twimg.com/media/" in u for u in uris)  # the photo
    assert any(ds.SV_ID in u for u in uris)  # the tweet's answer
    assert any(ds.FRANTZMAN_CODE in u for u in uris)  # the short link's hop
    assert not any(str(XSS_ID) in u for u in uris)  # nothing of the other article


def test_errors_are_pages_and_json(client):
    for path in ("/articles/999", "/tweets/123", "/links/999", "/tweets/abc"):
        assert client.get(path).status_code == 404
        r = client.get(path + ".json")
        assert r.status_code == 404 and "error" in r.json()


def test_the_reading_room_cannot_write(client, archive):
    before = cli_json(archive, "links")
    for path in ("/articles", f"/articles/{archive.seed_id}", "/report"):
        assert client.post(path).status_code == 405
    with client.app.state.db.reader() as session, pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM link_check"))
    assert cli_json(archive, "links") == before


def test_dns_rebinding_is_refused_on_loopback(archive):
    settings = load_settings(database_url=archive.db_url, home=archive.home)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(create_app(settings, allowed_hosts=LOOPBACK_HOSTS),
                        base_url="http://127.0.0.1:8000") as c:
            assert c.get("/articles").status_code == 200
            assert c.get("/articles", headers={"host": "evil.example"}).status_code == 400
            assert c.get("/articles", headers={"host": "evil.example:8000"}).status_code == 400
            for good in ("localhost:8000", "[::1]:8000", "127.0.0.1"):
                assert c.get("/articles", headers={"host": good}).status_code == 200


def test_serve_refuses_a_missing_archive(tmp_path, db_url):
    home = tmp_path / "empty"
    result = run(home, f"sqlite:///{home / 'archive.sqlite'}", "serve", "--port", "0")
    assert result.exit_code == 1
    assert result.stderr.startswith("archiver: error: ") and "no archive there" in result.stderr
    assert not (home / "archive.sqlite").exists()
