"""Runs fetch first and write after, in one short transaction: a slow web holds no
lock that another writer (a ``check``, a second ``archive``) would wait for."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import runs_helpers as rh
from tests.cli_helpers import run, run_json
from tests.conftest import backend
from tests.fakeweb.data import Page

ARTICLE = "https://news.example/2024/06/slow.html"
SLOW = "https://example.com/slow/report"
FAST = "https://example.com/fast/report"


def _serve(web) -> None:  # type: ignore[no-untyped-def]
    body = (f"<html><head><title>Slow web</title><link rel='canonical' href='{ARTICLE}'>"
            f"</head><body><article><h1>Slow web</h1><p>One source is <a href='{SLOW}'>slow"
            f"</a>, the other <a href='{FAST}'>fast</a>, as the web is.</p></article>"
            "</body></html>")
    web.data.add_page(Page(ARTICLE, body.encode()))
    for url in (SLOW, FAST):
        web.data.add_page(Page(url, b"<html><body><article><p>A report with text long enough"
                                    b" to be the main text of its page.</p></article>"
                                    b"</body></html>"))


def _write_with_short_wait(db_url: str) -> None:
    """A write by another connection that waits at most one second for a lock."""
    if backend() == "sqlite":
        engine = create_engine(db_url, connect_args={"timeout": 1})
    else:
        engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            if backend() == "postgresql":
                conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            conn.execute(text("UPDATE article SET title = title"))
            conn.execute(text("UPDATE link SET state = state"))
            conn.execute(text("UPDATE citation SET flags = flags"))
    finally:
        engine.dispose()


def _states(db_url: str, application: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text(
                "SELECT state FROM pg_stat_activity WHERE application_name = :a"),
                {"a": application}))
    finally:
        engine.dispose()


def _overlap(home, db_url, web, host: str, path: str, *args: str):  # type: ignore[no-untyped-def]
    """Run the CLI with ``args`` while another connection writes during its slow
    fetch of ``host`` + ``path`` (the first such fetch only); returns its output."""
    env = {**web.env(), "ARCHIVER_TOTAL_TIMEOUT": "60"}
    web.fault(host, path + "*", "slow_body", delay=0.5, seconds=8, times=1)
    url = db_url
    application = f"archiver-{uuid.uuid4().hex[:8]}"
    if backend() == "postgresql":
        url = make_url(db_url).update_query_dict(
            {"application_name": application}).render_as_string(hide_password=False)
    proc = rh.start(home, url, *args, env=env)
    try:
        rh.wait_for(lambda: web.hits_for(host, path), "the slow fetch began")
        _write_with_short_wait(db_url)  # before: "database is locked" / lock timeout
        if backend() == "postgresql":
            states = _states(db_url, application)
            assert states and "idle in transaction" not in states, states
        assert proc.poll() is None, "the write did not overlap the fetch"
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    return out


def test_archive_with_links_blocks_no_other_writer(home, db_url, fakeweb):
    _serve(fakeweb)
    assert run(home, db_url, "archive", "--offline", ARTICLE, env=fakeweb.env()).exit_code == 0
    out = _overlap(home, db_url, fakeweb, "example.com", "/slow/",
                   "archive", "--with-links", ARTICLE)
    assert "outbound links kept: 2, failed: 0" in out
    links = {link["url"]: link for link in run_json(home, db_url, "links")}
    assert links[SLOW]["snapshot_capture_id"] and links[FAST]["snapshot_capture_id"]



def test_resolve_blocks_no_other_writer(home, db_url, fakeweb, seed_path):
    assert run(home, db_url, "archive", "--offline", str(seed_path)).exit_code == 0
    out = _overlap(home, db_url, fakeweb, "cdn.syndication.twimg.com", "/tweet-result",
                   "resolve", "--format", "jsonl")
    assert json.loads(out)["resolved"] == 4
    assert {c["resolve_state"] for c in run_json(home, db_url, "citations")} == {"resolved"}
