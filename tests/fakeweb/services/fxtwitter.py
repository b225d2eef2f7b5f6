"""api.fxtwitter.com, the legacy-shaped ("v1") API (reference section 5).

The HTTP status equals ``code``; errors keep ``"tweet": null``. Dates are v1.1
strings (``Thu Oct 01 17:07:40 +0000 2020``), unlike syndication's ISO form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.fakeweb.data import FakeData, Media, Tweet, User
from tests.fakeweb.entities import display_range, entities
from tests.fakeweb.services.syndication import avatar
from tests.fakeweb.wire import Request, Response, json_response, redirect

_ROUTES = (re.compile(r"^/status/(\d{1,25})(?:/[a-z]{2,3})?/?$"),
           re.compile(r"^/\w{1,15}/status/(\d{1,25})(?:/[a-z]{2,3})?/?$"))
_HEADERS = [("access-control-allow-origin", "*"), ("cache-control", "max-age=600")]
DOCS = "https://docs.fxtwitter.com"  # UNCONFIRMED target of the unknown-path 302


def v1_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")


def author_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "screen_name": user.screen_name,
        "avatar_url": avatar(user, "200x200"),
        "banner_url": f"https://pbs.twimg.com/profile_banners/{user.id}/1600000000",
        "description": user.description, "location": user.location,
        "url": f"https://x.com/{user.screen_name}", "followers": user.followers,
        "following": user.following, "joined": v1_date(user.created_at), "likes": 0,
        "protected": user.protected, "website": None, "birthday": {}, "tweets": 0,
        "avatar_color": None,
    }


def _facets(tweet: Tweet, data: FakeData) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ent in entities(tweet, data):
        idx = [ent.start, ent.end]
        if ent.kind == "media":
            out.append({"type": "media", "indices": idx, "id": tweet.media[0].media_id,
                        "display": ent.display, "original": ent.value,
                        "replacement": ent.expanded})
        elif ent.kind == "url":
            out.append({"type": "url", "indices": idx, "original": ent.value,
                        "replacement": ent.expanded, "display": ent.display})
        elif ent.kind == "hashtag":
            out.append({"type": "hashtag", "indices": idx, "original": ent.value})
        else:
            out.append({"type": "mention", "indices": idx, "id": ent.user_id,
                        "original": ent.value})
    return out


def plain_text(tweet: Tweet, data: FakeData) -> str:
    """``text``: links expanded, trailing media/quote links dropped (UNCONFIRMED detail)."""
    _, end = display_range(tweet, data)
    out, pos = [], 0
    for ent in entities(tweet, data):
        if ent.start >= end:
            break
        out.append(tweet.text[pos:ent.start])
        out.append(ent.expanded if ent.kind == "url" and ent.expanded else
                   tweet.text[ent.start:ent.end])
        pos = ent.end
    out.append(tweet.text[pos:end])
    return "".join(out)


def _video(media: Media) -> dict[str, Any]:
    mp4s = [v for v in media.variants if v.content_type == "video/mp4"]
    best = max(mp4s, key=lambda v: v.bitrate or 0) if mp4s else None
    variants = [{"bitrate": v.bitrate, "content_type": v.content_type, "url": v.url}
                if v.bitrate is not None else {"content_type": v.content_type, "url": v.url}
                for v in media.variants]
    return {"type": "gif" if media.kind == "animated_gif" else "video",
            "url": best.url if best else "", "thumbnail_url": media.image_url,
            "duration": (media.duration_ms or 0) / 1000, "width": media.width,
            "height": media.height, "format": "video/mp4", "variants": variants}


def _photo(media: Media) -> dict[str, Any]:
    return {"type": "photo", "url": media.image_url, "width": media.width,
            "height": media.height, "altText": media.alt_text or ""}


def media_json(tweet: Tweet) -> dict[str, Any]:
    """``all`` in posting order, then ``photos``/``videos``; ``mosaic`` only for 2+ photos."""
    items = [_photo(m) if m.kind == "photo" else _video(m) for m in tweet.media]
    photos = [i for i in items if i["type"] == "photo"]
    videos = [i for i in items if i["type"] != "photo"]
    out: dict[str, Any] = {"all": items}
    if photos:
        out["photos"] = photos
    if videos:
        out["videos"] = videos
    if len(photos) >= 2:
        keys = "/".join(m.key for m in tweet.media if m.kind == "photo")
        out["mosaic"] = {"type": "mosaic_photo", "formats": {
            "webp": f"https://mosaic.fxtwitter.com/webp/{tweet.id}/{keys}",
            "jpeg": f"https://mosaic.fxtwitter.com/jpeg/{tweet.id}/{keys}"}}
    return out


def tweet_json(tweet: Tweet, data: FakeData, nested: bool = False) -> dict[str, Any]:
    user = data.author(tweet)
    parent = data.tweets.get(tweet.in_reply_to or "")
    kinds = {m.kind for m in tweet.media}
    card = "player" if kinds - {"photo"} else "summary_large_image" if kinds else "tweet"
    out: dict[str, Any] = {
        "url": f"https://x.com/{user.screen_name}/status/{tweet.id}", "id": tweet.id,
        "text": plain_text(tweet, data),
        "raw_text": {"text": tweet.text, "facets": _facets(tweet, data)},
        "author": author_json(user), "replies": tweet.reply_count,
        "retweets": tweet.retweet_count, "likes": tweet.favorite_count, "views": None,
        "created_at": v1_date(tweet.created_at),
        "created_timestamp": int(tweet.created_at.timestamp()),
        "possibly_sensitive": False, "lang": tweet.lang,
        "replying_to": data.author(parent).screen_name if parent else None,
        "replying_to_status": parent.id if parent else None,
    }
    quoted = data.tweets.get(tweet.quoted or "")
    if quoted is not None and not nested and data.state(quoted.id) == "available":
        out["quote"] = tweet_json(quoted, data, nested=True)
    if tweet.media:
        out["media"] = media_json(tweet)
    out.update({"source": tweet.source, "twitter_card": card, "color": None,
                "is_note_tweet": False, "community_note": None, "provider": "twitter"})
    return out


def _error(code: int, message: str) -> Response:
    return json_response(code, {"code": code, "message": message, "tweet": None}, _HEADERS,
                         content_type="application/json")


def api(req: Request, data: FakeData) -> Response:
    tweet_id = None
    for route in _ROUTES:
        match = route.match(req.path)
        if match:
            tweet_id = match.group(1)
            break
    if tweet_id is None:
        return redirect(DOCS, 302)
    state = data.state(tweet_id)
    if state == "protected":
        return _error(401, "PRIVATE_TWEET")
    # withheld: depends on FxTwitter's egress country; 200 chosen (UNCONFIRMED).
    if state not in ("available", "withheld"):
        return _error(404, "NOT_FOUND")
    body = {"code": 200, "message": "OK", "tweet": tweet_json(data.tweets[tweet_id], data)}
    return json_response(200, body, _HEADERS, content_type="application/json")
