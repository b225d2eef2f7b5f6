"""The matching rules (archiver.rules.matching): pure, so every case is cheap.

The property test states the promise a fact-checker relies on: whatever the
candidates and the quote, a tweet claimed without a flag has the cited handle,
a date within a day, a text scoring at least the threshold, and no rival within
the margin.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.detect.snowflake import tweet_time
from archiver.rules.matching import (
    Cited,
    Known,
    choose,
    created,
    disagreements,
    renamed,
    similarity,
)

DAY = dt.date(2020, 10, 1)
NOON = dt.datetime(2020, 10, 1, 12, tzinfo=dt.UTC)


def known(tweet_id: str, text: str, handle: str = "acct", when: dt.datetime = NOON,
          **more: object) -> Known:
    return Known(tweet_id=tweet_id, text=text, handle=handle, created_at=when, **more)  # type: ignore[arg-type]


def test_the_clear_best_is_claimed_without_a_flag() -> None:
    cited = Cited("Water supply to Stepanakert has been cut off.", "acct", DAY)
    decision = choose(cited, [known("2", "Water supply to Stepanakert has been cut off."),
                              known("1", "Shelling resumed near Martuni tonight.")])
    assert (decision.tweet_id, decision.state, decision.flags) == ("2", "resolved", ())
    assert [c["tweet_id"] for c in decision.candidates] == ["2", "1"]


def test_two_tweets_within_the_margin_claim_neither() -> None:
    cited = Cited("Ceasefire talks in Moscow ended without an agreement tonight…", "acct", DAY)
    decision = choose(cited, [
        known("1", "Ceasefire talks in Moscow ended without an agreement tonight. 1/2"),
        known("2", "Ceasefire talks in Moscow ended without an agreement tonight; more. 2/2")])
    assert decision.tweet_id is None
    assert (decision.state, decision.flags) == ("ambiguous", ("ambiguous",))
    assert {c["tweet_id"] for c in decision.candidates} == {"1", "2"}


def test_a_whole_tweet_outranks_a_fragment_of_another_by_the_margin() -> None:
    # A quote equal to one tweet scores 100; inside a longer tweet at most 95.
    quote = "Stepanakert is without power again tonight."
    decision = choose(Cited(quote, "acct", DAY), [
        known("1", quote), known("2", quote + " Generators are running out of fuel.")])
    assert decision.tweet_id == "1" and decision.flags == ()
    assert [c["score"] for c in decision.candidates] == [100.0, 95.0]


def test_below_the_threshold_nothing_is_guessed() -> None:
    decision = choose(Cited("We will never surrender our homeland.", "acct", DAY),
                      [known("1", "Held a meeting on the situation at the front line.")])
    assert (decision.tweet_id, decision.state, decision.flags) == (None, "unresolved", ())
    assert decision.candidates[0]["score"] < 80


def test_a_self_quote_and_a_retweet_are_shown_as_such() -> None:
    words = "Water supply to Stepanakert has been cut off since this morning."
    decision = choose(Cited(words, "acct", DAY), [
        known("1", words), known("2", words + " https://t.co/abc", quoted_id="1"),
        known("3", "RT @other: " + words)])
    assert decision.state == "ambiguous"
    by_id = {c["tweet_id"]: c for c in decision.candidates}
    assert by_id["2"]["quotes"] == "1" and by_id["3"]["retweet_of"] == "other"


def test_a_retweet_of_another_account_is_flagged_when_claimed() -> None:
    words = "Water supply to Stepanakert has been cut off since this morning."
    decision = choose(Cited(words, "acct", DAY), [known("1", "RT @other: " + words)])
    assert decision.tweet_id == "1" and decision.flags == ("retweet",)


def test_disagreements_name_each_difference() -> None:
    cited = Cited("Water supply has been cut off.", "acct", DAY)
    tweet = known("1", "Our army holds its positions.", handle="someone",
                  when=NOON + dt.timedelta(days=3), state="deleted")
    assert disagreements(cited, tweet) == ["handle_mismatch", "date_mismatch", "text_mismatch",
                                           "tweet_deleted"]
    moved = Known("1", "Water supply has been cut off.", "NewName", NOON,
                  renamed_from_cited=True)
    assert disagreements(cited, moved) == ["handle_renamed"]
    assert disagreements(Cited("", "ACCT", DAY), known("1", "anything")) == []


def test_renamed_needs_the_cited_handle_and_the_same_user_id() -> None:
    assert renamed("Old", "42", "old", "42")
    assert not renamed("Old", "42", "old", "43")  # the old handle now belongs to another
    assert not renamed("Old", "42", "Other", "42")  # the capture shows another handle
    assert not renamed("Old", None, "old", None)  # no user id: no evidence


def test_the_date_comes_from_the_id_when_no_service_gave_one() -> None:
    tweet_id = "1311714411264032768"
    assert created(Known(tweet_id)) == tweet_time(tweet_id)
    far = Cited("", None, dt.date(2020, 10, 5))
    assert disagreements(far, Known(tweet_id)) == ["date_mismatch"]


def test_links_do_not_count_against_a_quote() -> None:
    assert similarity("Stepanakert after the shelling. pic.twitter.com/Kn7yPh0t0A",
                      "Stepanakert after the shelling. https://t.co/Kn7yPh0t0A") == 100.0


# --- the promise, for any candidates -----------------------------------------------
WORDS = st.sampled_from(["ceasefire", "talks", "Moscow", "ended", "shelling", "water",
                         "Stepanakert", "tonight", "officials", "RT", "@acct:", "2/2"])
TEXTS = st.lists(WORDS, min_size=0, max_size=12).map(" ".join)
HANDLES = st.sampled_from(["acct", "ACCT", "other", "renamed_now"])
OFFSETS = st.integers(min_value=-3 * 24, max_value=3 * 24)  # hours from the cited noon


@st.composite
def candidates(draw: st.DrawFn) -> list[Known]:
    count = draw(st.integers(min_value=0, max_value=6))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=count,
                        max_size=count, unique=True))
    return [Known(tweet_id=str(i), text=draw(TEXTS) or None, handle=draw(HANDLES),
                  created_at=NOON + dt.timedelta(hours=draw(OFFSETS)),
                  state=draw(st.sampled_from(["available", "available", "deleted"])),
                  quoted_id=draw(st.none() | st.sampled_from([str(j) for j in ids] or ["0"])),
                  renamed_from_cited=draw(st.booleans()))
            for i in ids]


@settings(max_examples=400, deadline=None)
@given(quote=TEXTS, found=candidates(),
       threshold=st.floats(min_value=50, max_value=100),
       margin=st.floats(min_value=0.5, max_value=20))
def test_an_unflagged_claim_is_one_a_fact_checker_can_trust(
        quote: str, found: list[Known], threshold: float, margin: float) -> None:
    cited = Cited(quote, "acct", DAY)
    decision = choose(cited, found, threshold=threshold, margin=margin)
    assert len(decision.candidates) == len({t.tweet_id for t in found if t.text})
    if decision.tweet_id is None:
        assert decision.state in ("unresolved", "ambiguous")
        assert ("ambiguous" in decision.flags) == (decision.state == "ambiguous")
        return
    assert decision.state == "resolved" and "ambiguous" not in decision.flags
    if decision.flags:
        return
    [claimed] = [t for t in found if t.tweet_id == decision.tweet_id]
    assert (claimed.handle or "").casefold() == "acct"
    assert claimed.created_at is not None
    assert abs((claimed.created_at.date() - DAY).days) <= 1
    assert claimed.state == "available"
    best = similarity(quote, claimed.text or "")
    assert best >= threshold
    for other in found:
        if other.tweet_id != claimed.tweet_id and other.text:
            assert best - similarity(quote, other.text) >= margin


@settings(max_examples=300, deadline=None)
@given(quote=TEXTS, cited_handle=st.none() | HANDLES, offset=OFFSETS,
       found=candidates().filter(bool), threshold=st.floats(min_value=50, max_value=100))
def test_no_disagreement_goes_unflagged(quote: str, cited_handle: str | None, offset: int,
                                        found: list[Known], threshold: float) -> None:
    """The check every claimed tweet passes (status URL, link or search alike)."""
    cited = Cited(quote, cited_handle, DAY + dt.timedelta(days=offset // 24))
    tweet = found[0]
    flags = disagreements(cited, tweet, threshold=threshold)
    if cited_handle and tweet.handle and cited_handle.casefold() != tweet.handle.casefold():
        assert {"handle_mismatch", "handle_renamed"} & set(flags)
    assert tweet.created_at is not None and cited.date is not None
    if abs((tweet.created_at.date() - cited.date).days) > 1:
        assert "date_mismatch" in flags
    if quote.strip() and tweet.text and similarity(quote, tweet.text) < threshold:
        assert "text_mismatch" in flags
    if tweet.state != "available":
        assert f"tweet_{tweet.state}" in flags
