"""Tweets linked in prose and Markdown-converted embeds, archived over real HTTP
against the fake web: each is a citation of its tweet, resolved and snapshotted."""

from __future__ import annotations

from pathlib import Path

from archiver.store import models as m
from tests.cli_helpers import run
from tests.fakeweb import dataset as ds
from tests.test_resolve import citations, rows, web_env

HTML = f"""<!doctype html><html><head><title>Drones over Yerevan</title></head><body><article>
<h1>Drones over Yerevan</h1>
<p>The first report came from a news account. In
<a href="https://mobile.twitter.com/SVNewsAlerts/status/{ds.SV_ID}?s=20">a post on X</a>,
it said "Armenian S-300 air defense systems have intercepted 2 ballistic missiles".</p>
<p>Background reading: <a href="https://example.org/background">a long explainer</a>.</p>
</article></body></html>
"""

MARKDOWN = f"""# Round-up

The prime minister [wrote on X](https://x.com/NikolPashinyan/status/{ds.PASHINYAN_ID}) about
the genocide, and the president's statement is at <https://x.com/i/web/status/{ds.ARTSAKH_ID}>.

> For those who want to know about Azerbaijan's drones, here is my report
> — Seth Frantzman (@sfrantzman) [October 1, 2020](https://twitter.com/sfrantzman/status/{ds.FRANTZMAN_ID})
"""


def test_tweets_linked_in_prose_are_resolved_and_snapshotted(tmp_path: Path, home, db_url,
                                                             fakeweb):
    page = tmp_path / "drones.html"
    page.write_text(HTML, "utf-8")
    notes = tmp_path / "roundup.md"
    notes.write_text(MARKDOWN, "utf-8")
    result = run(home, db_url, "archive", str(page), str(notes), env=web_env(fakeweb))
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
