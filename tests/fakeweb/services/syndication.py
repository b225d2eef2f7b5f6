"""cdn.syndication.twimg.com/tweet-result: the keyless embed API (reference 3).

Shapes follow react-tweet's types and the 2023 capture: ISO ``created_at`` with
milliseconds and ``Z``, camelCase ``photos``/``video`` beside snake_case
``mediaDetails``, text keeping every t.co link (the media one last).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as htmllib
import math
import re
from typing import Any

from tests.fakeweb.data import FakeData, Media, Tweet, User
from tests.fakeweb.entities import display_range, entities, media_dims
from tests.fakeweb.syndtoken import syndication_token
from tests.fakeweb.wire import Request, Response, html, json_response

_JSON_HEADERS = [("cache-control", "public, max-age=3600"),
                 ("access-control-allow-origin", "*")]
COUNTRIES = {"DE": "Germany", "FR": "France", "IN": "India", "TR": "Türkiye", "RU": "Russia",
             "AZ": "Azerbaijan", "AM": "Armenia"}


def iso(when: dt.datetime) -> str:
    """``2020-10-01T17:07:40.000Z``: whole seconds (the API drops the ms of the id)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def escape_text(text: str) -> str:
    # UNCONFIRMED for this endpoint: escaped like v1.1 (&amp; &lt; &gt;), indices
    # still counting the unescaped text. Clients must unescape defensively.
    return htmllib.escape(text, quote=False)


def avatar(user: User, size: str = "normal") -> str:
    path = user.avatar_path or f"/profile_images/{user.id}/avatar"
    return f"https://pbs.twimg.com{path}_{size}.jpg"


def user_json(user: User) -> dict[str, Any]:
    return {"id_str": user.id, "name": user.name, "profile_image_url_https": avatar(user),
            "profile_image_shape": "Circle", "screen_name": user.screen_name,
            "verified": user.verified, "is_blue_verified": False}


def entities_json(tweet: Tweet, data: FakeData) -> dict[str, Any]:
    out: dict[str, Any] = {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []}
    for ent in entities(tweet, data):
        idx = [ent.start, ent.end]
        if ent.kind == "hashtag":
            out["hashtags"].append({"indices": idx, "text": ent.value})
        elif ent.kind == "url":
            out["urls"].append({"display_url": ent.display, "expanded_url": ent.expanded,
                                "indices": idx, "url": ent.value})
        elif ent.kind == "mention":
            out["user_mentions"].append({"id_str": ent.user_id or "0", "indices": idx,
                                         "name": ent.user_name or ent.value,
                                         "screen_name": ent.value})
        elif ent.kind == "media":
            out["media"] = [{"display_url": ent.display, "expanded_url": ent.expanded,
                             "indices": idx, "url": ent.value}]
    return out


def edit_control(tweet: Tweet) -> dict[str, Any]:
    ids = tweet.edit_ids or [tweet.id]
    until = int(tweet.created_at.timestamp() * 1000) + 30 * 60 * 1000
    return {"edit_tweet_ids": ids, "editable_until_msecs": str(until),
            "is_edit_eligible": len(ids) > 1, "edits_remaining": str(5 - (len(ids) - 1))}


def tweet_base(tweet: Tweet, data: FakeData) -> dict[str, Any]:
    """The TweetBase fields, repeated in ``quoted_tweet`` and ``parent``."""
    ids = tweet.edit_ids or [tweet.id]
    return {
        "lang": tweet.lang, "created_at": iso(tweet.created_at),
        "display_text_range": list(display_range(tweet, data)),
        "entities": entities_json(tweet, data), "id_str": tweet.id,
        "text": escape_text(tweet.text), "user": user_json(data.author(tweet)),
        "edit_control": edit_control(tweet), "isEdited": len(ids) > 1,
        # UNCONFIRMED semantics: true when this id is not the latest version.
        "isStaleEdit": tweet.id != ids[-1],
    }


def _palette(key: str) -> dict[str, Any]:
    digest = hashlib.sha1(key.encode()).digest()
    rgb = {"red": digest[0], "green": digest[1], "blue": digest[2]}
    return {"palette": [{"percentage": 80.1, "rgb": rgb}]}


def _sizes(media: Media) -> dict[str, Any]:
    out = {}
    for name, limit in (("large", 2048), ("medium", 1200), ("small", 680)):
        w, h = media_dims(media, limit)
        out[name] = {"h": h, "w": w, "resize": "fit"}
    out["thumb"] = {"h": 150, "w": 150, "resize": "crop"}
    return out


