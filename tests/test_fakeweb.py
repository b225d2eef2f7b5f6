"""The fake web itself: each service answers as the reference says, each fault works.

Real sockets to 127.0.0.1, the URL's host in SNI and Host (tests.fakeweb.client).
"""

from __future__ import annotations

import gzip
import http.client
import json
import ssl
import time
import zlib
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.fakeweb import dataset as ds
from tests.fakeweb import fixtures
from tests.fakeweb.blobs import jpeg_size
from tests.fakeweb.client import BROWSER_UA as BROWSER
from tests.fakeweb.client import cdx, fetch, oembed, synd
from tests.fakeweb.data import default_data, snowflake_time
from tests.fakeweb.server import FakeWeb
from tests.fakeweb.services.tco import browser_page
from tests.fakeweb.syndtoken import syndication_token

# Until conftest imports them for every test module.
fakeweb_session = fixtures.fakeweb_session
fakeweb = fixtures.fakeweb


# --- t.co, pic.twitter.com, twitter.com / x.com ----------------------------------------

def test_tco_plain_client_gets_a_bare_301_with_lower_case_headers(fakeweb: FakeWeb) -> None:
    r = fetch(fakeweb, f"https://t.co/{ds.FRANTZMAN_CODE}")
    names = [k for k, _ in r.raw_headers]
    assert r.status == 301 and r.body == b""
    assert ("location", ds.JPOST_URL) in r.raw_headers
    assert all(n == n.lower() for n in names)
    assert r.h("cache-control") == "private,max-age=300" and r.h("server") == "tsa_a"
    assert r.h("content-length") == "0" and r.h("date").endswith(" UTC")
    assert {"x-response-time", "x-connection-hash", "expires", "set-cookie"} <= set(names)
    unknown = fetch(fakeweb, "https://t.co/zzzzzzzzzz")
    assert unknown.status == 404 and not unknown.h("location")


def test_tco_browser_gets_a_script_redirect_page(fakeweb: FakeWeb) -> None:
    r = fetch(fakeweb, f"https://t.co/{ds.FRANTZMAN_CODE}", ua=BROWSER)
    assert r.status == 200 and r.h("content-type").startswith("text/html")
    assert r.body.decode() == browser_page(ds.JPOST_URL)
    assert (b'location.replace("https:\\/\\/www.jpost.com\\/middle-east\\/azerbaijan-drones-'
            b'report")') in r.body
    assert b'<META http-equiv="refresh" content="0;URL=' + ds.JPOST_URL.encode() in r.body


def test_pic_twitter_twitter_com_and_x_com(fakeweb: FakeWeb) -> None:
    photo = f"https://twitter.com/SVNewsAlerts/status/{ds.SV_ID}/photo/1"
    assert fetch(fakeweb, f"https://pic.twitter.com/{ds.SV_PHOTO_CODE}").h("location") == photo
    assert fetch(fakeweb, f"https://t.co/{ds.SV_PHOTO_CODE}").h("location") == photo
    old = fetch(fakeweb, f"https://t.co/{ds.RENAMED_PHOTO_CODE}").h("location")
    assert f"/{ds.RENAMED_OLD}/status/{ds.RENAMED_ID}/photo/1" in old
    path = f"/sfrantzman/status/{ds.FRANTZMAN_ID}?s=20"
    for host in ("twitter.com", "mobile.twitter.com"):
        r = fetch(fakeweb, f"https://{host}{path}")
        assert (r.status, r.h("location")) == (301, f"https://x.com{path}")
    shell = fetch(fakeweb, f"https://x.com{path}", ua=BROWSER)
    assert shell.status == 200 and b"react-root" in shell.body and b"drones" not in shell.body
    r = fetch(fakeweb, "http://twitter.com/x")  # plain HTTP: to HTTPS first, except t.co
    assert (r.status, r.h("location")) == (301, "https://twitter.com/x")
    assert fetch(fakeweb, f"http://t.co/{ds.FRANTZMAN_CODE}").h("location") == ds.JPOST_URL


