"""The syndication endpoint behind embedded tweets: ``cdn.syndication.twimg.com``.

It needs no key and answers with the richest JSON of the keyless services
(entities with expanded URLs, every video variant), which is why it is asked
first. Request and answer shapes: reference x-endpoints.md, section 3.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any
from urllib.parse import urlencode

from archiver.providers import (
    guarded,
    ident,
    is_json,
    items,
    load_json,
    load_object,
    media_type,
    number,
    obj,
    original_photo,
    status_problem,
    string,
    unreachable,
)
from archiver.providers.tweet import MediaItem, Tweet, TweetURL

PROVIDER = "syndication"
DEFAULT_BASE = "https://cdn.syndication.twimg.com"

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TWEET_ID = re.compile(r"[0-9]+")
_SMALLEST_DENORMAL = 5e-324
_HLS = "application/x-mpegurl"


# --- token ------------------------------------------------------------------


def _exponent(value: float) -> int:
    """V8's ``Double(value).Exponent()``: value == significand(53 bits) * 2**exponent."""
    if value == 0 or not math.isfinite(value):
        return -1074
    return max(math.frexp(value)[1] - 53, -1074)


def _fraction_digits(fraction: float, delta: float, radix: int) -> tuple[list[int], bool]:
    """Digits of ``fraction`` until they say less than ``delta``; (digits, carry out)."""
    digits: list[int] = []
    while True:
        fraction *= radix
        delta *= radix
        digit = int(fraction)
        digits.append(digit)
        fraction -= digit
        # Round half to even; when the remaining delta would overflow a digit,
        # the digits written so far are incremented, carrying leftwards.
        if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
            while digits:
                last = digits.pop() + 1
                if last < radix:
                    digits.append(last)
                    return digits, False
            return digits, True
        if not fraction >= delta:
            return digits, False


def _integer_digits(integer: float, radix: int) -> str:
    """Digits of an integral double; digits below its precision are written as zeros."""
    zeros = 0
    while _exponent(integer / radix) > 0:
        integer /= radix
        zeros += 1
    out: list[str] = []
    while True:
        remainder = math.fmod(integer, radix)
        out.append(_DIGITS[int(remainder)])
        integer = (integer - remainder) / radix
        if not integer > 0:
            break
    return "".join(reversed(out)) + "0" * zeros


