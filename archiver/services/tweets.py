"""Asking the providers about a tweet, and searching the Wayback index for one.

Every response is recorded as a capture before it is parsed, so the evidence
for a tweet's state (the tombstone, the 404, the JSON) is preserved with it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from archiver.config import Settings
from archiver.detect.links import parse_status_url
from archiver.detect.snowflake import id_range_for_day
from archiver.net.errors import FetchError
from archiver.net.http import Fetch, HttpClient
from archiver.net.providers import fxtwitter, oembed, syndication, wayback
from archiver.net.providers.tweet import Tweet
from archiver.services.recorder import Recorder
from archiver.store import models as m

LIVE_PROVIDERS = ("syndication", "fxtwitter", "oembed")
STATUS_HOSTS = ("twitter.com", "x.com", "mobile.twitter.com")
MAX_CANDIDATES = 25
_URL = re.compile(r"(?:https?://)?(?:t\.co|pic\.twitter\.com)/\w+|https?://\S+")


@dataclass(frozen=True)
class Answer:
    tweet: Tweet
    capture: m.Capture | None


def similarity(quote: str, text: str) -> float:
    """0-100: how well an article's quote matches a tweet's text.

    Links are left out (articles show pic.twitter.com where tweets have t.co);
    a quote that is a fragment of the tweet still scores high."""
    a, b = _norm(quote), _norm(text)
    if not a or not b:
        return 0.0
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) >= 20:
        score = max(score, fuzz.partial_ratio(a, b) * 0.95)
    return float(score)


def _norm(text: str) -> str:
    return " ".join(_URL.sub(" ", html.unescape(text)).split()).casefold()


class TweetFetcher:
    def __init__(self, settings: Settings, client: HttpClient,
                 recorder: Recorder | None) -> None:
        self.settings = settings
        self.client = client
        self.recorder = recorder
        self.failures: list[str] = []  # causes, for the run's table
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
        return Answer(tweet, capture)

    def tweet(self, tweet_id: str, handle: str | None, *, archived: bool = True) -> Answer:
        """The tweet's state from the live providers, its content from the
        Wayback Machine when the live ones no longer show it."""
        status_url = f"https://twitter.com/{handle or 'i/web'}/status/{tweet_id}"
        if handle is None:
            status_url = f"https://twitter.com/i/web/status/{tweet_id}"
        answer = Answer(Tweet(id=tweet_id, state="unreachable", provider="none"), None)
        for provider in self.settings.provider_order:
            if provider not in LIVE_PROVIDERS:
                continue
            answer = self._ask(provider, tweet_id, status_url)
            if answer.tweet.state != "unreachable":
                break
        if (answer.tweet.state == "available" or not archived
                or "wayback" not in self.settings.provider_order):
            return answer
        archived = self.archived(tweet_id, handle)
        if archived is None or archived.tweet.text is None:
            return answer
        state = answer.tweet.state
        return Answer(replace(archived.tweet, state=state,
                              detail=answer.tweet.detail or archived.tweet.detail),
                      archived.capture)

    def archived(self, tweet_id: str, handle: str | None) -> Answer | None:
        """The earliest good Wayback capture of the tweet's status page."""
        if handle is None:
            return None
        for host in STATUS_HOSTS:
            url = wayback.cdx_url(self.settings.wayback_base,
                                  f"{host}/{handle}/status/{tweet_id}", limit=20)
            rows = self._cdx(url)
            for found_id, timestamp, original in wayback.status_ids(rows, handle):
                if found_id != tweet_id:
                    continue
                got = self._get(wayback.raw_url(self.settings.wayback_base, timestamp, original))
                if got is None:
                    continue
                fetch, capture = got
                tweet = wayback.parse_status_capture(tweet_id, fetch.status, fetch.content_type,
                                                     fetch.body)
                if tweet.text:
                    return Answer(tweet, capture)
        return None

    def _cdx(self, url: str) -> list[wayback.CdxRow]:
        got = self._get(url)
        if got is None:
            return []
        fetch, _capture = got
        if fetch.status != 200:
            self.failures.append(f"wayback_cdx_{fetch.status}")
            return []
        try:
            return wayback.parse_cdx(fetch.status, fetch.content_type, fetch.body)
        except wayback.WaybackError:
            self.failures.append("wayback_malformed")
            return []

    def candidates(self, handle: str, cited: dt.date) -> list[str]:
        """Ids of the handle's archived statuses posted within a day of ``cited``."""
        low, high = id_range_for_day(cited, widen_days=1)
        found: list[str] = []
        for host in STATUS_HOSTS:
            # Any capture names a tweet, even a redirect or a revisit: collapsing
            # by urlkey keeps the first capture of a URL, which is often a 302.
            url = wayback.cdx_url(self.settings.wayback_base, f"{host}/{handle}/status/",
                                  collapse="urlkey")
            for row in self._cdx(url):
                parsed = parse_status_url(row.original)
                if parsed is None or (parsed[0] or "").casefold() != handle.casefold():
                    continue
                tweet_id = parsed[1]
                if low <= int(tweet_id) <= high and tweet_id not in found:
                    found.append(tweet_id)
        return found[:MAX_CANDIDATES]