# --- syndication ---------------------------------------------------------------------

def test_token_pairs_and_seed_snowflakes() -> None:
    assert syndication_token("1163218564784017422") == "2ticx4q85hf"
    assert syndication_token("20") == "6dq1a2xwd93"
    assert syndication_token("1311642375210745856") == "36gn9a42zzq"
    assert ds.SV_ID == "1311714411264032768" and ds.PASHINYAN_ID == "1311642375210745856"
    for tweet_id in ds.SEED_IDS.values():
        assert 1311455787217846272 <= int(tweet_id) <= 1311818175083446271  # 2020-10-01 UTC
    for tweet in default_data().tweets.values():  # created_at = the id's time, whole seconds
        assert snowflake_time(tweet.id).replace(microsecond=0) == tweet.created_at, tweet.id


def test_syndication_tweet_shape(fakeweb: FakeWeb) -> None:
    r = synd(fakeweb, ds.SV_ID)
    assert r.status == 200 and r.h("content-type").startswith("application/json")
    t = r.json()
    assert t["__typename"] == "Tweet" and t["id_str"] == ds.SV_ID
    assert t["created_at"] == "2020-10-01T17:07:40.000Z"
    assert t["text"].endswith("massive escalation. https://t.co/QDhfkrnCsP")
    assert t["display_text_range"] == [0, len(t["text"]) - len(" https://t.co/QDhfkrnCsP")]
    tags = t["entities"]["hashtags"]
    assert [h["text"] for h in tags] == ["Azerbaijan", "Yerevan"]
    assert all(t["text"][a:b] == "#" + h["text"] for h in tags for a, b in [h["indices"]])
    media = t["mediaDetails"][0]
    assert media["original_info"]["width"] == 1200 and media["original_info"]["height"] == 675
    assert media["url"] == "https://t.co/QDhfkrnCsP" and media["type"] == "photo"
    assert media["expanded_url"] == f"https://twitter.com/SVNewsAlerts/status/{ds.SV_ID}/photo/1"
    assert media["media_url_https"] == t["photos"][0]["url"] == (
        f"https://pbs.twimg.com/media/{ds.SV_PHOTO_KEY}.jpg")
    assert t["user"]["screen_name"] == "SVNewsAlerts" and t["user"]["name"] == "SV News 🚨"
    assert t["edit_control"]["edit_tweet_ids"] == [ds.SV_ID] and t["isEdited"] is False
    assert "&amp;" in synd(fakeweb, ds.ARTSAKH_ID).json()["text"]  # v1.1-style escaping
    synd(fakeweb, ds.PASHINYAN_ID, token="a")
    hits = fakeweb.hits_for("cdn.syndication.twimg.com", "/tweet-result")
    assert [h.token_ok for h in hits] == [True, True, False]  # any token is accepted
    assert hits[0].sni == "cdn.syndication.twimg.com" and hits[0].status == 200


def test_syndication_states(fakeweb: FakeWeb) -> None:
    protected = synd(fakeweb, ds.PROTECTED_ID)
    assert protected.status == 200 and protected.json() == {
        "__typename": "TweetTombstone",
        "tombstone": {"text": {"text": "This Post is unavailable.", "entities": [],
                               "rtl": False}}}
    withheld = synd(fakeweb, ds.WITHHELD_ID).json()
    assert "withheld in Germany in response to a legal demand" in str(withheld)
    for tweet_id in (ds.DELETED_ID, ds.SUSPENDED_ID, ds.NEVER_ID):
        r = synd(fakeweb, tweet_id)
        assert r.status == 404 and r.h("content-type").startswith("text/html")


