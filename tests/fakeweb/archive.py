"""Wayback captures and article pages of the built-in world.

Captures mirror what a client meets when it searches the CDX index for a seed
tweet: the capture it wants, plus near misses (other tweets of the same handle on
neighbouring days, another handle, x.com and mobile copies with ``?s=20``, an
http:80 capture of a redirect, a revisit row, a later 404 after deletion).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from tests.fakeweb import articles
from tests.fakeweb import dataset as ds
from tests.fakeweb.data import Capture, FakeData, Page
from tests.fakeweb.render import legacy_status_page, mobile_status_page
from tests.fakeweb.services.syndication import tweet_json
from tests.fakeweb.services.twitter import APP_SHELL
from tests.fakeweb.syndtoken import syndication_token
from tests.fakeweb.wire import http_date, json_body


def _orig_headers(ts: str, body: bytes, ctype: str = "text/html;charset=utf-8",
                  status_extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The original response headers, re-emitted on replay as ``x-archive-orig-*``."""
    when = dt.datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return [("Date", http_date(when)), ("Content-Type", ctype),
            ("Content-Length", str(len(body))), ("Server", "tsa_b"),
            ("Cache-Control", "no-cache, no-store, must-revalidate, pre-check=0, post-check=0"),
            ("x-response-time", "118"),
            ("x-connection-hash", hashlib.md5(ts.encode() + body[:64]).hexdigest()),
            *(status_extra or [])]


def _status_capture(data: FakeData, tweet_id: str, ts: str, url: str | None = None,
                    mobile: bool = False, handle: str | None = None) -> Capture:
    tweet = data.tweets[tweet_id]
    handle = handle or tweet.posted_as
    url = url or f"https://twitter.com/{handle}/status/{tweet_id}"
    body = (mobile_status_page(tweet, data, handle) if mobile
            else legacy_status_page(tweet, data, handle))
    return Capture(url, ts, 200, "text/html", body, _orig_headers(ts, body))


def _later(tweet_id: str, data: FakeData, minutes: int) -> str:
    when = data.tweets[tweet_id].created_at + dt.timedelta(minutes=minutes)
    return when.strftime("%Y%m%d%H%M%S")