def to_radix(value: float, radix: int = 36) -> str:
    """``Number.prototype.toString(radix)`` as V8 computes it (``DoubleToRadixCString``).

    Python has no float formatter for other bases, and the token must match
    JavaScript's digits exactly, rounding included, so this is a line-by-line
    port: fraction digits stop once they drop below half an ulp of the value.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    integer = float(math.floor(value))
    fraction = value - integer
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), _SMALLEST_DENORMAL)
    digits: list[int] = []
    if fraction >= delta:
        digits, carry = _fraction_digits(fraction, delta, radix)
        integer += carry
    point = "." + "".join(_DIGITS[d] for d in digits) if digits else ""
    return sign + _integer_digits(integer, radix) + point


def token(tweet_id: str) -> str:
    """react-tweet's token: ``((Number(id) / 1e15) * Math.PI).toString(36)`` minus 0s and dots.

    Raises ValueError for anything but ASCII digits (react-tweet rejects those ids too).
    """
    if not _TWEET_ID.fullmatch(tweet_id):
        raise ValueError(f"not a tweet id: {tweet_id!r}")
    return re.sub(r"0+|\.", "", to_radix((float(tweet_id) / 1e15) * math.pi, 36))


def url(base: str, tweet_id: str, lang: str = "en") -> str:
    """The ``tweet-result`` URL for ``tweet_id``; ``base`` is usually ``DEFAULT_BASE``."""
    if len(tweet_id) > 40:
        raise ValueError(f"not a tweet id: {tweet_id!r}")
    query = urlencode({"id": tweet_id, "lang": lang, "token": token(tweet_id)})
    return f"{base.rstrip('/')}/tweet-result?{query}"


# --- answers ----------------------------------------------------------------


def parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    """What a ``tweet-result`` answer says about ``tweet_id``; never raises."""
    return guarded(PROVIDER, tweet_id, lambda: _parse(tweet_id, status, content_type, body))


def _parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    if status == 404:
        # The endpoint answers 404 for a deleted tweet and for an id that never
        # existed alike (and, in 2023, for age-restricted tweets): it cannot
        # tell them apart, so this is "not_found", never "deleted".
        return Tweet(tweet_id, "not_found", PROVIDER,
                     detail="404: deleted, never existed, or hidden from signed-out viewers")
    if status != 200:
        return unreachable(tweet_id, PROVIDER, status_problem(status, content_type)
                           + _error_text(content_type, body))
    if not is_json(content_type):
        kind = media_type(content_type) or "none"
        return unreachable(tweet_id, PROVIDER, f"unexpected content type {kind} with status 200")
    data, error = load_object(body)
    if error:
        return unreachable(tweet_id, PROVIDER, error)
    return parse_object(tweet_id, data)


def _error_text(content_type: str | None, body: bytes) -> str:
    """The ``error`` a JSON error answer carries (react-tweet reports it), or ""."""
    if not is_json(content_type):
        return ""
    value, _ = load_json(body)
    message = string(obj(value).get("error"))
    return f": {message[:200]}" if message else ""


def parse_object(tweet_id: str, data: dict[str, Any], provider: str = PROVIDER) -> Tweet:
    """A decoded ``tweet-result`` object: a Tweet, a tombstone, or something unknown."""
    kind = data.get("__typename")
    if kind == "TweetTombstone":
        return _tombstone(tweet_id, data, provider)
    if kind != "Tweet":
        # react-tweet treats an empty object as "no tweet"; we cannot tell why.
        return unreachable(tweet_id, provider, f"unexpected __typename {kind!r}")
    return _available(tweet_id, data, provider)


def tombstone_state(text: str | None) -> str:
    """The state a tombstone's wording implies; unknown wordings count as protected."""
    words = (text or "").lower().replace("\u2019", "'")
    if "withheld" in words:
        return "withheld"
    if "deleted" in words or "doesn't exist" in words or "does not exist" in words:
        return "deleted"
    if "suspended" in words:
        return "suspended"
    return "protected"  # private, unavailable, age-restricted


def _tombstone(tweet_id: str, data: dict[str, Any], provider: str) -> Tweet:
    stone = obj(data.get("tombstone"))
    text = string(stone.get("text")) or string(obj(stone.get("text")).get("text"))
    return Tweet(tweet_id, tombstone_state(text), provider,
                 detail=text or "tombstone without text")


def _available(tweet_id: str, data: dict[str, Any], provider: str) -> Tweet:
    notes: list[str] = []
    user = obj(data.get("user"))
    entities = obj(data.get("entities"))
    text = string(data.get("text"))
    if text is None:
        notes.append("no text in answer")
    answered = ident(data.get("id_str"))
    if answered and answered != tweet_id:
        notes.append(f"answer is for id {answered}")
    return Tweet(
        id=tweet_id,
        state="available",
        provider=provider,
        handle=string(user.get("screen_name")),
        user_id=ident(user.get("id_str")),
        author_name=string(user.get("name")),
        text=html.unescape(text) if text is not None else None,
        created_at=_created_at(data.get("created_at"), notes),
        lang=string(data.get("lang")),
        reply_to_id=ident(data.get("in_reply_to_status_id_str")),
        quoted_id=ident(obj(data.get("quoted_tweet")).get("id_str")),
        hashtags=tuple(t for h in items(entities.get("hashtags")) if (t := string(h.get("text")))),
        mentions=tuple(
            t for m in items(entities.get("user_mentions")) if (t := string(m.get("screen_name")))
        ),
        urls=tuple(_urls(entities)),
        media=tuple(_media(data, entities, notes)),
        detail="; ".join(notes) or None,
    )