def test_syndication_video_reply_quote_renamed_edited_and_data_edits(fakeweb: FakeWeb) -> None:
    video = synd(fakeweb, ds.VIDEO_ID).json()
    variants = video["mediaDetails"][0]["video_info"]["variants"]
    assert [v.get("bitrate") for v in variants] == [832000, None, 2176000, 256000]
    assert video["video"]["variants"][1]["type"] == "application/x-mpegURL"
    assert video["mediaDetails"][0]["expanded_url"].endswith("/video/1")
    assert video["entities"]["urls"][0]["expanded_url"] == ds.BITLY_URL
    gif = synd(fakeweb, ds.GIF_ID).json()["mediaDetails"][0]
    assert gif["type"] == "animated_gif" and "duration_millis" not in gif["video_info"]
    assert len(synd(fakeweb, ds.PHOTOS4_ID).json()["photos"]) == 4
    quote = synd(fakeweb, ds.QUOTE_ID).json()
    assert quote["quoted_tweet"]["id_str"] == ds.ARTSAKH_ID
    reply = synd(fakeweb, ds.REPLY_ID).json()
    assert reply["in_reply_to_status_id_str"] == ds.PASHINYAN_ID
    assert reply["parent"]["id_str"] == ds.PASHINYAN_ID and reply["display_text_range"][0] == 16
    renamed = synd(fakeweb, ds.RENAMED_ID).json()
    assert renamed["user"]["screen_name"] == ds.RENAMED_NEW
    old = synd(fakeweb, ds.EDIT_V1_ID).json()
    assert old["isEdited"] and old["isStaleEdit"]
    fakeweb.data.delete_tweet(ds.SV_ID)
    assert synd(fakeweb, ds.SV_ID).status == 404
    fakeweb.data.rename_user("27286930", "sethf")
    assert synd(fakeweb, ds.FRANTZMAN_ID).json()["user"]["screen_name"] == "sethf"


# --- oEmbed and FxTwitter -------------------------------------------------------------

def test_oembed_and_fxtwitter(fakeweb: FakeWeb) -> None:
    moved = fetch(fakeweb, "https://publish.twitter.com/oembed?url=a&omit_script=1")
    assert (moved.status, moved.h("location")) == (
        301, "https://publish.x.com/oembed?url=a&omit_script=1")
    ok = oembed(fakeweb, f"https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_ID}").json()
    assert (ok["provider_name"], ok["url"]) == ("X", f"https://x.com/sfrantzman/status/{ds.FRANTZMAN_ID}")
    assert ok["html"].startswith('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">')
    assert '<a href="https://t.co/uYr4nwO5Bw">https://t.co/uYr4nwO5Bw</a>' in ok["html"]
    date_link = (f'<a href="https://x.com/sfrantzman/status/{ds.FRANTZMAN_ID}?ref_src=twsrc%5Etfw">'
                 "October 1, 2020</a></blockquote>")
    assert "&mdash; Seth Frantzman (@sfrantzman) " + date_link in ok["html"]
    protected = oembed(fakeweb, f"https://twitter.com/lockedjournal/status/{ds.PROTECTED_ID}")
    assert protected.status == 403 and b'"request":"\\/oembed?url=https:\\/\\/' in protected.body
    assert oembed(fakeweb, f"https://twitter.com/a/status/{ds.DELETED_ID}").status == 404
    assert oembed(fakeweb, "https://example.com/a/status/1").status == 404
    missing = fetch(fakeweb, "https://publish.x.com/oembed")
    assert missing.status == 400 and missing.json() == {
        "errors": [{"code": 357, "message": "url: queryParam is required"}]}
    renamed = oembed(fakeweb, f"https://twitter.com/{ds.RENAMED_OLD}/status/{ds.RENAMED_ID}")
    assert renamed.json()["author_url"] == f"https://x.com/{ds.RENAMED_NEW}"
    r = fetch(fakeweb, f"https://api.fxtwitter.com/SVNewsAlerts/status/{ds.SV_ID}")
    body = r.json()
    assert (r.status, body["code"], body["message"]) == (200, 200, "OK")
    tweet = body["tweet"]
    assert (tweet["created_at"], tweet["created_timestamp"]) == (
        "Thu Oct 01 17:07:40 +0000 2020", 1601572060)
    assert tweet["media"]["photos"][0]["width"] == 1200
    assert r.h("access-control-allow-origin") == "*"
    video = fetch(fakeweb, f"https://api.fxtwitter.com/status/{ds.VIDEO_ID}").json()
    assert "1280x720" in video["tweet"]["media"]["videos"][0]["url"]
    plain = fetch(fakeweb, f"https://api.fxtwitter.com/status/{ds.PASHINYAN_ID}").json()
    assert "media" not in plain["tweet"]
    for tweet_id, code, message in ((ds.PROTECTED_ID, 401, "PRIVATE_TWEET"),
                                    (ds.DELETED_ID, 404, "NOT_FOUND"),
                                    (ds.SUSPENDED_ID, 404, "NOT_FOUND")):
        err = fetch(fakeweb, f"https://api.fxtwitter.com/status/{tweet_id}")
        assert err.status == code and err.json() == {"code": code, "message": message,
                                                     "tweet": None}
    assert fetch(fakeweb, "https://api.fxtwitter.com/nothing/here/at/all").status == 302


