"""Entities (hashtags, mentions, URLs, media) found in a tweet's text, with indices.

Every service renders the same tweet differently (syndication JSON, FxTwitter
facets, oEmbed anchors, old twitter.com HTML); computing the entities once keeps
their indices and links consistent across services, as they are on X.
Indices count code points of the *unescaped* text (v1.1 behaviour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.fakeweb.data import FakeData, Media, Tweet, media_expanded_url

_URL = re.compile(r"https?://t\.co/[A-Za-z0-9]+")
_TAG = re.compile(r"(?<![\w&/])#(\w*[^\W\d_]\w*)")
_MENTION = re.compile(r"(?<![\w/])@(\w{1,15})")


@dataclass(frozen=True)
class Entity:
    kind: str  # hashtag, mention, url, media
    start: int
    end: int
    value: str  # tag without '#', handle without '@', or the t.co URL
    expanded: str | None = None
    display: str | None = None
    user_id: str | None = None
    user_name: str | None = None


DISPLAY_CHARS = 25  # v1.1 docs example: "dev.twitter.com/overview/…" (exact rule UNCONFIRMED)


def display_url(url: str) -> str:
    """How X shows a link: no scheme, no ``www.``, cut at 25 characters with an ellipsis."""
    shown = re.sub(r"^https?://(www\.)?", "", url)
    return shown if len(shown) <= DISPLAY_CHARS else shown[:DISPLAY_CHARS] + "…"


def entities(tweet: Tweet, data: FakeData) -> list[Entity]:
    """All entities of ``tweet`` in text order."""
    found: list[Entity] = []
    links = {link.code: link.expanded for link in tweet.links}
    for match in _URL.finditer(tweet.text):
        code = match.group().rsplit("/", 1)[1]
        if code == tweet.media_code and tweet.media:
            found.append(Entity("media", match.start(), match.end(), match.group(),
                                media_expanded_url(tweet), f"pic.twitter.com/{code}"))
        else:
            expanded = links.get(code) or data.tco.get(code) or match.group()
            found.append(Entity("url", match.start(), match.end(), match.group(),
                                expanded, display_url(expanded)))
    taken = [(e.start, e.end) for e in found]

    def free(start: int) -> bool:
        return not any(a <= start < b for a, b in taken)

    for match in _TAG.finditer(tweet.text):
        if free(match.start()):
            found.append(Entity("hashtag", match.start(), match.end(), match.group(1)))
    for match in _MENTION.finditer(tweet.text):
        if free(match.start()):
            user = data.by_handle(match.group(1))
            found.append(Entity("mention", match.start(), match.end(), match.group(1),
                                user_id=user.id if user else None,
                                user_name=user.name if user else None))
    return sorted(found, key=lambda e: e.start)


def display_range(tweet: Tweet, data: FakeData) -> tuple[int, int]:
    """``display_text_range``: leading reply mentions and trailing media/quote links excluded."""
    ents = entities(tweet, data)
    start, end = 0, len(tweet.text)
    if tweet.in_reply_to:
        for ent in ents:
            if ent.kind != "mention" or tweet.text[start:ent.start].strip():
                break
            start = ent.end + 1
    quote_url = quote_permalink(tweet, data)
    for ent in reversed(ents):
        is_quote = ent.kind == "url" and quote_url and ent.expanded == quote_url
        if (ent.kind == "media" or is_quote) and not tweet.text[ent.end:end].strip():
            end = len(tweet.text[: ent.start].rstrip())
        else:
            break
    return min(start, end), end


def quote_permalink(tweet: Tweet, data: FakeData) -> str | None:
    """The twitter.com URL of the quoted tweet as it appears in the quoting tweet's links."""
    if not tweet.quoted or tweet.quoted not in data.tweets:
        return None
    quoted = data.tweets[tweet.quoted]
    return f"https://twitter.com/{quoted.posted_as}/status/{quoted.id}"


def media_dims(media: Media, limit: int | None, crop: bool = False) -> tuple[int, int]:
    """Size of a rendition: fit the long side to ``limit`` (never upscale); crop = square."""
    if crop and limit:
        return limit, limit
    if not limit or max(media.width, media.height) <= limit:
        return media.width, media.height
    scale = limit / max(media.width, media.height)
    return max(1, int(media.width * scale + 0.5)), max(1, int(media.height * scale + 0.5))
