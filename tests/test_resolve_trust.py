"""Never pin a quote to the wrong tweet: ambiguity, renamed accounts, deleted tweets.

Each case runs the real CLI over real sockets against the fake web, on SQLite or
PostgreSQL (``ARCHIVER_TEST_DATABASE_URL``), and checks what a user reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

from archiver.store import models as m
from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds
from tests.test_resolve import rows, web_env

THREAD_QUOTE = ("Ceasefire talks in Moscow ended without an agreement tonight, according to"
                " two officials…")


def _doc(tmp_path: Path, *paragraphs: str) -> str:
    path = tmp_path / "story.txt"
    path.write_text("A story about the war.\n\n" + "\n\n".join(paragraphs) + "\n",
                    encoding="utf-8")
    return str(path)


def _archive(home: Path, db_url: str, doc: str, web) -> list[dict]:  # type: ignore[no-untyped-def]
    result = run(home, db_url, "archive", doc, env=web_env(web))
    assert result.exit_code == 0, result.output
    return run_json(home, db_url, "citations")


def test_a_quote_that_begins_two_tweets_claims_neither(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, THREAD_QUOTE, "— Artsakh Updates (@artsakh_updates) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] is None
    assert cite["resolve_state"] == "ambiguous" and cite["flags"] == ["ambiguous"]
    kept = {c["tweet_id"]: c for c in cite["candidates"]}
    # Both tweets of the thread are kept with their (equal) scores, best first, and the
    # account's other tweets of the day are kept too, far below.
    assert [c["tweet_id"] for c in cite["candidates"][:2]] == [ds.THREAD_1_ID, ds.THREAD_2_ID]
    assert kept[ds.THREAD_1_ID]["score"] == kept[ds.THREAD_2_ID]["score"] >= 80
    assert kept[ds.WATER_ID]["score"] < 50
    assert kept[ds.THREAD_2_ID]["text"].endswith("2/2")
    # Both candidates were preserved, so a person can judge from the archive alone.
    tweets = {t.id: t for t in rows(db_url, m.Tweet)}
    assert tweets[ds.THREAD_1_ID].text and tweets[ds.THREAD_2_ID].text
    flagged = run_json(home, db_url, "citations", "--flagged")
    assert [c["id"] for c in flagged] == [cite["id"]]


def test_a_tweet_and_the_accounts_own_quote_of_it_are_ambiguous(home, db_url, tmp_path,
                                                                 fakeweb):
    doc = _doc(tmp_path, "Water supply to Stepanakert has been cut off since this morning.",
               "— Artsakh Updates (@artsakh_updates) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] is None and cite["resolve_state"] == "ambiguous"
    top = {c["tweet_id"]: c for c in cite["candidates"][:2]}
    assert set(top) == {ds.WATER_ID, ds.WATER_QUOTE_ID}
    assert top[ds.WATER_QUOTE_ID]["quotes"] == ds.WATER_ID  # shown as the quote of the other
    assert "quotes" not in top[ds.WATER_ID]


def test_the_rest_of_the_thread_is_not_ambiguous(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, "Ceasefire talks in Moscow ended without an agreement tonight, "
               "according to two officials; shelling resumed near Martuni. 2/2",
               "— Artsakh Updates (@artsakh_updates) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] == ds.THREAD_2_ID and cite["flags"] == []
    assert cite["resolve_state"] == "resolved" and cite["match_method"] == "search"
    scores = [c["score"] for c in cite["candidates"]]
    assert scores[0] - scores[1] >= 5  # the rival is clearly behind


def test_an_ambiguous_citation_is_looked_at_again_on_refetch(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, THREAD_QUOTE, "— Artsakh Updates (@artsakh_updates) October 1, 2020")
    _archive(home, db_url, doc, fakeweb)
    fakeweb.data.tweets[ds.THREAD_2_ID].text = "Shelling resumed near Martuni. 2/2"
    result = run(home, db_url, "resolve", "--refetch", "--format", "jsonl",
                 env=web_env(fakeweb))
    stats = json.loads(result.stdout)
    assert stats["resolved"] == 1 and stats["ambiguous"] == 0
    [cite] = run_json(home, db_url, "citations")
    assert cite["tweet_id"] == ds.THREAD_1_ID and cite["flags"] == []
    assert cite["resolve_state"] == "resolved"


def test_renamed_account_cited_by_its_old_handle_without_a_link(home, db_url, tmp_path,
                                                                fakeweb):
    doc = _doc(tmp_path, "Stepanakert after tonight's shelling.",
               "— Karabakh Now (@KarabakhNow2020) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] == ds.RENAMED_ID and cite["match_method"] == "search"
    assert cite["flags"] == ["handle_renamed"]
    [tweet] = [t for t in rows(db_url, m.Tweet) if t.id == ds.RENAMED_ID]
    assert tweet.handle == ds.RENAMED_NEW  # what the services say now
    # the capture under the old handle that showed the same user id was kept
    urls = [c.url for c in rows(db_url, m.Capture)]
    assert any(f"id_/https://twitter.com/{ds.RENAMED_OLD}/status/{ds.RENAMED_ID}" in u
               for u in urls)


def test_a_capture_under_the_cited_handle_showing_another_account_is_a_mismatch(
        home, db_url, tmp_path, fakeweb):
    # The Wayback index lists the tweet under @baku_observer, but the captured page
    # shows its real author: the quote is misattributed, not the account renamed.
    doc = _doc(tmp_path, "Stepanakert after tonight's shelling.",
               "— Baku Observer (@baku_observer) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] == ds.RENAMED_ID and cite["match_method"] == "search"
    assert cite["flags"] == ["handle_mismatch"]


def test_a_status_url_typed_with_another_handle_is_a_mismatch(home, db_url, tmp_path,
                                                              fakeweb):
    # twitter.com serves a tweet under any handle: the article's own URL proves nothing.
    doc = _doc(tmp_path, "Stepanakert after tonight's shelling.",
               f"https://twitter.com/baku_observer/status/{ds.RENAMED_ID}",
               "— Baku Observer (@baku_observer) October 1, 2020")
    cites = _archive(home, db_url, doc, fakeweb)
    [cite] = [c for c in cites if c["tweet_id"] == ds.RENAMED_ID]
    assert "handle_mismatch" in cite["flags"] and "handle_renamed" not in cite["flags"]


def test_deleted_tweet_known_only_from_an_archived_syndication_answer(home, db_url, tmp_path,
                                                                      fakeweb):
    doc = _doc(tmp_path, f"https://x.com/i/web/status/{ds.DELETED_JSON_ID}")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] == ds.DELETED_JSON_ID and cite["tweet_state"] == "deleted"
    assert "tweet_deleted" in cite["flags"]
    evidence = cite["tweet_evidence"]
    assert evidence["wayback"]["url"].startswith(
        f"https://cdn.syndication.twimg.com/tweet-result?id={ds.DELETED_JSON_ID}&")
    assert evidence["wayback"]["timestamp"] == "20201001113547"
    assert {(s["provider"], s["status"], s["state"]) for s in evidence["live"]} == {
        ("syndication", 404, "not_found"), ("fxtwitter", 404, "not_found"),
        ("oembed", 404, "not_found")}
    [tweet] = [t for t in rows(db_url, m.Tweet) if t.id == ds.DELETED_JSON_ID]
    assert tweet.text.startswith("Drone strike on a convoy near Hadrut")
    assert tweet.handle == "caucasus_watch"


def test_an_app_shell_capture_does_not_make_a_tweet_deleted(home, db_url, tmp_path, fakeweb):
    doc = _doc(tmp_path, f"https://x.com/caucasus_watch/status/{ds.SHELL_ONLY_ID}")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_state"] == "not_found" and "tweet_not_found" in cite["flags"]
    assert "wayback" not in cite["tweet_evidence"]
    # the CDX index was asked, and the shell it listed was looked at and rejected
    assert fakeweb.hits_for("web.archive.org", "/web/20240301120000id_/")


def test_deleted_needs_every_service_to_say_404(home, db_url, tmp_path, fakeweb):
    fakeweb.fault("publish.x.com", "*", "status", code=503)
    fakeweb.fault("publish.twitter.com", "*", "status", code=503)
    doc = _doc(tmp_path, f"https://twitter.com/caucasus_watch/status/{ds.DELETED_ID}")
    [cite] = _archive(home, db_url, doc, fakeweb)
    # oEmbed could not be asked: the archived words are kept, the verdict is not claimed
    assert cite["tweet_state"] == "not_found"
    assert cite["tweet_evidence"]["wayback"]["timestamp"] == "20201001140210"


def test_a_tweet_one_service_still_shows_is_not_deleted(home, db_url, tmp_path, fakeweb):
    # Syndication hides some tweets (age-restricted) that FxTwitter still serves.
    fakeweb.fault("cdn.syndication.twimg.com", "/tweet-result*", "status", code=404)
    doc = _doc(tmp_path, f"https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_ID}")
    cites = _archive(home, db_url, doc, fakeweb)
    [cite] = [c for c in cites if c["tweet_id"] == ds.FRANTZMAN_ID]
    assert cite["tweet_state"] == "available" and cite["tweet_evidence"] is None


def test_an_embed_written_under_the_old_handle_is_evidence_of_a_rename(home, db_url, tmp_path,
                                                                       fakeweb):
    # Twitter wrote the embed markup, handle and status URL, when the tweet was embedded;
    # no Wayback capture is needed (and none is left to find).
    fakeweb.data.captures = [c for c in fakeweb.data.captures if ds.RENAMED_ID not in c.original]
    path = tmp_path / "story.html"
    path.write_text(
        "<html><head><title>Night in Stepanakert</title></head><body><article>"
        "<p>What the city looked like after the shelling.</p>"
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Stepanakert after '
        "tonight&#39;s shelling.</p>&mdash; Karabakh Now (@KarabakhNow2020) "
        f'<a href="https://twitter.com/KarabakhNow2020/status/{ds.RENAMED_ID}?ref_src=twsrc'
        '%5Etfw">October 1, 2020</a></blockquote></article></body></html>', encoding="utf-8")
    [cite] = _archive(home, db_url, str(path), fakeweb)
    assert cite["kind"] == "embed" and cite["tweet_id"] == ds.RENAMED_ID
    assert cite["flags"] == ["handle_renamed"]


def test_a_quote_found_only_in_a_retweet_is_flagged(home, db_url, tmp_path, fakeweb):
    # The account only repeated @Pres_Artsakh's words: claimed, but never silently.
    doc = _doc(tmp_path, "Our soldiers are holding every position along the front line tonight.",
               "— Artsakh Updates (@artsakh_updates) October 1, 2020")
    [cite] = _archive(home, db_url, doc, fakeweb)
    assert cite["tweet_id"] == ds.RETWEET_ID and cite["flags"] == ["retweet"]
    assert cite["candidates"][0]["retweet_of"] == "Pres_Artsakh"