# --- media ----------------------------------------------------------------------------

def test_media_jpegs_of_the_right_size_and_mp4_ranges(fakeweb: FakeWeb) -> None:
    base = f"https://pbs.twimg.com/media/{ds.SV_PHOTO_KEY}"
    orig = fetch(fakeweb, f"{base}?format=jpg&name=orig")
    assert orig.h("content-type") == "image/jpeg" and jpeg_size(orig.body) == (1200, 675)
    assert jpeg_size(fetch(fakeweb, f"{base}?format=jpg&name=small").body) == (680, 383)
    assert jpeg_size(fetch(fakeweb, f"{base}.jpg:thumb").body) == (150, 150)
    assert fetch(fakeweb, f"{base}.jpg:orig").body == orig.body
    big = "https://pbs.twimg.com/media/EjSBc2dEfGhIjK4?format=jpg&name="
    assert jpeg_size(fetch(fakeweb, big + "orig").body) == (4096, 2731)
    assert jpeg_size(fetch(fakeweb, big + "large").body) == (2048, 1366)
    assert fetch(fakeweb, f"{base}?format=jpg&name=huge").status == 404
    assert fetch(fakeweb, "https://pbs.twimg.com/media/AAAAAAAAAAAAAAA.jpg").status == 404
    variant = fakeweb.data.tweets[ds.VIDEO_ID].media[0].variants[2]
    r = fetch(fakeweb, variant.url)
    assert r.h("content-type") == "video/mp4" and r.body[4:8] == b"ftyp"
    assert len(r.body) == variant.size
    part = fetch(fakeweb, variant.url, headers={"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == r.body[:100]
    assert part.h("content-range") == f"bytes 0-99/{variant.size}"
    hls = fakeweb.data.tweets[ds.VIDEO_ID].media[0].variants[1]
    assert fetch(fakeweb, hls.url).body.startswith(b"#EXTM3U")


# --- Wayback --------------------------------------------------------------------------

def test_cdx_json_sorted_prefix_filters_collapse_range_limit_fields_gzip(fakeweb: FakeWeb) -> None:
    rows = cdx(fakeweb, "url=twitter.com/Pres_Artsakh/status/*&output=json").json()
    assert rows[0] == [
        "urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    keys = [(r[0], r[1]) for r in rows[1:]]
    assert keys == sorted(keys) and all(k.startswith("com,twitter)/pres_artsakh/") for k, _ in keys)
    seed = [r for r in rows[1:] if r[0].endswith(ds.ARTSAKH_ID)]
    assert [(r[1], r[4]) for r in seed] == [
        ("20201001150205", "302"), ("20201001150210", "200"), ("20201005093000", "-")]
    assert seed[0][2] == f"http://twitter.com:80/Pres_Artsakh/status/{ds.ARTSAKH_ID}"
    assert seed[2][3] == "warc/revisit" and seed[2][5] == seed[1][5]
    base = "url=twitter.com/NikolPashinyan/status/&matchType=prefix&output=json&fl=timestamp"
    days = cdx(fakeweb, base + "&collapse=timestamp:8").json()
    assert days == [["timestamp"], ["20200930203210"], ["20201001085931"], ["20201002111700"]]
    window = cdx(fakeweb, base + "&from=20201001&to=20201001").json()
    assert all(r[0].startswith("20201001") for r in window[1:])
    full = "url=twitter.com/sfrantzman/status/*&output=json"
    only_ok = cdx(fakeweb, full + "&filter=statuscode:200&filter=!original:.*s=20.*").json()
    assert len(only_ok) == 4
    assert cdx(fakeweb, full + "&limit=-1&fl=original").json() == [
        ["original"], [f"https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_1002_ID}"]]
    assert cdx(fakeweb, "url=twitter.com/nobody/status/*&output=json").json() == []
    x = cdx(fakeweb, f"url=x.com/sfrantzman/status/{ds.FRANTZMAN_ID}?s=20&fl=urlkey")
    assert x.body.decode() == f"com,x)/sfrantzman/status/{ds.FRANTZMAN_ID}?s=20\n"
    domain = cdx(fakeweb, "url=*.twitter.com&fl=original&output=json").json()
    assert any("mobile.twitter.com" in r[0] for r in domain[1:])
    assert cdx(fakeweb, "url=twitter.com&filter=nope:1").status == 400
    r = fetch(fakeweb, "https://web.archive.org/cdx/search/cdx?url=twitter.com/sfrantzman/*",
              headers={"Accept-Encoding": "gzip"})
    assert r.h("content-encoding") == "gzip" and b"sfrantzman" in gzip.decompress(r.body)


def test_replay_exact_id_returns_archived_bytes_with_memento_headers(fakeweb: FakeWeb) -> None:
    cap = next(c for c in fakeweb.data.captures if c.timestamp == "20201001201530")
    r = fetch(fakeweb, f"https://web.archive.org/web/20201001201530id_/{cap.original}")
    assert r.status == 200 and r.body == cap.body
    assert r.h("memento-datetime") == "Thu, 01 Oct 2020 20:15:30 GMT"
    assert r.h("x-archive-src").endswith(".warc.gz") and r.h("x-archive-orig-server") == "tsa_b"
    assert f'<{cap.original}>; rel="original"' in r.h("link")
    page = r.body.decode()
    assert 'og:description" content="“For those who want' in page
    assert f'data-tweet-id="{ds.FRANTZMAN_ID}"' in page and 'data-screen-name="sfrantzman"' in page
    assert 'class="_timestamp' in page and 'data-time="1601566732"' in page
    rewritten = fetch(fakeweb, f"https://web.archive.org/web/20201001201530/{cap.original}")
    assert b"BEGIN WAYBACK TOOLBAR INSERT" in rewritten.body and rewritten.body != cap.body


def test_replay_inexact_timestamp_and_availability_find_the_closest(fakeweb: FakeWeb) -> None:
    url = f"https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_ID}"
    r = fetch(fakeweb, f"https://web.archive.org/web/2020id_/{url}")
    assert r.status == 302 and r.body == b""
    assert r.h("location") == f"https://web.archive.org/web/20201001201530id_/{url}"
    assert r.h("x-archive-redirect-reason") == "found capture at 20201001201530"
    found = fetch(fakeweb, f"https://archive.org/wayback/available?url={url[8:]}&timestamp=2020")
    assert found.json()["archived_snapshots"]["closest"] == {
        "status": "200", "available": True, "timestamp": "20201001201530",
        "url": f"http://web.archive.org/web/20201001201530/{url}"}
    none = fetch(fakeweb, "https://archive.org/wayback/available?url=example.com/nothing").json()
    assert none == {"url": "example.com/nothing", "archived_snapshots": {}}


def test_replay_of_a_captured_redirect_and_of_a_revisit(fakeweb: FakeWeb) -> None:
    http_url = f"http://twitter.com/Pres_Artsakh/status/{ds.ARTSAKH_ID}"
    r = fetch(fakeweb, f"https://web.archive.org/web/20201001150205id_/{http_url}")
    assert r.status == 302 and r.h("x-archive-src") and not r.h("x-archive-redirect-reason")
    assert r.h("location") == (f"https://web.archive.org/web/20201001150205id_/"
                               f"https://twitter.com/Pres_Artsakh/status/{ds.ARTSAKH_ID}")
    page = fetch(fakeweb, f"https://web.archive.org/web/20201001150210id_/{http_url}")
    revisit = fetch(fakeweb, f"https://web.archive.org/web/20201005093000id_/{http_url}")
    assert revisit.status == 200 and revisit.body == page.body
    gone = fetch(fakeweb, "https://web.archive.org/web/20210315120000id_/"
                          f"https://twitter.com/caucasus_watch/status/{ds.DELETED_ID}")
    assert gone.status == 404 and gone.h("x-archive-src")
    missing = fetch(fakeweb, "https://web.archive.org/web/2020id_/https://twitter.com/n/status/1")
    assert missing.status == 404


# --- pages ----------------------------------------------------------------------------

def test_seed_article_and_link_targets(fakeweb: FakeWeb) -> None:
    page = fetch(fakeweb, "https://news.example/2020/10/01/nagorno-karabakh.html").body.decode()
    assert page.count('<blockquote class="twitter-tweet">') == 4
    assert f"twitter.com/SVNewsAlerts/status/{ds.SV_ID}?ref_src=twsrc%5Etfw" in page
    assert ">pic.twitter.com/QDhfkrnCsP</a>" in page
    hop = fetch(fakeweb, ds.BITLY_URL)
    assert (hop.status, hop.h("location")) == (301, "https://news.example/2020/10/01/drone-footage.html")
    assert fetch(fakeweb, ds.JPOST_URL).status == 200 and fetch(fakeweb, "https://x.com/").status == 200
    assert fetch(fakeweb, "http://news.example/2020/10/01/drone-footage.html").status == 200
    assert fetch(fakeweb, "https://news.example/nothing-here").status == 404


def test_requests_verifies_the_fake_ca_and_another_loopback_works(fakeweb: FakeWeb) -> None:
    """requests' own TLS verification with SNI and hostname check for t.co; then 127.0.0.2."""

    class ConnectTo(HTTPAdapter):
        def init_poolmanager(self, *args: object, **kwargs: object) -> None:
            kwargs.update(server_hostname="t.co", assert_hostname="t.co")
            super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]

    with requests.Session() as session:
        session.mount("https://", ConnectTo())
        r = session.get(f"https://{fakeweb.host}:{fakeweb.https_port}/{ds.FRANTZMAN_CODE}",
                        headers={"Host": "t.co"}, allow_redirects=False,
                        verify=fakeweb.ca_path, timeout=5)
    assert r.status_code == 301 and r.headers["Location"] == ds.JPOST_URL
    with FakeWeb(host="127.0.0.2") as web:
        env = web.env()
        assert env["ARCHIVER_CONNECT_TO"] == (f"*:443=127.0.0.2:{web.https_port},"
                                              f"*:80=127.0.0.2:{web.http_port}")
        assert env["ARCHIVER_ALLOW_PRIVATE_NETWORKS"] == (f"127.0.0.2:{web.https_port},"
                                                          f"127.0.0.2:{web.http_port}")
        assert Path(env["REQUESTS_CA_BUNDLE"]).read_text().startswith("-----BEGIN CERTIFICATE")
        assert fetch(web, f"https://t.co/{ds.FRANTZMAN_CODE}").status == 301


# --- faults ---------------------------------------------------------------------------

SYND = "cdn.syndication.twimg.com"


def test_fault_status_times_then_normal_and_redirects(fakeweb: FakeWeb) -> None:
    fakeweb.fault(SYND, "/tweet-result*", "status", code=429, retry_after=2, times=2)
    first, second, third = (synd(fakeweb, ds.SV_ID) for _ in range(3))
    assert (first.status, first.h("retry-after")) == (429, "2") and second.status == 429
    assert third.status == 200
    assert [h.fault for h in fakeweb.hits_for(SYND)] == ["status", "status", None]
    for kind, params in (("explode", {}), ("redirect_to", {}), ("status", {"cod": 500})):
        with pytest.raises(ValueError):
            fakeweb.fault("t.co", "*", kind, **params)


def test_fault_hang_slow_body_and_resets(fakeweb: FakeWeb) -> None:
    fakeweb.fault("t.co", "/uYr4nwO5Bw", "hang", seconds=2)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        fetch(fakeweb, f"https://t.co/{ds.FRANTZMAN_CODE}", timeout=0.3)
    assert time.monotonic() - started < 1.5
    fakeweb.fault(SYND, "*", "slow_body", delay=0.1, seconds=0.5)
    started = time.monotonic()
    r = synd(fakeweb, ds.SV_ID)
    assert time.monotonic() - started >= 0.45 and r.json()["id_str"] == ds.SV_ID
    fakeweb.clear_faults()
    fakeweb.fault(SYND, "*", "reset", times=1)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected, ssl.SSLError)):
        synd(fakeweb, ds.SV_ID)
    fakeweb.fault(SYND, "*", "reset", when="after", times=1)
    with pytest.raises((ConnectionError, http.client.IncompleteRead, ssl.SSLError)):
        synd(fakeweb, ds.SV_ID)
    assert synd(fakeweb, ds.SV_ID).status == 200
    fakeweb.fault("*", "/jpost-loop", "redirect_loop")
    one = fetch(fakeweb, "https://www.jpost.com/jpost-loop")
    assert one.status == 302 and one.h("location") == "https://www.jpost.com/jpost-loop?_loop=1"
    two = fetch(fakeweb, one.h("location"))
    assert two.h("location") == "https://www.jpost.com/jpost-loop"
    meta = "http://169.254.169.254/latest/meta-data/"
    fakeweb.fault("t.co", "*", "redirect_to", url=meta, code=301)
    assert fetch(fakeweb, f"https://t.co/{ds.FRANTZMAN_CODE}").h("location") == meta


