"""Resolution and snapshots over real HTTP against the fake web, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from archiver.store import models as m
from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds

FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "5",
        "ARCHIVER_TIMEOUT_READ": "2"}


def web_env(web) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**web.env(), **FAST}


def rows(db_url: str, model):  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(model)))
    finally:
        engine.dispose()


def citations(home: Path, db_url: str) -> list[dict]:
    return run_json(home, db_url, "citations")


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from warcio.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "check", str(path)],
                          capture_output=True, text=True, check=False)


def test_seed_resolves_all_four_and_snapshots_them(home, db_url, seed_path, fakeweb):
    result = run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    assert result.exit_code == 0, result.output
    assert "tweets resolved      │ 4" in result.stdout
    cites = {c["handle"]: c for c in citations(home, db_url)}
    assert cites["SVNewsAlerts"]["tweet_id"] == ds.SV_ID
    assert cites["NikolPashinyan"]["tweet_id"] == ds.PASHINYAN_ID
    assert cites["Pres_Artsakh"]["tweet_id"] == ds.ARTSAKH_ID
    assert cites["sfrantzman"]["tweet_id"] == ds.FRANTZMAN_ID
    assert all(not c["flags"] for c in cites.values())
    assert {(c["resolve_state"], c["tweet_state"]) for c in cites.values()} == {
        ("resolved", "available")}
    assert cites["NikolPashinyan"]["match_method"] == "search"
    tweets = {t.id: t for t in rows(db_url, m.Tweet)}
    assert tweets[ds.PASHINYAN_ID].hashtags == ["ArmenianGenocide"]
    assert tweets[ds.SV_ID].provider == "syndication"
    links = {link["url"]: link for link in cites["sfrantzman"]["links"]}
    assert ds.JPOST_URL in links  # the expanded t.co target
    assert links[f"https://t.co/{ds.FRANTZMAN_CODE}"] == {
        "url": f"https://t.co/{ds.FRANTZMAN_CODE}", "resolved_url": ds.JPOST_URL, "error": None}

    by_id = {c.tweet_id: c for c in rows(db_url, m.Citation)}
    assert by_id[ds.SV_ID].match_method == "pic_link"
    assert {by_id[i].match_method for i in (ds.PASHINYAN_ID, ds.ARTSAKH_ID, ds.FRANTZMAN_ID)} \
        == {"search"}
    assert by_id[ds.PASHINYAN_ID].match_score == 100.0

    [photo] = rows(db_url, m.Media)
    assert photo.tweet_id == ds.SV_ID and photo.kind == "photo"
    blob = home / "blobs" / photo.sha256[:2] / photo.sha256[2:4] / photo.sha256
    assert blob.read_bytes()[:2] == b"\xff\xd8" and photo.mime == "image/jpeg"
    assert "name=orig" in photo.url

    hops = sorted(rows(db_url, m.RedirectHop), key=lambda h: (h.link_id, h.hop))
    assert [h.status for h in hops if "pic.twitter.com" in h.url] == [301]

    [warc] = list((home / "warcs").glob("*.warc.gz"))
    check = warcio_check(warc)
    assert check.returncode == 0, check.stdout + check.stderr
    captures = [c for c in rows(db_url, m.Capture) if c.warc_offset is not None]
    assert captures and all(c.warc_file == warc.name for c in captures)
    with warc.open("rb") as stream:
        for capture in captures[:5]:
            stream.seek(capture.warc_offset)
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == capture.url


def test_second_run_fetches_nothing(home, db_url, seed_path, fakeweb):
    run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    fakeweb.clear_hits()
    again = run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    assert again.exit_code == 0
    assert fakeweb.hits == []
    assert len(list((home / "warcs").glob("*.warc.gz"))) == 1  # no empty WARC either
    fakeweb.clear_hits()
    refetched = run(home, db_url, "resolve", "--refetch", "--format", "jsonl",
                    env=web_env(fakeweb))
    assert json.loads(refetched.stdout)["resolved"] == 4 and fakeweb.hits


def test_offline_then_resolve(home, db_url, seed_path, fakeweb):
    run(home, db_url, "archive", "--offline", str(seed_path), env=web_env(fakeweb))
    assert fakeweb.hits == []
    assert {c.resolve_state for c in rows(db_url, m.Citation)} == {"pending"}
    result = run(home, db_url, "resolve", "--format", "jsonl", env=web_env(fakeweb))
    stats = json.loads(result.stdout)
    assert stats["resolved"] == 4 and stats["tweets"] == {"available": 4}
    assert stats["media_saved"] == 1 and stats["warc"].endswith(".warc.gz")


def _doc(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "story.txt"
    path.write_text("A story about the war.\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_every_tweet_state_is_recorded_with_its_evidence(home, db_url, tmp_path, fakeweb):
    urls = [f"https://twitter.com/{h}/status/{i}" for h, i in (
        ("caucasus_watch", ds.DELETED_ID), ("lockedjournal", ds.PROTECTED_ID),
        ("gone_account", ds.SUSPENDED_ID), ("withheld_news", ds.WITHHELD_ID),
        ("nobody", ds.NEVER_ID))]
    result = run(home, db_url, "archive", _doc(tmp_path, urls), env=web_env(fakeweb))
    assert result.exit_code == 0, result.output
    tweets = {t.id: t for t in rows(db_url, m.Tweet)}
    # Every service answers 404, and the Wayback Machine shows it existed: deleted.
    assert tweets[ds.DELETED_ID].state == "deleted"
    assert tweets[ds.DELETED_ID].text  # the Wayback Machine kept the words
    assert tweets[ds.DELETED_ID].provider == "wayback"
    evidence = tweets[ds.DELETED_ID].evidence
    assert evidence["wayback"]["timestamp"] == "20201001140210"
    assert evidence["wayback"]["url"].endswith(f"/caucasus_watch/status/{ds.DELETED_ID}")
    assert [(s["provider"], s["status"]) for s in evidence["live"]] == [
        ("syndication", 404), ("fxtwitter", 404), ("oembed", 404)]
    assert tweets[ds.PROTECTED_ID].state == "protected"
    assert tweets[ds.SUSPENDED_ID].state == "not_found"
    assert tweets[ds.WITHHELD_ID].state == "withheld"
    assert tweets[ds.NEVER_ID].state == "not_found" and tweets[ds.NEVER_ID].text is None
    assert all(t.capture_id for t in tweets.values())  # the answer that showed it is kept
    flagged = run_json(home, db_url, "citations", "--flagged")
    assert {f for c in flagged for f in c["flags"]} >= {"tweet_protected", "tweet_withheld",
                                                      "tweet_not_found", "tweet_deleted"}


def test_renamed_account_is_not_a_misattribution(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, [
        f"Stepanakert after tonight's shelling. pic.twitter.com/{ds.RENAMED_PHOTO_CODE}",
        "— Karabakh Now (@KarabakhNow2020) October 1, 2020"])
    run(home, db_url, "archive", doc, env=web_env(fakeweb))
    [cite] = citations(home, db_url)
    assert cite["tweet_id"] == ds.RENAMED_ID
    assert "handle_mismatch" not in cite["flags"] and "handle_renamed" in cite["flags"]


def test_a_misattributed_quote_is_a_finding_not_a_guess(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, ["We will never surrender our homeland, never.",
                          "— Nikol Pashinyan (@NikolPashinyan) October 1, 2020"])
    run(home, db_url, "archive", doc, env=web_env(fakeweb))
    [cite] = rows(db_url, m.Citation)
    assert cite.tweet_id is None and cite.resolve_state == "unresolved"
    assert cite.candidates and all(c["score"] < 80 for c in cite.candidates)
    assert ds.PASHINYAN_ID in {c["tweet_id"] for c in cite.candidates}


FAULTS = [
    # (host, path, kind, params, what the run records)
    ("cdn.syndication.twimg.com", "/tweet-result*", "status", {"code": 429, "retry_after": 1,
                                                               "times": 1}, "syndication"),
    ("cdn.syndication.twimg.com", "/tweet-result*", "status", {"code": 503}, "fxtwitter"),
    ("cdn.syndication.twimg.com", "/tweet-result*", "malformed_json", {}, "fxtwitter"),
    ("cdn.syndication.twimg.com", "/tweet-result*", "content_type", {"value": "text/html"},
     "fxtwitter"),
    ("cdn.syndication.twimg.com", "/tweet-result*", "reset", {}, "fxtwitter"),
]


@pytest.mark.parametrize(("host", "path", "kind", "params", "provider"), FAULTS)
def test_provider_faults_fall_back(home, db_url, tmp_path, fakeweb, host, path, kind, params,
                                   provider):
    fakeweb.fault(host, path, kind, **params)
    doc = _doc(tmp_path, [f"https://twitter.com/SVNewsAlerts/status/{ds.SV_ID}"])
    result = run(home, db_url, "archive", doc, env=web_env(fakeweb))
    assert result.exit_code == 0, result.output
    [tweet] = rows(db_url, m.Tweet)
    assert tweet.state == "available" and tweet.provider == provider


def test_all_providers_down_marks_the_citation_failed_and_goes_on(home, db_url, tmp_path,
                                                                   fakeweb):
    for host in ("cdn.syndication.twimg.com", "api.fxtwitter.com", "publish.x.com",
                 "publish.twitter.com"):
        fakeweb.fault(host, "*", "status", code=500)
    fakeweb.fault("web.archive.org", "*", "status", code=503)
    doc = _doc(tmp_path, [f"https://twitter.com/SVNewsAlerts/status/{ds.SV_ID}",
                          f"Photo pic.twitter.com/{ds.SV_PHOTO_CODE}",
                          "— SV News (@SVNewsAlerts) October 1, 2020"])
    result = run(home, db_url, "archive", doc, env=web_env(fakeweb))
    assert result.exit_code == 0, result.output
    assert "failures by cause" in result.stdout and "syndication_500" in result.stdout
    states = {c.resolve_state for c in rows(db_url, m.Citation)}
    assert states == {"failed"}
    again = run(home, db_url, "resolve", "--format", "jsonl", env=web_env(fakeweb))
    assert json.loads(again.stdout)["citations"] == 0  # failed ones wait for --retry-failed
    fakeweb.clear_faults()
    retried = run(home, db_url, "resolve", "--retry-failed", "--format", "jsonl",
                  env=web_env(fakeweb))
    assert json.loads(retried.stdout)["resolved"] == 2


LINK_FAULTS = [
    ("redirect_to", {"url": "http://169.254.169.254/latest/meta-data/"}, "link_blocked_address"),
    ("redirect_to", {"url": "http://127.0.0.2:8080/"}, "link_blocked_address"),
    ("redirect_loop", {}, "link_redirect_loop"),
    ("hang", {"seconds": 8}, "link_timeout"),
]


@pytest.mark.parametrize(("kind", "params", "cause"), LINK_FAULTS)
def test_short_link_faults_are_reported_and_the_run_goes_on(home, db_url, seed_path, fakeweb,
                                                            kind, params, cause):
    fakeweb.fault("t.co", f"/{ds.FRANTZMAN_CODE}", kind, **params)
    result = run(home, db_url, "archive", str(seed_path), env=web_env(fakeweb))
    assert result.exit_code == 0, result.output
    assert cause in result.stdout  # the table of failures by cause
    assert f"problem: https://t.co/{ds.FRANTZMAN_CODE}" in result.stdout  # names the input
    tco = [link for link in rows(db_url, m.Link) if link.normalized.endswith(ds.FRANTZMAN_CODE)]
    assert tco[0].resolved_url is None
    failures = [c for c in rows(db_url, m.Capture) if c.error]
    assert any(ds.FRANTZMAN_CODE in c.url for c in failures)
    # the tweets themselves were still found
    assert {c.resolve_state for c in rows(db_url, m.Citation)} == {"resolved"}
    assert fakeweb.hits_for("127.0.0.2") == [] and fakeweb.hits_for("169.254.169.254") == []


MEDIA_FAULTS = [
    ("gzip_bomb", {"size": 50_000_000}, "media_too_large"),
    ("oversized", {"size": 30_000_000}, "media_too_large"),
    ("slow_body", {"delay": 0.5, "seconds": 20}, "media_timeout"),
    ("status", {"code": 404}, "media_http_404"),
]


@pytest.mark.parametrize(("kind", "params", "cause"), MEDIA_FAULTS)
def test_media_faults_keep_the_tweet_and_report_the_cause(home, db_url, seed_path, fakeweb,
                                                          kind, params, cause):
    fakeweb.fault("pbs.twimg.com", "/media/*", kind, **params)
    result = run(home, db_url, "archive", str(seed_path), env={**web_env(fakeweb),
                                                               "ARCHIVER_MAX_BODY_BYTES": "5000000"})
    assert result.exit_code == 0, result.output
    assert cause in result.stdout
    assert rows(db_url, m.Media) == []
    assert {c.resolve_state for c in rows(db_url, m.Citation)} == {"resolved"}
    assert not list((home / "blobs").rglob(".tmp-*"))  # no half-written blob left


def test_without_any_service_reachable_citations_fail_and_say_so(home, db_url, seed_path):
    # No fake web: every host name is routed to a closed loopback port (conftest).
    result = run(home, db_url, "archive", str(seed_path), env=FAST)
    assert result.exit_code == 0, result.output
    assert "4 citation(s) not resolved because no service could be reached" in result.output
    assert "Traceback" not in result.output and "urllib3" not in result.output
    states = {(c["resolve_state"], c["resolve_error"]) for c in citations(home, db_url)}
    assert states == {("failed", "the Wayback Machine's index could not be reached")}
    again = run(home, db_url, "resolve", "--retry-failed", "--format", "jsonl", env=FAST)
    assert json.loads(again.stdout)["failed"] == 4