def _created_at(value: Any, notes: list[str]) -> dt.datetime | None:
    """``2020-10-01T18:42:11.000Z`` as an aware UTC datetime."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        pass
    notes.append(f"unreadable created_at {str(value)[:40]!r}")
    return None


def _urls(entities: dict[str, Any]) -> list[TweetURL]:
    found = []
    for entry in items(entities.get("urls")):
        short = string(entry.get("url"))
        if short:
            found.append(TweetURL(short, string(entry.get("expanded_url")),
                                  string(entry.get("display_url"))))
    return found


def _media(data: dict[str, Any], entities: dict[str, Any], notes: list[str]) -> list[MediaItem]:
    """``mediaDetails`` when present, else the older ``photos``/``video`` summary."""
    if isinstance(data.get("mediaDetails"), list):
        found = [_detail_item(m, notes) for m in items(data["mediaDetails"])]
        return [m for m in found if m is not None]
    short = next((s for m in items(entities.get("media")) if (s := string(m.get("url")))), None)
    found = [_photo(p, short) for p in items(data.get("photos"))]
    video = _summary_video(obj(data.get("video")), short)
    return [m for m in [*found, video] if m is not None]


def _detail_item(entry: dict[str, Any], notes: list[str]) -> MediaItem | None:
    kind = entry.get("type")
    poster = string(entry.get("media_url_https")) or string(entry.get("media_url"))
    size = obj(entry.get("original_info"))
    width, height = number(size.get("width")), number(size.get("height"))
    short = string(entry.get("url"))
    if kind == "photo" and poster:
        photo, mime = original_photo(poster)
        return MediaItem("photo", photo, width, height, mime, short_url=short)
    if kind in ("video", "animated_gif"):
        variants = obj(entry.get("video_info")).get("variants")
        best = best_variant(variants, notes)
        if best:
            return MediaItem(kind, best[0], width, height, best[1], best[2], poster, short)
    notes.append(f"skipped media of type {kind!r} without a usable URL")
    return None


def best_variant(variants: Any, notes: list[str]) -> tuple[str, str, int | None] | None:
    """(url, mime, bitrate) of the highest-bitrate MP4 among unsorted ``variants``.

    The HLS playlist has no bitrate and is kept only when no MP4 exists (so the
    media is still recorded); a note says so.
    """
    mp4 = [(number(v.get("bitrate")), u) for v in items(variants)
           if v.get("content_type") == "video/mp4" and (u := string(v.get("url")))]
    if mp4:
        bitrate, best = max(mp4, key=lambda pair: pair[0] or 0)
        return best, "video/mp4", bitrate
    for v in items(variants):
        u = string(v.get("url"))
        if u and str(v.get("content_type", "")).lower() == _HLS:
            notes.append("no MP4 variant: kept the HLS playlist")
            return u, "application/x-mpegURL", None
    return None


def _photo(entry: dict[str, Any], short: str | None) -> MediaItem | None:
    source = string(entry.get("url"))
    if not source:
        return None
    photo, mime = original_photo(source)
    return MediaItem("photo", photo, number(entry.get("width")), number(entry.get("height")),
                     mime, short_url=short)


_FRAME = re.compile(r"/(\d{1,5})x(\d{1,5})/")


def _summary_video(video: dict[str, Any], short: str | None) -> MediaItem | None:
    """The ``video`` summary: variants are ``{type, src}`` without bitrates.

    The largest frame named in the URL path (``/1280x720/``) stands in for the
    best quality; GIFs have a single variant under ``/tweet_video/``.
    """
    sources = [u for v in items(video.get("variants"))
               if v.get("type") == "video/mp4" and (u := string(v.get("src")))]
    if not sources:
        return None

    def frame(src: str) -> tuple[int, int]:
        m = _FRAME.search(src)
        return (int(m[1]), int(m[2])) if m else (0, 0)

    best = max(sources, key=lambda s: frame(s)[0] * frame(s)[1])
    width, height = frame(best)
    gif = video.get("contentType") in ("gif", "animated_gif") or "/tweet_video/" in best
    return MediaItem("animated_gif" if gif else "video", best, width or None, height or None,
                     "video/mp4", preview_url=string(video.get("poster")), short_url=short)
