"""The FxTwitter API (``api.fxtwitter.com``), a third-party embed service.

It answers where the syndication endpoint does not (age-restricted tweets),
but it folds every "unavailable" reason except "private" into one 404, so its
failures are weak evidence. Shapes: reference x-endpoints.md, section 5.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from archiver.providers import (
    from_unix,
    guarded,
    hashtags_in,
    ident,
    is_json,
    items,
    load_object,
    media_type,
    mentions_in,
    number,
    obj,
    original_photo,
    status_problem,
    string,
    unreachable,
)
from archiver.providers.tweet import MediaItem, Tweet, TweetURL

PROVIDER = "fxtwitter"
DEFAULT_BASE = "https://api.fxtwitter.com"

_V1_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Tue Mar 21 20:50:14 +0000 2006"


def url(base: str, tweet_id: str) -> str:
    """The legacy-shaped ``/status/<id>`` route (the handle is not needed for lookup)."""
    if not (tweet_id.isascii() and tweet_id.isdigit()):
        raise ValueError(f"not a tweet id: {tweet_id!r}")
    return f"{base.rstrip('/')}/status/{tweet_id}"


def parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    """What an FxTwitter answer says about ``tweet_id``; never raises."""
    return guarded(PROVIDER, tweet_id, lambda: _parse(tweet_id, status, content_type, body))


def _parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    # Every verdict of this API is JSON; any other body (a CDN error page, a
    # redirect to the docs) says nothing about the tweet.
    if not is_json(content_type):
        kind = media_type(content_type) or "none"
        what = status_problem(status, content_type) if status != 200 else f"status 200, {kind}"
        return unreachable(tweet_id, PROVIDER, f"unexpected content type: {what}")
    data, error = load_object(body)
    if error:
        return unreachable(tweet_id, PROVIDER, f"{error} (status {status})")
    return parse_object(tweet_id, data, status)


def parse_object(tweet_id: str, data: dict[str, Any], status: int,
                 provider: str = PROVIDER) -> Tweet:
    """A decoded answer. The JSON ``code`` equals the HTTP status; when both exist
    and differ, the code wins (it is what FxTwitter meant) and detail says so."""
    code = number(data.get("code"))
    if code is None:
        code = status
    message = string(data.get("message")) or ""
    said = message + (f" (HTTP status {status})" if status != code else "")
    if code == 200:
        tweet = data.get("tweet")
        if not isinstance(tweet, dict):
            return unreachable(tweet_id, provider, f"code 200 without a tweet object: {said or 'no message'}")
        return _available(tweet_id, tweet, provider, said if status != code else None)
    if code == 401:
        return Tweet(tweet_id, "protected", provider, detail=f"401 {said}".strip())
    if code == 404:
        return Tweet(tweet_id, "not_found", provider,
                     detail=f"404 {said}".strip() + " (FxTwitter answers 404 for deleted, "
                     "never-existing and suspended-author tweets alike)")
    return unreachable(tweet_id, provider,
                       f"code {code} {said}".strip() + (" (rate limited)" if code == 429 else ""))


def _available(tweet_id: str, tweet: dict[str, Any], provider: str, note: str | None) -> Tweet:
    notes = [note] if note else []
    author = obj(tweet.get("author"))
    raw = obj(tweet.get("raw_text"))
    # raw_text.text keeps the t.co links as tweeted; ``text`` has them replaced.
    text = string(raw.get("text"))
    if text is None:
        text = string(tweet.get("text"))
    if text is None:
        notes.append("no text in answer")
    else:
        text = html.unescape(text)
    facets = items(raw.get("facets"))
    answered = ident(tweet.get("id"))
    if answered and answered != tweet_id:
        notes.append(f"answer is for id {answered}")
    return Tweet(
        id=tweet_id,
        state="available",
        provider=provider,
        handle=string(author.get("screen_name")),
        user_id=ident(author.get("id")),
        author_name=string(author.get("name")),
        text=text,
        created_at=_created_at(tweet, notes),
        lang=string(tweet.get("lang")),
        reply_to_id=ident(tweet.get("replying_to_status")),
        quoted_id=ident(obj(tweet.get("quote")).get("id")),
        hashtags=hashtags_in(text),
        mentions=mentions_in(text),
        urls=tuple(_urls(facets)),
        media=tuple(_media(obj(tweet.get("media")), facets, notes)),
        detail="; ".join(notes) or None,
    )


def _created_at(tweet: dict[str, Any], notes: list[str]) -> dt.datetime | None:
    """``created_timestamp`` (Unix seconds), else the v1.1-style ``created_at``."""
    moment = from_unix(tweet.get("created_timestamp"))
    if moment is not None:
        return moment
    words = string(tweet.get("created_at"))
    if words is None:
        return None
    try:
        return dt.datetime.strptime(words, _V1_TIME).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        notes.append(f"unreadable created_at {words[:40]!r}")
        return None


def _urls(facets: list[dict[str, Any]]) -> list[TweetURL]:
    """Link facets: ``original`` is the t.co URL, ``replacement`` the expanded one."""
    found = []
    for facet in facets:
        short = string(facet.get("original"))
        if facet.get("type") == "url" and short:
            found.append(TweetURL(short, string(facet.get("replacement")),
                                  string(facet.get("display"))))
    return found


def _media(media: dict[str, Any], facets: list[dict[str, Any]],
           notes: list[str]) -> list[MediaItem]:
    """``media.all`` (original order) when present, else photos then videos."""
    short = next((s for f in facets if f.get("type") == "media"
                  and (s := string(f.get("original")))), None)
    entries = items(media.get("all")) if isinstance(media.get("all"), list) else [
        *items(media.get("photos")), *items(media.get("videos"))]
    found = []
    for entry in entries:
        item = _item(entry, short)
        if item is None:
            notes.append(f"skipped media of type {entry.get('type')!r} without a usable URL")
        else:
            found.append(item)
    return found


def _item(entry: dict[str, Any], short: str | None) -> MediaItem | None:
    source = string(entry.get("url"))
    kind = entry.get("type")
    if not source or kind not in ("photo", "video", "gif"):
        return None
    width, height = number(entry.get("width")), number(entry.get("height"))
    if kind == "photo":
        photo, mime = original_photo(source)
        return MediaItem("photo", photo, width, height, mime, short_url=short)
    # ``url`` is already the best MP4; its bitrate is in the matching variant.
    bitrate = next((number(v.get("bitrate")) for v in items(entry.get("variants"))
                    if v.get("url") == source), None)
    return MediaItem(
        "animated_gif" if kind == "gif" else "video", source, width, height,
        string(entry.get("format")) or "video/mp4", bitrate,
        string(entry.get("thumbnail_url")), short,
    )