def add_captures(data: FakeData) -> None:
    caps = data.captures
    # Pashinyan seed: twitter.com + a mobile copy with ?s=20 the next morning.
    caps.append(_status_capture(data, ds.PASHINYAN_ID, "20201001130512"))
    caps.append(_status_capture(
        data, ds.PASHINYAN_ID, "20201002081544", mobile=True,
        url=f"https://mobile.twitter.com/NikolPashinyan/status/{ds.PASHINYAN_ID}?s=20"))
    # Pres_Artsakh seed: an http:80 capture of the redirect to https, the page, a revisit.
    http_url = f"http://twitter.com:80/Pres_Artsakh/status/{ds.ARTSAKH_ID}"
    https_url = f"https://twitter.com/Pres_Artsakh/status/{ds.ARTSAKH_ID}"
    redirect_body = b""
    caps.append(Capture(http_url, "20201001150205", 302, "text/html", redirect_body,
                        _orig_headers("20201001150205", redirect_body,
                                      status_extra=[("Location", https_url)]),
                        location=https_url))
    page = _status_capture(data, ds.ARTSAKH_ID, "20201001150210")
    caps.append(page)
    caps.append(Capture(https_url, "20201005093000", None, "warc/revisit", page.body,
                        _orig_headers("20201005093000", page.body)))
    # Frantzman seed: the 2020 page, and a 2024 x.com capture (JS shell, no text).
    caps.append(_status_capture(data, ds.FRANTZMAN_ID, "20201001201530"))
    caps.append(_status_capture(
        data, ds.FRANTZMAN_ID, "20201002093000",
        url=f"https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_ID}?s=20"))
    shell = APP_SHELL.encode()
    caps.append(Capture(f"https://x.com/sfrantzman/status/{ds.FRANTZMAN_ID}?s=20",
                        "20240115103012", 200, "text/html", shell,
                        _orig_headers("20240115103012", shell, "text/html; charset=utf-8")))
    # Distractors: the same handles' other tweets, and another handle.
    for tweet_id in (ds.PASHINYAN_0930_ID, ds.PASHINYAN_1001_AM_ID, ds.PASHINYAN_1002_ID,
                     ds.ARTSAKH_1001_AM_ID, ds.ARTSAKH_1002_ID, ds.FRANTZMAN_0930_ID,
                     ds.FRANTZMAN_1002_ID, ds.BAKU_ID):
        caps.append(_status_capture(data, tweet_id, _later(tweet_id, data, 47)))
    # Deleted tweet: the page and its syndication JSON before deletion, a 404 after.
    caps.append(_status_capture(data, ds.DELETED_ID, "20201001140210"))
    synd = json_body(tweet_json(data.tweets[ds.DELETED_ID], data))
    caps.append(Capture(f"https://cdn.syndication.twimg.com/tweet-result?id={ds.DELETED_ID}"
                        "&lang=en", "20201001140300", 200, "application/json", synd,
                        _orig_headers("20201001140300", synd, "application/json;charset=utf-8")))
    gone = ("<!DOCTYPE html><html><head><title>Twitter</title></head><body><h1>Sorry, that"
            " page doesn’t exist!</h1></body></html>").encode()
    caps.append(Capture(f"https://twitter.com/caucasus_watch/status/{ds.DELETED_ID}",
                        "20210315120000", 404, "text/html", gone,
                        _orig_headers("20210315120000", gone)))
    # A thread that begins alike, and a tweet with the account's own quote of it.
    for tweet_id in (ds.THREAD_1_ID, ds.THREAD_2_ID, ds.WATER_ID, ds.WATER_QUOTE_ID,
                     ds.RETWEET_ID):
        caps.append(_status_capture(data, tweet_id, _later(tweet_id, data, 12)))
    # Deleted, known only from its archived syndication answer (the CDX row of
    # the JSON, fetched by a crawler the day it was posted).
    synd = json_body(tweet_json(data.tweets[ds.DELETED_JSON_ID], data))
    ts = _later(ds.DELETED_JSON_ID, data, 30)
    synd_url = (f"https://cdn.syndication.twimg.com/tweet-result?id={ds.DELETED_JSON_ID}"
                f"&lang=en&token={syndication_token(ds.DELETED_JSON_ID)}")
    caps.append(Capture(synd_url, ts, 200, "application/json", synd,
                        _orig_headers(ts, synd, "application/json;charset=utf-8")))
    # Never existed: x.com's app shell, captured with a 200 as x.com serves it for any id.
    caps.append(Capture(f"https://x.com/caucasus_watch/status/{ds.SHELL_ONLY_ID}",
                        "20240301120000", 200, "text/html", shell,
                        _orig_headers("20240301120000", shell, "text/html; charset=utf-8")))
    # A crawler followed a link naming the wrong account; twitter.com served the tweet
    # anyway, under its author's name (200 rather than a redirect: UNCONFIRMED).
    caps.append(_status_capture(
        data, ds.RENAMED_ID, "20201002101500",
        url=f"https://twitter.com/baku_observer/status/{ds.RENAMED_ID}"))
    # Renamed user: captured under the old handle.
    caps.append(_status_capture(data, ds.RENAMED_ID, "20201001190000"))
    # The seed article itself, the night it was published.
    article = data.page(articles.SEED_URL)
    if article is not None:
        caps.append(Capture(articles.SEED_URL, "20201001220000", 200, "text/html", article.body,
                            _orig_headers("20201001220000", article.body)))


def add_pages(data: FakeData) -> None:
    data.add_page(Page(articles.SEED_URL, articles.seed_article(data, ds.SEED_IDS)))
    data.add_page(Page(articles.JPOST_URL, articles.jpost_article()))
    data.add_page(Page(articles.FOOTAGE_URL, articles.footage_article()))
    data.add_page(Page(articles.PROSE_URL, articles.prose_article(ds.SEED_IDS)))
    data.add_page(Page(articles.ROUNDUP_URL, articles.roundup_markdown(ds.SEED_IDS),
                       content_type="text/markdown; charset=utf-8"))
    data.add_page(Page("https://news.example/", articles.home_page()))
    moved = (f'<html><head><title>Bitly</title></head><body><a href="{articles.FOOTAGE_URL}">'
             "moved here</a></body></html>").encode()
    data.add_page(Page(ds.BITLY_URL, moved, 301, location=articles.FOOTAGE_URL))