def test_fault_bodies_oversized_bomb_content_type_malformed(fakeweb: FakeWeb) -> None:
    fakeweb.fault("news.example", "*", "oversized", size=3_000_000, times=1)
    big = fetch(fakeweb, "https://news.example/")
    assert big.h("content-length") == "3000000" and len(big.body) == 3_000_000
    fakeweb.fault("news.example", "*", "oversized", size=100_000, declare_length=False)
    assert len(fetch(fakeweb, "https://news.example/").body) == 100_000
    fakeweb.clear_faults()
    fakeweb.fault("news.example", "*", "gzip_bomb", size=20_000_000)
    bomb = fetch(fakeweb, "https://news.example/")
    assert bomb.h("content-encoding") == "gzip" and len(bomb.body) < 100_000
    assert len(zlib.decompressobj(31).decompress(bomb.body, 30_000_000)) == 20_000_000
    fakeweb.fault(SYND, "*", "content_type", value="text/plain", times=1)
    r = synd(fakeweb, ds.SV_ID)
    assert r.h("content-type") == "text/plain" and r.json()["id_str"] == ds.SV_ID
    fakeweb.fault(SYND, "*", "malformed_json")
    broken = synd(fakeweb, ds.SV_ID)
    assert broken.status == 200 and broken.h("content-type").startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        broken.json()
