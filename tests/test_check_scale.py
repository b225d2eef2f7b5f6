"""A check of a generated archive of 1,000 articles classifies every outcome correctly."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from tests.cli_helpers import run, run_json
from tests.fakeweb.data import Page

ARTICLES = 1000
PER_CLASS = 25  # distinct links per outcome; each article cites two of them
CLASSES = ("ok", "redirected", "not_found", "soft_404", "server_error", "timeout",
           "connection_error", "blocked")
ENV = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "4",
       "ARCHIVER_TIMEOUT_READ": "4", "ARCHIVER_RETRIES": "0", "ARCHIVER_PER_HOST_DELAY": "0",
       "ARCHIVER_PER_HOST_CONCURRENCY": "16"}


def _url(cls: str, i: int) -> str:
    if cls == "soft_404":  # a host that answers 200 "not found" for whatever it lacks
        return f"https://www.example.com/gone/{i}"
    if cls in ("ok", "redirected"):
        return f"https://blog.example/{cls}/{i}"
    return f"https://example.com/{cls}/{i}"


def _page(text: str) -> bytes:
    return f"<html><body><article><p>{text}</p></article></body></html>".encode()


def test_a_thousand_articles(home, db_url, tmp_path: Path, fakeweb):
    rng = random.Random(7)
    urls = [(cls, _url(cls, i)) for i in range(PER_CLASS) for cls in CLASSES]
    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(ARTICLES):
        picked = rng.sample(urls, 2)
        links = "".join(f"<p>Story {n} cites <a href='{u}'>this</a>.</p>" for _, u in picked)
        (folder / f"a{n:04d}.html").write_text(
            f"<html><head><link rel='canonical' href='https://news.example/{n}'></head>"
            f"<body><article><h1>Article {n}</h1>{links}</article></body></html>")
    for _cls, url in urls:  # everything was alive when archived
        fakeweb.data.add_page(Page(url, _page(f"The page at {url}.")))
    for n in range(ARTICLES):  # and so are the articles themselves
        fakeweb.data.add_page(Page(f"https://news.example/{n}", _page(f"Article {n}.")))
    env = {**fakeweb.env(), **ENV}
    archived = run(home, db_url, "archive", "--offline", *sorted(map(str, folder.iterdir())),
                   "--format", "json", env=env)
    assert archived.exit_code == 0, archived.output
    assert len(json.loads(archived.stdout)) == ARTICLES

    for i in range(PER_CLASS):  # then the web rots
        fakeweb.fault("blog.example", f"/redirected/{i}", "redirect_to",
                      url=f"https://blog.example/ok/{i}", code=301)
        fakeweb.data.add_page(Page(_url("not_found", i), b"nope", status=404))
        fakeweb.fault("example.com", f"/server_error/{i}", "status", code=500)
        fakeweb.fault("example.com", f"/timeout/{i}", "hang", seconds=8)
        fakeweb.fault("example.com", f"/connection_error/{i}", "reset")
        fakeweb.fault("example.com", f"/blocked/{i}", "status", code=429, retry_after=1)
    fakeweb.fault("www.example.com", "/*", "status", code=200, content_type="text/html",
                  body=_page("Sorry, the page you are looking for does not exist."))

    result = run(home, db_url, "check", "--all", "--concurrency", "16", "--format", "jsonl",
                 env=env)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    links = {link["url"]: link["last_check"] for link in run_json(home, db_url, "links",
                                                                  "--kind", "external")}
    wrong = {url: (cls, links.get(url)) for cls, url in urls if links.get(url) != cls}
    assert wrong == {}
    assert Counter(links.values()) == Counter({cls: PER_CLASS for cls in CLASSES})
    assert stats["checked"] == len(urls) + ARTICLES  # each link once, and each article's URL
