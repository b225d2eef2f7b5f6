"""Which tweet a citation is, and what about it disagrees: pure decisions, no I/O.

The resolver gathers facts (the article's quote, handle and date; what the
services and the Wayback Machine say about candidate tweets) and asks this
module what they mean. Keeping the rules here, free of sockets and SQL, lets
one property test state the promise a fact-checker relies on:

    a citation claimed without a flag has the cited handle, a date within a
    day of the cited one, a text scoring at least the threshold, and no other
    candidate scoring within the margin of it.

Search rule (``choose``): candidates are the cited account's archived tweets
posted within a day of the cited date, scored 0-100 against the quote. The
best is claimed when it scores at least ``threshold`` and every other candidate
scores at least ``margin`` points below it. When another one is closer (a
truncated quote that begins two tweets, a thread that repeats itself, a tweet
and the account's own quote or retweet of it), nothing is claimed: the state is
``ambiguous``, the flag ``ambiguous``, and every candidate is kept with its
score for a person to judge. Below the threshold: ``unresolved``, candidates
kept, nothing guessed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from archiver.detect.snowflake import tweet_time

THRESHOLD = 80.0  # settings.match_threshold
MARGIN = 5.0  # settings.match_margin
DATE_SLACK_DAYS = 1  # article dates are in the site's time zone, ids in UTC

# Flags this module decides; the resolver replaces them on every verification.
VERIFY_FLAGS = frozenset({
    "handle_mismatch", "handle_renamed", "date_mismatch", "text_mismatch", "ambiguous",
    "retweet", "tweet_deleted", "tweet_protected", "tweet_suspended", "tweet_withheld",
    "tweet_not_found",
})

_URL = re.compile(r"(?:https?://)?(?:t\.co|pic\.twitter\.com)/\w+|https?://\S+")
_RETWEET = re.compile(r"^\s*RT\s+@(\w{1,15}):", re.IGNORECASE)


def similarity(quote: str, text: str) -> float:
    """0-100: how well an article's quote matches a tweet's text.

    Links are left out (articles show pic.twitter.com where tweets have t.co);
    a quote that is a fragment of the tweet still scores high, but at most 95,
    so a quote that is the whole of one tweet outranks a fragment of another."""
    a, b = _norm(quote), _norm(text)
    if not a or not b:
        return 0.0
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) >= 20:
        score = max(score, fuzz.partial_ratio(a, b) * 0.95)
    return float(score)


def _norm(text: str) -> str:
    return " ".join(_URL.sub(" ", html.unescape(text)).split()).casefold()


def retweeted_handle(text: str | None) -> str | None:
    """The author an old-style retweet ("RT @h: ...") repeats, or None."""
    found = _RETWEET.match(text or "")
    return found[1] if found else None


@dataclass(frozen=True)
class Cited:
    """What the article says: the quote, the handle, the date (any may be missing)."""

    quote: str = ""
    handle: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class Known:
    """What we know of one tweet: from the services, or a Wayback capture."""

    tweet_id: str
    text: str | None = None
    handle: str | None = None
    created_at: dt.datetime | None = None
    state: str = "available"
    quoted_id: str | None = None
    # Evidence that the account was renamed from the cited handle: a status URL
    # posted with it (t.co keeps URLs as posted), or a Wayback capture under it
    # showing the same user id. Set by the caller, who fetched that evidence.
    renamed_from_cited: bool = False


@dataclass(frozen=True)
class Decision:
    tweet_id: str | None  # the tweet claimed, or None
    state: str  # resolved, ambiguous, unresolved
    score: float | None  # the best score
    flags: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]  # every candidate, best first


def same_handle(a: str | None, b: str | None) -> bool:
    return (a or "").lstrip("@").casefold() == (b or "").lstrip("@").casefold()


def created(tweet: Known) -> dt.datetime | None:
    """When the tweet was posted: as a service said, else from its snowflake id."""
    when = tweet.created_at or tweet_time(tweet.tweet_id)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when


def renamed(cited_handle: str | None, user_id: str | None, archived_handle: str | None,
            archived_user_id: str | None) -> bool:
    """A capture under the cited handle shows the same account the services name now."""
    return (bool(cited_handle) and same_handle(archived_handle, cited_handle)
            and bool(user_id) and user_id == archived_user_id)


def disagreements(cited: Cited, tweet: Known, *, threshold: float = THRESHOLD) -> list[str]:
    """Every way the tweet disagrees with what the article says of it, as flags."""
    flags: list[str] = []
    if cited.handle and tweet.handle and not same_handle(cited.handle, tweet.handle):
        flags.append("handle_renamed" if tweet.renamed_from_cited else "handle_mismatch")
    when = created(tweet)
    if cited.date and when is not None and abs((when.date() - cited.date).days) > DATE_SLACK_DAYS:
        flags.append("date_mismatch")
    if cited.quote.strip() and tweet.text and similarity(cited.quote, tweet.text) < threshold:
        flags.append("text_mismatch")
    author = retweeted_handle(tweet.text)
    if author and cited.quote.strip() and not same_handle(author, tweet.handle):
        flags.append("retweet")  # the words are another account's
    if tweet.state != "available":
        flags.append(f"tweet_{tweet.state}")
    return flags


def choose(cited: Cited, found: Iterable[Known], *, threshold: float = THRESHOLD,
           margin: float = MARGIN) -> Decision:
    """The search rule (module docstring): claim the clear best, or nothing."""
    ranked = _ranked(cited, [t for t in found if t.text])
    kept = tuple(_kept(t, s, ranked) for t, s in ranked)
    if not ranked or ranked[0][1] < threshold:
        best = round(ranked[0][1], 1) if ranked else None
        return Decision(None, "unresolved", best, (), kept)
    top, best = ranked[0]
    if any(best - score < margin for _, score in ranked[1:]):
        return Decision(None, "ambiguous", round(best, 1), ("ambiguous",), kept)
    return Decision(top.tweet_id, "resolved", round(best, 1),
                    tuple(disagreements(cited, top, threshold=threshold)), kept)


def _ranked(cited: Cited, found: Sequence[Known]) -> list[tuple[Known, float]]:
    unique = {t.tweet_id: t for t in found}
    scored = [(t, similarity(cited.quote, t.text or "")) for t in unique.values()]
    # Best first; equal scores oldest first, so the order never depends on the crawl.
    return sorted(scored, key=lambda p: (-p[1], _id_key(p[0].tweet_id)))


def _id_key(tweet_id: str) -> tuple[int, str]:
    return (int(tweet_id), "") if tweet_id.isdigit() else (0, tweet_id)


def _kept(tweet: Known, score: float, ranked: list[tuple[Known, float]]) -> dict[str, Any]:
    """A candidate as stored on the citation: enough to judge it without looking it up."""
    when = created(tweet)
    out: dict[str, Any] = {
        "tweet_id": tweet.tweet_id, "score": round(score, 1), "handle": tweet.handle,
        "created_at": when.isoformat().replace("+00:00", "Z") if when else None,
        "text": tweet.text,
    }
    ids = {t.tweet_id for t, _ in ranked}
    if tweet.quoted_id and tweet.quoted_id in ids:
        out["quotes"] = tweet.quoted_id  # the account quoting its own tweet
    author = retweeted_handle(tweet.text)
    if author:
        out["retweet_of"] = author
    return out
