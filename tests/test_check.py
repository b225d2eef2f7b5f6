"""Rot checks over real HTTP on the fake web, with history, on SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from archiver.config import load_settings
from archiver.services import check as check_service
from archiver.store import models as m
from archiver.store.db import Database
from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds
from tests.fakeweb.data import Capture, Page

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "2",
        "ARCHIVER_TIMEOUT_READ": "1", "ARCHIVER_RETRIES": "0", "ARCHIVER_PER_HOST_DELAY": "0"}
STORY = "https://news.example/2024/rot.html"
TARGETS = {name: f"https://blog.example/{name}" for name in (
    "fine", "moved", "gone", "soft", "edited", "refused", "slow", "broken", "flaky")}



def concurrent_due_runs(settings, db_url: str, runs: int = 2) -> list:  # type: ignore[no-untyped-def]
    """``runs`` check runs of what is due, at once in threads, one worker each (small
    batches of 16, so every run gets some of the work); their stats."""
    stats: list[check_service.CheckStats] = []

    def one_run() -> None:
        database = Database(db_url)
        try:
            stats.append(check_service.run(settings, database, check_service.Selection(due=True),
                                           concurrency=1))
        finally:
            database.dispose()

    threads = [threading.Thread(target=one_run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats

def env(web) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**web.env(), **FAST}


def _page(text: str) -> bytes:
    return (f"<html><body><article><p>{text}</p><p>{text} More words to make a main "
            "text that is long enough to compare.</p></article></body></html>").encode()


def serve_story(web) -> None:  # type: ignore[no-untyped-def]
    links = "".join(f"<p>See <a href='{u}'>{n}</a>.</p>" for n, u in TARGETS.items())
    web.data.add_page(Page(STORY, f"<html><body><article><h1>Rot</h1>{links}"
                                  "</article></body></html>".encode()))
    web.data.add_page(Page("https://blog.example/new-home", _page("The moved page.")))
    for name, url in TARGETS.items():
        web.data.add_page(Page(url, _page(f"Original page {name} about the floods in May.")))


def outcomes(home, db_url) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {link["url"]: link["last_check"] for link in run_json(home, db_url, "links")}


def states(home, db_url) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {link["url"]: link["state"] for link in run_json(home, db_url, "links")}


def break_the_web(web) -> None:  # type: ignore[no-untyped-def]
    web.fault("blog.example", "/moved", "redirect_to", url="https://blog.example/new-home",
              code=301)
    web.data.add_page(Page(TARGETS["gone"], b"gone", status=410))
    # blog.example answers 200 "not found" for pages it does not have (a soft-404 host)
    web.fault("blog.example", "/soft", "status", code=200,
              body=_page("Sorry, this page does not exist."), content_type="text/html")
    web.fault("blog.example", "/*-archiver-probe", "status", code=200,
              body=_page("Sorry, this page does not exist."), content_type="text/html")
    web.data.add_page(Page(TARGETS["edited"], _page("Completely different words now: a recipe "
                                                    "for lemon cake with sugar and eggs.")))
    web.fault("blog.example", "/refused", "status", code=403)
    web.fault("blog.example", "/slow", "hang", seconds=6)
    web.fault("blog.example", "/broken", "status", code=503)
    web.fault("blog.example", "/flaky", "reset")
    web.data.delete_tweet(ds.PASHINYAN_ID)


@pytest.mark.parametrize("pages_read", ["inline", "in worker processes"])
def test_every_outcome_is_classified_and_kept_as_history(home, db_url, seed_path, fakeweb,
                                                         monkeypatch, pages_read):
    if pages_read != "inline":  # what a long run does: main texts read on every core
        monkeypatch.setattr(check_service, "START_FROM", 0)
    serve_story(fakeweb)
    assert run(home, db_url, "archive", "--with-links", STORY, str(seed_path),
               env=env(fakeweb)).exit_code == 0
    first = run(home, db_url, "check", "--all", "--format", "jsonl", env=env(fakeweb))
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["outcomes"] == {"ok": json.loads(first.stdout)["checked"]}

    break_the_web(fakeweb)
    second = json.loads(run(home, db_url, "check", "--all", "--format", "jsonl",
                            env=env(fakeweb)).stdout)
    got = outcomes(home, db_url)
    assert got[TARGETS["fine"]] == "ok"
    assert got[TARGETS["moved"]] == "redirected"
    assert got[TARGETS["gone"]] == "not_found"
    assert got[TARGETS["soft"]] == "soft_404"
    assert got[TARGETS["edited"]] == "drifted"
    assert got[TARGETS["refused"]] == "blocked"
    assert got[TARGETS["slow"]] == "timeout"
    assert got[TARGETS["broken"]] == "server_error"
    assert got[TARGETS["flaky"]] == "connection_error"
    assert second["outcomes"]["deleted"] == 1  # Pashinyan's tweet, judged by the services

    st = states(home, db_url)
    assert st[TARGETS["gone"]] == "failing"  # one 404 is not death
    assert st[TARGETS["refused"]] == "blocked" and st[TARGETS["edited"]] == "drifted"
    assert st[TARGETS["moved"]] == "moved" and st[TARGETS["fine"]] == "alive"

    engine = create_engine(db_url)
    with Session(engine) as session:
        checks = session.scalars(select(m.LinkCheck).join(m.Link).where(
            m.Link.normalized == TARGETS["edited"]).order_by(m.LinkCheck.id)).all()
        assert [c.outcome for c in checks] == ["ok", "drifted"]  # appended, not overwritten
        assert checks[1].similarity is not None and checks[1].similarity < 0.8
        tweet_checks = session.scalars(select(m.LinkCheck.outcome).where(
            m.LinkCheck.tweet_id == ds.PASHINYAN_ID, m.LinkCheck.link_id.is_(None))).all()
        assert tweet_checks == ["ok", "deleted"]
        assert session.get(m.Tweet, ds.PASHINYAN_ID).state == "deleted"
    engine.dispose()


def test_dead_only_after_failures_spread_over_days(home, db_url, fakeweb):
    serve_story(fakeweb)
    fakeweb.data.captures.append(Capture(TARGETS["gone"], "20240501120000", 200, "text/html",
                                         _page("Original page gone, as the Wayback kept it.")))
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    fakeweb.data.add_page(Page(TARGETS["gone"], b"gone", status=404))
    fakeweb.fault("blog.example", "/broken", "status", code=503)
    engine = create_engine(db_url)
    for round_ in range(3):
        run(home, db_url, "check", "--all", env=env(fakeweb))
        with Session(engine) as session, session.begin():  # pretend a day went by
            for link in session.scalars(select(m.Link).where(m.Link.failing_since.is_not(None))):
                link.failing_since -= dt.timedelta(days=1)
        assert states(home, db_url)[TARGETS["gone"]] == ("dead" if round_ == 2 else "failing")
    engine.dispose()
    assert states(home, db_url)[TARGETS["broken"]] == "failing"  # 5xx is never death
    [gone] = [link for link in run_json(home, db_url, "report")[0]["items"]
              if link["url"] == TARGETS["gone"]]
    assert gone["state"] == "dead"
    assert gone["wayback_url"].endswith("/web/20240501120000/" + TARGETS["gone"])


def test_due_checks_nothing_that_is_not_due(home, db_url, fakeweb):
    serve_story(fakeweb)
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    first = json.loads(run(home, db_url, "check", "--format", "jsonl", env=env(fakeweb)).stdout)
    assert first["checked"] == len(TARGETS) + 1  # the story's links and the story itself
    fakeweb.clear_hits()
    again = json.loads(run(home, db_url, "check", "--due", "--format", "jsonl",
                           env=env(fakeweb)).stdout)
    assert again["checked"] == 0 and fakeweb.hits == []
    limited = json.loads(run(home, db_url, "check", "--all", "--limit", "3", "--format", "jsonl",
                             env=env(fakeweb)).stdout)
    assert limited["checked"] == 3


def test_two_runs_at_once_never_check_the_same_link(db_url, tmp_path, fakeweb, monkeypatch):
    urls = [f"https://example.com/many/{i}" for i in range(40)]
    links = "".join(f"<p><a href='{u}'>{i}</a></p>" for i, u in enumerate(urls))
    fakeweb.data.add_page(Page(STORY, f"<html><body><article>{links}</article></body></html>"
                               .encode()))
    for u in urls:
        fakeweb.data.add_page(Page(u, _page("A page.")))
    fakeweb.fault("example.com", "/many/*", "hang", seconds=0.3)  # slow answers, HEAD too
    home = tmp_path / "home"
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    for key, value in env(fakeweb).items():
        monkeypatch.setenv(key, value)
    settings = load_settings(home=home, database_url=db_url)
    stats = concurrent_due_runs(settings, db_url)
    engine = create_engine(db_url)
    with Session(engine) as session:
        per_link = session.execute(select(m.LinkCheck.link_id, func.count()).group_by(
            m.LinkCheck.link_id)).all()
    engine.dispose()
    assert len(per_link) == len(urls) + 1 and all(n == 1 for _, n in per_link)
    assert sum(s.checked for s in stats) == len(urls) + 1
    assert all(s.checked > 0 for s in stats), [(s.checked, s.seconds) for s in stats]


def test_report_shows_rot_and_the_copies_we_kept(home, db_url, seed_path, fakeweb, tmp_path):
    serve_story(fakeweb)
    run(home, db_url, "archive", "--with-links", STORY, str(seed_path), env=env(fakeweb))
    run(home, db_url, "check", "--all", env=env(fakeweb))
    break_the_web(fakeweb)
    run(home, db_url, "check", "--all", env=env(fakeweb))
    data = json.loads(run(home, db_url, "report", "--format", "jsonl").stdout)
    links = data["totals"]["links"]
    assert links["moved"] == 1 and links["drifted"] == 1 and links["blocked"] == 1
    assert links["failing"] == 5  # gone, soft, slow, broken, flaky: not dead after one look
    assert data["totals"]["citations"]["dead"] == 1  # Pashinyan's deleted tweet
    edited = next(i for i in data["items"] if i["url"] == TARGETS["edited"])
    assert edited["state"] == "drifted" and edited["warc_file"] and edited["sha256"]
    tweet = next(i for i in data["items"] if i["what"] == "citation")
    assert tweet["kind"] == "@NikolPashinyan" and tweet["warc_file"]  # the tweet as we kept it
    assert {d["domain"] for d in data["by_domain"]} >= {"blog.example", "t.co"}
    assert [t["checked"] for t in data["timeline"]] and data["timeline"][-1]["rotten"] >= 5

    csv_lines = run(home, db_url, "report", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("article_id,title,url,published,age,links_alive")
    assert len(csv_lines) == 3  # the story and the seed
    page = tmp_path / "report.html"
    assert run(home, db_url, "report", "--format", "html", "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert "<svg" in html and "<script" not in html and "stylesheet" not in html
    assert TARGETS["edited"] in html
    table = run(home, db_url, "report", "--article", STORY).stdout
    assert "rot report" in table and "drifted" in table


def test_an_interrupted_run_keeps_what_it_recorded_and_frees_the_rest(home, db_url, fakeweb,
                                                                        monkeypatch):
    serve_story(fakeweb)
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    for key, value in env(fakeweb).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(check_service, "RECORD_EVERY", 2)
    settings = load_settings(home=home, database_url=db_url)
    seen: list[str] = []

    def ctrl_c_after_five(outcome: str) -> None:
        seen.append(outcome)
        if len(seen) == 5:
            raise KeyboardInterrupt

    database = Database(db_url)
    try:
        try:
            check_service.run(settings, database, check_service.Selection(due=True),
                              concurrency=1, progress=ctrl_c_after_five)
        except KeyboardInterrupt:
            pass
        with database.reader() as session:
            recorded = session.scalar(select(func.count()).select_from(m.LinkCheck))
            leased = session.scalar(select(func.count()).select_from(m.Link).where(
                m.Link.lease_until.is_not(None)))
    finally:
        database.dispose()
    # every check that finished is kept: the five seen, and any that finished meanwhile
    assert recorded >= 5
    assert leased == 0  # and nothing is left locked for the next run
    after = json.loads(run(home, db_url, "check", "--format", "jsonl", env=env(fakeweb)).stdout)
    assert after["checked"] == len(TARGETS) + 1 - recorded  # the next run does the rest


def test_a_certificate_for_another_name_is_a_tls_error(home, db_url, fakeweb):
    url = "https://unknown-host.example/page"  # routed to the fake web, whose cert lacks it
    fakeweb.data.add_page(Page(STORY, f"<html><body><article><p><a href='{url}'>x</a></p>"
                                      "</article></body></html>".encode()))
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    run(home, db_url, "check", "--all", env=env(fakeweb))
    assert outcomes(home, db_url)[url] == "tls_error"


def test_a_failed_wayback_lookup_keeps_its_cause(home, db_url, fakeweb):
    """When a link dies and the Wayback availability API cannot be read, the check
    says so (not a silent "no capture"), and the link has no wayback_url."""
    serve_story(fakeweb)
    run(home, db_url, "archive", "--offline", STORY, env=env(fakeweb))
    fakeweb.data.add_page(Page(TARGETS["gone"], b"gone", status=404))
    fakeweb.fault("archive.org", "/wayback/available*", "status", code=503)
    engine = create_engine(db_url)
    for _ in range(3):
        run(home, db_url, "check", "--all", env=env(fakeweb))
        with Session(engine) as session, session.begin():  # pretend a day went by
            for link in session.scalars(select(m.Link).where(m.Link.failing_since.is_not(None))):
                link.failing_since -= dt.timedelta(days=1)
    with Session(engine) as session:
        link = session.scalars(select(m.Link).where(m.Link.normalized == TARGETS["gone"])).one()
        last = session.scalars(select(m.LinkCheck).where(m.LinkCheck.link_id == link.id)
                               .order_by(m.LinkCheck.id.desc())).first()
        assert link.state == "dead" and link.wayback_url is None
        assert last is not None and "wayback lookup failed" in (last.error or "")
        assert "archive.org" in last.error and "503" in last.error
    engine.dispose()
