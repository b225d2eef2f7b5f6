"""The value every tweet provider returns, whatever the service's JSON looked like."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Why a tweet is (not) visible. "unreachable" means we could not ask (network,
# 5xx, rate limit): it says nothing about the tweet and is retried later.
TWEET_STATES = (
    "available", "deleted", "protected", "suspended", "withheld", "not_found", "unreachable",
)
MEDIA_KINDS = ("photo", "video", "animated_gif")


@dataclass(frozen=True)
class MediaItem:
    kind: str  # one of MEDIA_KINDS
    url: str  # the best copy: original-size photo, highest-bitrate MP4
    width: int | None = None
    height: int | None = None
    mime: str | None = None
    bitrate: int | None = None
    preview_url: str | None = None  # poster image of a video or GIF
    short_url: str | None = None  # the t.co link that stands for it in the text


@dataclass(frozen=True)
class TweetURL:
    short: str  # https://t.co/...
    expanded: str | None
    display: str | None = None


@dataclass(frozen=True)
class Tweet:
    id: str
    state: str  # one of TWEET_STATES
    provider: str  # syndication, oembed, fxtwitter, wayback
    handle: str | None = None
    user_id: str | None = None
    author_name: str | None = None
    text: str | None = None  # unescaped; t.co links as in the tweet
    created_at: dt.datetime | None = None  # UTC
    lang: str | None = None
    reply_to_id: str | None = None
    quoted_id: str | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[TweetURL, ...] = ()
    media: tuple[MediaItem, ...] = ()
    detail: str | None = None  # what the service said: tombstone text, error message