def aspect(media: Media) -> list[int]:
    g = math.gcd(media.width, media.height) or 1
    return [media.width // g, media.height // g]


def media_details(tweet: Tweet, data: FakeData) -> list[dict[str, Any]]:
    ent = next((e for e in entities(tweet, data) if e.kind == "media"), None)
    out = []
    for media in tweet.media:
        item: dict[str, Any] = {
            "display_url": ent.display if ent else "", "expanded_url": ent.expanded if ent else "",
            "ext_media_availability": {"status": "Available"}, "ext_media_color": _palette(media.key),
            "indices": [ent.start, ent.end] if ent else [0, 0],
            "media_url_https": media.image_url,
            "original_info": {"height": media.height, "width": media.width,
                              "focus_rects": [{"x": 0, "y": 0, "w": media.width,
                                               "h": media.height}]},
            "sizes": _sizes(media), "type": media.kind, "url": ent.value if ent else "",
        }
        if media.alt_text:
            item["ext_alt_text"] = media.alt_text
        if media.kind != "photo":
            info: dict[str, Any] = {"aspect_ratio": aspect(media)}
            if media.kind == "video":
                info["duration_millis"] = media.duration_ms or 0
            info["variants"] = [
                {"bitrate": v.bitrate, "content_type": v.content_type, "url": v.url}
                if v.bitrate is not None else {"content_type": v.content_type, "url": v.url}
                for v in media.variants]
            item["video_info"] = info
        out.append(item)
    return out


def _video(tweet: Tweet, media: Media) -> dict[str, Any]:
    return {
        "aspectRatio": aspect(media),
        # UNCONFIRMED: "gif" for animated GIFs, "media_entity" for videos.
        "contentType": "gif" if media.kind == "animated_gif" else "media_entity",
        "durationMs": media.duration_ms or 0, "mediaAvailability": {"status": "available"},
        "poster": media.image_url,
        "variants": [{"type": v.content_type, "src": v.url} for v in media.variants],
        "videoId": {"type": "tweet", "id": tweet.id}, "viewCount": 0,
    }


def tweet_json(tweet: Tweet, data: FakeData) -> dict[str, Any]:
    """The full ``Tweet`` object in the key order of the 2023 capture."""
    base = tweet_base(tweet, data)
    out: dict[str, Any] = {"__typename": "Tweet", "lang": tweet.lang,
                           "favorite_count": tweet.favorite_count,
                           "possibly_sensitive": False}
    for key in ("created_at", "display_text_range", "entities", "id_str", "text", "user",
                "edit_control"):
        out[key] = base[key]
    if tweet.media:
        out["mediaDetails"] = media_details(tweet, data)
        photos = [m for m in tweet.media if m.kind == "photo"]
        if photos:
            expanded = out["mediaDetails"][0]["expanded_url"]
            out["photos"] = [{"backgroundColor": _palette(m.key)["palette"][0]["rgb"],
                              "cropCandidates": [{"x": 0, "y": 0, "w": m.width, "h": m.height}],
                              "expandedUrl": expanded, "url": m.image_url,
                              "width": m.width, "height": m.height} for m in photos]
        moving = [m for m in tweet.media if m.kind != "photo"]
        if moving:
            out["video"] = _video(tweet, moving[0])
    out["conversation_count"] = tweet.reply_count
    out["news_action_type"] = "conversation"
    quoted = data.tweets.get(tweet.quoted or "")
    if quoted is not None and data.state(quoted.id) == "available":
        out["quoted_tweet"] = {**tweet_base(quoted, data), "reply_count": quoted.reply_count,
                               "retweet_count": quoted.retweet_count,
                               "favorite_count": quoted.favorite_count,
                               "self_thread": {"id_str": quoted.id}}
    parent = data.tweets.get(tweet.in_reply_to or "")
    if parent is not None:
        out["in_reply_to_screen_name"] = data.author(parent).screen_name
        out["in_reply_to_status_id_str"] = parent.id
        out["in_reply_to_user_id_str"] = parent.user_id
        if data.state(parent.id) == "available":
            out["parent"] = {**tweet_base(parent, data), "reply_count": parent.reply_count,
                             "retweet_count": parent.retweet_count,
                             "favorite_count": parent.favorite_count}
    out["isEdited"] = base["isEdited"]
    out["isStaleEdit"] = base["isStaleEdit"]
    return out


def tombstone(text: str) -> dict[str, Any]:
    return {"__typename": "TweetTombstone",
            "tombstone": {"text": {"text": text, "entities": [], "rtl": False}}}


def withheld_text(tweet: Tweet, data: FakeData) -> str:
    # UNCONFIRMED for this endpoint: X's own withheld notice wording.
    where = ", ".join(COUNTRIES.get(c, c) for c in tweet.withheld_in)
    handle = data.author(tweet).screen_name
    return f"This Post from @{handle} has been withheld in {where} in response to a legal demand."


def _not_found() -> Response:
    """Deleted or never existed: 404 with an HTML body (not JSON)."""
    return html(404, "<!DOCTYPE html><html><head><title>Not Found</title></head>"
                     "<body><h1>404 Not Found</h1></body></html>\n")


def tweet_result(req: Request, data: FakeData) -> Response:
    if req.path != "/tweet-result":
        return _not_found()
    tweet_id = req.arg("id") or ""
    if not re.fullmatch(r"[0-9]{1,40}", tweet_id):
        return _not_found()  # UNCONFIRMED: what the CDN says about a malformed id
    req.hit.token_ok = req.arg("token") == syndication_token(tweet_id)
    state = data.state(tweet_id)
    if state == "available":
        return json_response(200, tweet_json(data.tweets[tweet_id], data), _JSON_HEADERS)
    if state == "protected":
        return json_response(200, tombstone("This Post is unavailable."), _JSON_HEADERS)
    if state == "withheld":
        text = withheld_text(data.tweets[tweet_id], data)
        return json_response(200, tombstone(text), _JSON_HEADERS)
    # deleted, never existed, and (UNCONFIRMED: 404 or tombstone) suspended author
    return _not_found()
