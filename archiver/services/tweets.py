"""Asking the providers about a tweet, and searching the Wayback index for one.

Every response is recorded as a capture before it is parsed, so the evidence
for a tweet's state (the tombstone, the 404, the JSON) is preserved with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from archiver.config import Settings
from archiver.detect.links import parse_status_url
from archiver.detect.snowflake import id_range_for_day
from archiver.errors import FetchError, WaybackError
from archiver.net.http import Fetch, HttpClient
from archiver.providers import fxtwitter, oembed, syndication, wayback
from archiver.providers.tweet import Tweet
from archiver.rules.matching import similarity
from archiver.services.recorder import Recorder
from archiver.store import models as m

LIVE_PROVIDERS = ("syndication", "fxtwitter", "oembed")
STATUS_HOSTS = ("twitter.com", "x.com", "mobile.twitter.com")
MAX_CANDIDATES = 25
__all__ = ["Answer", "TweetFetcher", "similarity"]


@dataclass(frozen=True)
class Answer:
    tweet: Tweet
    capture: m.Capture | None
    status: int | None = None  # the HTTP status the service answered with
    # Why we say what we say of a tweet that is not available: each live
    # service's status, and the Wayback capture that showed the tweet.
    evidence: dict[str, Any] | None = None


class TweetFetcher:
    def __init__(self, settings: Settings, client: HttpClient,
                 recorder: Recorder | None) -> None:
        self.settings = settings
        self.client = client
        self.recorder = recorder
        self.failures: list[str] = []  # causes, for the run's table
        self.index_answered = True  # did the last candidates() search get any answer?
        self.messages: list[str] = []  # one line each, naming the URL

    def _get(self, url: str) -> tuple[Fetch, m.Capture | None] | None:
        """Fetch and record (when recording); None (cause noted) when no response came."""
        try:
            fetch = self.client.get(url)
        except FetchError as exc:
            if self.recorder is not None:
                self.recorder.failure(url, str(exc))
            self.failures.append(exc.cause)
            self.messages.append(str(exc))
            return None
        if self.recorder is None:
            return fetch, None
        return fetch, self.recorder.fetch(fetch)[-1]

    def _ask(self, provider: str, tweet_id: str, status_url: str) -> Answer:
        if provider == "syndication":
            url = syndication.url(self.settings.syndication_base, tweet_id)
        elif provider == "fxtwitter":
            url = fxtwitter.url(self.settings.fxtwitter_base, tweet_id)
        else:
            url = oembed.url(self.settings.oembed_base, status_url)
        got = self._get(url)
        if got is None:
            return Answer(Tweet(id=tweet_id, state="unreachable", provider=provider,
                                detail=self.failures[-1]), None)
        fetch, capture = got
        parse = {"syndication": syndication.parse, "fxtwitter": fxtwitter.parse,
                 "oembed": oembed.parse}[provider]
        tweet = parse(tweet_id, fetch.status, fetch.content_type, fetch.body)
        if tweet.state == "unreachable":
            self.failures.append(f"{provider}_{fetch.status}")
            self.messages.append(f"{url}: HTTP {fetch.status}: {tweet.detail or 'unreadable'}")
        return Answer(tweet, capture, fetch.status)

    def tweet(self, tweet_id: str, handle: str | None, *, archived: bool = True) -> Answer:
        """The tweet's state from the live providers, its content from the
        Wayback Machine when the live ones no longer show it.

        A 404 from one service is not the last word (syndication hides some
        tweets FxTwitter shows), so the next is asked. When every live service
        answers 404 and the Wayback Machine holds a capture showing the tweet
        (its status page, or its syndication or FxTwitter JSON), the tweet
        existed and is gone: ``deleted``, with that capture as the evidence.
        A 404 for an id no source ever showed stays ``not_found``."""
        status_url = f"https://twitter.com/{handle or 'i/web'}/status/{tweet_id}"
        asked = [p for p in self.settings.provider_order if p in LIVE_PROVIDERS]
        answers: list[Answer] = []
        for provider in asked:
            answers.append(self._ask(provider, tweet_id, status_url))
            if answers[-1].tweet.state not in ("unreachable", "not_found"):
                break
        answer = _verdict(tweet_id, answers)
        if answer.tweet.state == "available":
            return answer
        said = [{"provider": a.tweet.provider, "status": a.status, "state": a.tweet.state,
                 "detail": a.tweet.detail} for a in answers]
        answer = replace(answer, evidence={"live": said})
        if not archived or "wayback" not in self.settings.provider_order:
            return answer
        copy = self.archived(tweet_id, handle)
        if copy is None or copy.tweet.text is None:
            return answer
        everywhere_404 = bool(answers) and all(a.tweet.state == "not_found" for a in answers)
        state, detail = answer.tweet.state, answer.tweet.detail or copy.tweet.detail
        wayback_said = (copy.evidence or {}).get("wayback", {})
        if everywhere_404:
            state = "deleted"
            detail = (f"every service answers 404 ({', '.join(asked)}); the Wayback Machine "
                      f"showed the tweet at {wayback_said.get('timestamp')}: "
                      f"{wayback_said.get('url')}")
        return Answer(replace(copy.tweet, state=state, detail=detail), copy.capture,
                      evidence={"live": said, **(copy.evidence or {})})

    def archived(self, tweet_id: str, handle: str | None) -> Answer | None:
        """The earliest good Wayback capture showing the tweet: its status page
        under ``handle``, else an archived syndication or FxTwitter answer."""
        for original, timestamp in self._archived_copies(tweet_id, handle):
            replay = wayback.raw_url(self.settings.wayback_base, timestamp, original)
            got = self._get(replay)
            if got is None:
                continue
            fetch, capture = got
            tweet = wayback.parse_status_capture(tweet_id, fetch.status, fetch.content_type,
                                                 fetch.body)
            if tweet.text:
                shown = {"url": original, "timestamp": timestamp, "replay": replay}
                return Answer(tweet, capture, fetch.status, evidence={"wayback": shown})
        return None

    def _archived_copies(self, tweet_id: str, handle: str | None) -> Iterator[tuple[str, str]]:
        """(original, timestamp) of captures that may show the tweet, best first;
        lazily, so the CDX index is asked no more than needed."""
        base = self.settings.wayback_base
        if handle:
            for host in STATUS_HOSTS:
                rows = self._cdx(wayback.cdx_url(base, f"{host}/{handle}/status/{tweet_id}",
                                                 limit=20)) or []
                for found_id, timestamp, original in wayback.status_ids(rows, handle):
                    if found_id == tweet_id:
                        yield original, timestamp
        for prefix in wayback.json_prefixes(tweet_id):
            rows = self._cdx(wayback.cdx_url(base, prefix, limit=20,
                                             filters=("statuscode:200",))) or []
            for row in rows:
                if row.statuscode == "200" and wayback.json_capture_id(row.original) == tweet_id:
                    yield row.original, row.timestamp

    def _cdx(self, url: str) -> list[wayback.CdxRow] | None:
        """The index's rows; None (cause noted) when it gave no usable answer."""
        got = self._get(url)
        if got is None:
            return None
        fetch, _capture = got
        if fetch.status != 200:
            self.failures.append(f"wayback_cdx_{fetch.status}")
            return None
        try:
            return wayback.parse_cdx(fetch.status, fetch.content_type, fetch.body)
        except WaybackError:
            self.failures.append("wayback_malformed")
            return None

    def candidates(self, handle: str, cited: dt.date) -> list[str]:
        """Ids of the handle's archived statuses posted within a day of ``cited``.
        ``index_answered`` tells afterwards whether the index answered at all."""
        low, high = id_range_for_day(cited, widen_days=1)
        found: list[str] = []
        self.index_answered = False
        for host in STATUS_HOSTS:
            # Any capture names a tweet, even a redirect or a revisit: collapsing
            # by urlkey keeps the first capture of a URL, which is often a 302.
            url = wayback.cdx_url(self.settings.wayback_base, f"{host}/{handle}/status/",
                                  collapse="urlkey")
            rows = self._cdx(url)
            self.index_answered = self.index_answered or rows is not None
            for row in rows or []:
                parsed = parse_status_url(row.original)
                if parsed is None or (parsed[0] or "").casefold() != handle.casefold():
                    continue
                tweet_id = parsed[1]
                if low <= int(tweet_id) <= high and tweet_id not in found:
                    found.append(tweet_id)
        return found[:MAX_CANDIDATES]



def _verdict(tweet_id: str, answers: list[Answer]) -> Answer:
    """One answer for many: the first that says something definite, else the
    first 404, else the last failure (nothing could be asked)."""
    for answer in answers:
        if answer.tweet.state not in ("unreachable", "not_found"):
            return answer
    for answer in answers:
        if answer.tweet.state == "not_found":
            return answer
    if answers:
        return answers[-1]
    return Answer(Tweet(id=tweet_id, state="unreachable", provider="none"), None)
