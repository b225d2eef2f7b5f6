"""Keep and show why: short-link failures kept and listed, tweets with their
evidence, articles with the source they were archived from.

Real sockets against the fake web, on SQLite or PostgreSQL (``db_url``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds
from tests.fakeweb.articles import SEED_URL
from tests.test_resolve import web_env

TCO = f"https://t.co/{ds.FRANTZMAN_CODE}"
GONE = "https://www.jpost.com/middle-east/a-page-that-was-removed"

# (fault on the seed's t.co link, extra settings, kept code, where it went)
SHORT_LINK_FAILURES = [
    ({"kind": "redirect_to", "url": "http://127.0.0.2:8080/"}, {}, "refused_address", None),
    ({"kind": "redirect_loop"}, {}, "redirect_loop", None),
    ({"kind": "redirect_to", "url": "https://t.co/hop1"}, {"ARCHIVER_MAX_REDIRECTS": "1"},
     "too_many_hops", None),
    ({"kind": "hang", "seconds": 8}, {}, "timeout", None),
    ({"kind": "oversized", "size": 1_000_000}, {"ARCHIVER_MAX_BODY_BYTES": "200000"},
     "too_large", None),
    ({"kind": "status", "code": 404}, {}, "http_404", None),
    ({"kind": "status", "code": 410}, {}, "http_410", None),
    ({"kind": "redirect_to", "url": GONE}, {}, "http_404", GONE),  # expanded, but dead there
    ({"kind": "redirect_to", "url": "https://unknown-host.example/page"}, {}, "tls_error", None),
    ({"kind": "reset"}, {}, "connection_error", None),
]


def _tco_link(home: Path, db_url: str) -> dict:
    [link] = [row for row in run_json(home, db_url, "links", "--kind", "tco") if row["url"] == TCO]
    return link


def _cited_tco(home: Path, db_url: str) -> dict:
    [cite] = run_json(home, db_url, "citations", "--handle", "sfrantzman")
    [link] = [link for link in cite["links"] if link["url"] == TCO]
    return link


@pytest.mark.parametrize(("fault", "settings", "code", "went"), SHORT_LINK_FAILURES,
                         ids=[f"{case[2]}-{case[0]['kind']}" for case in SHORT_LINK_FAILURES])
def test_a_short_link_that_could_not_be_followed_keeps_its_reason(
        home, db_url, seed_path, fakeweb, fault, settings, code, went):
    fault = dict(fault)
    fakeweb.fault("t.co", f"/{ds.FRANTZMAN_CODE}", fault.pop("kind"), **fault)
    fakeweb.fault("t.co", "/hop1", "redirect_to", url="https://t.co/hop2")
    env = {**web_env(fakeweb), **settings}
    assert run(home, db_url, "archive", str(seed_path), env=env).exit_code == 0

    link = _tco_link(home, db_url)
    assert link["resolve_error"] == code
    message = link["resolve_error_message"]
    assert message and "\n" not in message and len(message) <= 300
    assert link["resolved_url"] == went
    assert _cited_tco(home, db_url) == {"url": TCO, "resolved_url": went, "error": code}
    table = run(home, db_url, "links", "--kind", "tco").stdout
    assert code in table and "resolve_error" in table
    # the guard refused without a single packet to the refused address
    assert fakeweb.hits_for("127.0.0.2") == []


def test_a_later_resolution_that_succeeds_replaces_the_reason(home, db_url, seed_path, fakeweb):
    fakeweb.fault("t.co", f"/{ds.FRANTZMAN_CODE}", "redirect_loop")
    run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    assert _tco_link(home, db_url)["resolve_error"] == "redirect_loop"
    fakeweb.clear_faults()
    again = run(home, db_url, "resolve", "--refetch", "--format", "jsonl", env=web_env(fakeweb))
    assert again.exit_code == 0, again.output
    link = _tco_link(home, db_url)
    assert (link["resolve_error"], link["resolve_error_message"]) == (None, None)
    assert link["resolved_url"] == ds.JPOST_URL
    assert _cited_tco(home, db_url) == {"url": TCO, "resolved_url": ds.JPOST_URL, "error": None}


def test_citation_links_in_csv_are_one_json_cell(home, db_url, seed_path, fakeweb):
    fakeweb.fault("t.co", f"/{ds.FRANTZMAN_CODE}", "status", code=404)
    run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    out = run(home, db_url, "citations", "--handle", "sfrantzman", "--format", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert {"url": TCO, "resolved_url": None, "error": "http_404"} in json.loads(row["links"])


# --- archiver tweets ------------------------------------------------------------------


def _story(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "states.txt"
    path.write_text("A story about the war.\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def held(home, db_url, seed_path, tmp_path, fakeweb):  # type: ignore[no-untyped-def]
    """The seed (four tweets, one photo) and a story citing a protected tweet, a
    deleted one and a renamed account by its old handle, resolved over the fake web."""
    assert run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb)).exit_code == 0
    story = _story(tmp_path, [
        f"https://twitter.com/lockedjournal/status/{ds.PROTECTED_ID}",
        f"https://twitter.com/caucasus_watch/status/{ds.DELETED_ID}",
        f"Stepanakert after tonight's shelling. pic.twitter.com/{ds.RENAMED_PHOTO_CODE}",
        "— Karabakh Now (@KarabakhNow2020) October 1, 2020"])
    assert run(home, db_url, "archive", story, env=web_env(fakeweb)).exit_code == 0
    return {a["source"]: a["id"] for a in run_json(home, db_url, "articles")}, story


def test_tweets_show_state_evidence_author_media_and_citations(home, db_url, seed_path, held):
    articles, _story_path = held
    seed_article = articles[str(seed_path)]
    listed = {t["id"]: t for t in run_json(home, db_url, "tweets")}
    assert {ds.SV_ID, ds.PASHINYAN_ID, ds.ARTSAKH_ID, ds.FRANTZMAN_ID, ds.PROTECTED_ID,
            ds.RENAMED_ID} <= set(listed)

    sv = listed[ds.SV_ID]
    assert (sv["state"], sv["handle"], sv["author_name"], sv["user_id"]) == (
        "available", "SVNewsAlerts", "SV News 🚨", "1167178478235193344")
    assert sv["created_at"].startswith("2020-10-01T17:07:40") and sv["text"].startswith("BREAKING")
    assert sv["provider"] == "syndication" and sv["fetched_at"]
    said = [(e["service"], e["status"]) for e in sv["evidence"]]
    assert ("syndication", 200) in said
    assert all(e["at"] and e["capture_id"] for e in sv["evidence"])
    [photo] = sv["media"]
    assert photo["kind"] == "photo" and photo["mime"] == "image/jpeg"
    blob = Path(photo["path"])
    assert blob.is_absolute() and blob.stat().st_size == photo["size"]
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == photo["sha256"]
    [cite] = sv["citations"]
    assert cite["article_id"] == seed_article and cite["article"].startswith("sha256:")
    by_handle = {c["handle"]: c for c in run_json(home, db_url, "citations")}
    assert cite["citation_id"] == by_handle["SVNewsAlerts"]["id"]

    locked = listed[ds.PROTECTED_ID]
    assert locked["state"] == "protected" and locked["detail"]
    # which service said so, and when: the answer the state rests on is in the evidence
    answer = [e for e in locked["evidence"] if e["capture_id"] == locked["capture_id"]]
    assert answer and answer[0]["service"] == locked["provider"]

    # gone from the live services, its words from the Wayback Machine: every step shown
    gone = listed[ds.DELETED_ID]
    assert gone["state"] == "deleted" and gone["text"]
    assert gone["provider"] == "wayback"
    said = [(e["service"], e["status"]) for e in gone["evidence"]]
    assert ("syndication", 404) in said and ("wayback", 200) in said
    assert [e["at"] for e in gone["evidence"]] == sorted(e["at"] for e in gone["evidence"])


def test_tweets_filters(home, db_url, seed_path, held):
    articles, story = held
    protected = run_json(home, db_url, "tweets", "--state", "protected")
    assert [t["id"] for t in protected] == [ds.PROTECTED_ID]
    assert [t["id"] for t in run_json(home, db_url, "tweets", "--handle", "@svnewsALERTS")] == [
        ds.SV_ID]
    # an account renamed since: found by the handle the article gave it, and by its new one
    for handle in (ds.RENAMED_OLD, ds.RENAMED_NEW):
        assert [t["id"] for t in run_json(home, db_url, "tweets", "--handle", handle)] == [
            ds.RENAMED_ID]
    in_story = run_json(home, db_url, "tweets", "--article", str(articles[story]))
    assert [t["id"] for t in in_story] == sorted([ds.PROTECTED_ID, ds.DELETED_ID, ds.RENAMED_ID],
                                                 key=int)
    in_seed = run_json(home, db_url, "tweets", "--article", str(seed_path))
    assert {t["id"] for t in in_seed} == set(ds.SEED_IDS.values())  # not the candidates
    # known from the Wayback index, 404 everywhere now: deleted, with its evidence
    [deleted] = run_json(home, db_url, "tweets", "--state", "deleted")
    assert deleted["id"] == ds.DELETED_ID
    assert deleted["verdict"]["wayback"]["timestamp"]  # the capture that proves it existed
    assert {answer["status"] for answer in deleted["verdict"]["live"]} == {404}


def test_tweets_in_every_format(home, db_url, held):
    lines = run(home, db_url, "tweets", "--state", "available", "--format", "jsonl").stdout
    assert all(json.loads(line)["state"] == "available" for line in lines.splitlines())
    out = run(home, db_url, "tweets", "--handle", "SVNewsAlerts", "--format", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["id"] == ds.SV_ID and json.loads(row["media"])[0]["kind"] == "photo"
    assert json.loads(row["citations"])[0]["citation_id"]
    table = run(home, db_url, "tweets", "--handle", "SVNewsAlerts").stdout
    assert ds.SV_ID in table and "syndication" in table


def _one_line_error(result, needle: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:") and needle in lines[0]
    assert "Traceback" not in result.output


def test_tweets_bad_input_is_one_line(home, db_url, seed_path):
    run(home, db_url, "archive", "--offline", str(seed_path))
    _one_line_error(run(home, db_url, "tweets", "--state", "gone"), "--state 'gone'")
    _one_line_error(run(home, db_url, "tweets", "--article", "no-such-story"), "no-such-story")
    assert run(home, db_url, "tweets", "--format", "json").stdout.strip() == "[]"


# --- archiver articles ------------------------------------------------------------------


def test_articles_show_the_source_as_given(home, db_url, seed_path, tmp_path, fakeweb,
                                           monkeypatch):
    copy = tmp_path / "notes" / "karabakh.txt"
    copy.parent.mkdir()
    copy.write_bytes(seed_path.read_bytes().replace(b"Questa sera", b"Stasera"))
    monkeypatch.chdir(tmp_path)
    given_url = SEED_URL + "?utm_source=newsletter"  # its canonical URL is the identity
    page = fakeweb.data.page(SEED_URL)
    fakeweb.data.add_page(replace(page, url=given_url))
    assert run(home, db_url, "archive", "--offline", "notes/karabakh.txt", given_url,
               env=web_env(fakeweb)).exit_code == 0
    file_row, url_row = run_json(home, db_url, "articles")
    assert file_row["source"] == "notes/karabakh.txt"
    assert file_row["identity"].startswith("sha256:")
    assert file_row["path"] == str(copy.resolve())
    assert (url_row["source"], url_row["identity"], url_row["path"]) == (
        given_url, SEED_URL, None)
    table = run(home, db_url, "articles").stdout
    assert "notes/karabakh.txt" in table
    # and the article can be asked for by that source
    assert run_json(home, db_url, "tweets", "--article", "notes/karabakh.txt") == []


def test_a_rot_check_joins_the_evidence(home, db_url, held, fakeweb):
    fakeweb.data.delete_tweet(ds.SV_ID)
    assert run(home, db_url, "check", "--all", env=web_env(fakeweb)).exit_code == 0
    [sv] = run_json(home, db_url, "tweets", "--handle", "SVNewsAlerts")
    checks = [e for e in sv["evidence"] if e["service"] == "check"]
    assert len(checks) == 1 and checks[0]["outcome"] in ("not_found", "deleted")
    assert sv["last_checked_at"] == checks[0]["at"]
    assert sv["evidence"][-1] == checks[0]  # the newest word last
