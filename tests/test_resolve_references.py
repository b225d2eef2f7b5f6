"""Tweets linked in prose and Markdown-converted embeds, archived over real HTTP
against the fake web: each is a citation of its tweet, resolved and snapshotted."""

from __future__ import annotations

from archiver.store import models as m
from tests.cli_helpers import run
from tests.fakeweb import dataset as ds
from tests.fakeweb.articles import PROSE_URL, ROUNDUP_URL
from tests.test_resolve import citations, rows, web_env


def test_tweets_linked_in_prose_are_resolved_and_snapshotted(home, db_url, fakeweb):
    # Both pages are served by the fake web: a story linking a tweet in a sentence,
    # and a Markdown round-up (text/markdown) with a converted embed.
    result = run(home, db_url, "archive", PROSE_URL, ROUNDUP_URL, env=web_env(fakeweb))
    assert result.exit_code == 0, result.output

    cites = {c["tweet_id"]: c for c in citations(home, db_url)}
    assert {i: c["kind"] for i, c in cites.items()} == {
        ds.SV_ID: "reference", ds.PASHINYAN_ID: "reference", ds.ARTSAKH_ID: "reference",
        ds.FRANTZMAN_ID: "text"}
    assert cites[ds.SV_ID]["text"].startswith("Armenian S-300 air defense systems")
    assert cites[ds.ARTSAKH_ID]["handle"] is None  # /i/web/ names no account
    for cite in cites.values():
        assert (cite["resolve_state"], cite["tweet_state"]) == ("resolved", "available"), cite
        assert cite["match_method"] == "status_url"
    # The quote next to the link agrees with the tweet: nothing to flag.
    assert cites[ds.SV_ID]["flags"] == []
    assert cites[ds.FRANTZMAN_ID]["flags"] == []

    tweets = {t.id: t for t in rows(db_url, m.Tweet)}
    assert set(cites) <= set(tweets)
    assert tweets[ds.ARTSAKH_ID].handle == "Pres_Artsakh"
    assert all(tweets[i].state == "available" and tweets[i].text for i in cites)
    assert any(media.tweet_id == ds.SV_ID for media in rows(db_url, m.Media))
    # The explainer stays an ordinary link of the article, not part of the citation.
    links = run(home, db_url, "links", "--format", "json")
    assert "https://example.org/background" in links.stdout
