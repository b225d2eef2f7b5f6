"""Tweet providers: pure URL builders and parsers of answers already fetched.

Each module (``syndication``, ``oembed``, ``fxtwitter``, ``wayback``) knows one
service: how to ask it (a URL) and what its answer means (a ``Tweet``). None of
them touches the network or the clock, so every branch is testable with bytes.

The helpers below are shared by those modules. They live here rather than in a
private module only because this package's file list is fixed; they are small
and have no imports from the sibling modules, so importing the package never
cycles. Parsers turn an answer they cannot understand into an "unreachable"
Tweet whose ``detail`` says why; they never raise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from archiver.detect.entities import hashtags_and_mentions
from archiver.providers.tweet import MEDIA_KINDS, TWEET_STATES, MediaItem, Tweet, TweetURL

__all__ = ["MEDIA_KINDS", "TWEET_STATES", "MediaItem", "Tweet", "TweetURL"]

# Errors a parser may hit on a shape it did not foresee. They become an
# "unreachable" Tweet (with the error in detail) instead of crashing a batch.
PARSER_BUGS = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)


def unreachable(tweet_id: str, provider: str, detail: str) -> Tweet:
    """The answer says nothing about the tweet: retry later; ``detail`` says why."""
    return Tweet(id=tweet_id, state="unreachable", provider=provider, detail=detail)


def guarded(provider: str, tweet_id: str, parse: Callable[[], Tweet]) -> Tweet:
    """Run ``parse``; a crash on an unforeseen shape is recorded, not raised.

    The detail starts with "parser error" so tests (and people) can tell this
    safety net from a deliberate verdict.
    """
    try:
        return parse()
    except PARSER_BUGS as exc:
        return unreachable(tweet_id, provider, f"parser error: {type(exc).__name__}: {exc}")


def media_type(content_type: str | None) -> str:
    """The bare, lower-case media type of a Content-Type header ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type announces JSON (react-tweet parses only then)."""
    kind = media_type(content_type)
    return kind in ("application/json", "text/json") or kind.endswith("+json")


def load_json(body: bytes) -> tuple[Any, str | None]:
    """Decode a JSON body: (value, None), or (None, what was wrong)."""
    try:
        return json.loads(body), None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return None, f"malformed JSON: {type(exc).__name__}: {str(exc)[:120]}"


def load_object(body: bytes) -> tuple[dict[str, Any], str | None]:
    """Decode a body that must be a JSON object: (object, None) or ({}, reason)."""
    value, error = load_json(body)
    if error:
        return {}, error
    if not isinstance(value, dict):
        return {}, f"malformed JSON: expected an object, got {type(value).__name__}"
    return value, None


def status_problem(status: int, content_type: str | None) -> str:
    """Words for an HTTP status that carries no verdict about the tweet."""
    if status == 429:
        what = "rate limited (429)"
    elif 500 <= status <= 599:
        what = f"server error {status}"
    else:
        what = f"unexpected status {status}"
    return f"{what}, content type {media_type(content_type) or 'none'}"


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (absent and wrong look alike)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array; anything else in it is skipped."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def number(value: Any) -> int | None:
    """An integer from a JSON number (not a bool, not NaN, not a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) and abs(value) < 2**63 else None


def ident(value: Any) -> str | None:
    """A decimal id, whether the JSON wrote it as a string or a number."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    n = number(value)
    return str(n) if n is not None and n >= 0 and not isinstance(value, float) else None


def from_unix(seconds: Any) -> dt.datetime | None:
    """A UTC datetime from Unix seconds; None if it is not a plausible number."""
    n = number(seconds)
    if n is None:
        return None
    try:
        return dt.datetime.fromtimestamp(n, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


_PBS_MEDIA = re.compile(
    r"^https?://pbs\.twimg\.com/media/(?P<key>[A-Za-z0-9_-]+)"
    r"(?:\.(?P<ext>[A-Za-z0-9]+)(?::[a-z0-9]+)?|\?(?P<query>[^#]*))$"
)
_IMAGE_MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "gif": "image/gif"}


def original_photo(url: str) -> tuple[str, str | None]:
    """The original-size form of a pbs.twimg.com photo URL, and its mime type.

    ``.../media/KEY.jpg`` (or ``KEY.jpg:large``, ``KEY?format=jpg&name=small``)
    becomes ``https://pbs.twimg.com/media/KEY?format=jpg&name=orig``: without a
    size the server returns "medium", which is not the photo as posted. Other
    URLs (card images, unknown hosts) are returned unchanged.
    """
    m = _PBS_MEDIA.match(url)
    if not m:
        return url, None
    ext = m["ext"]
    if ext is None:
        found = re.search(r"(?:^|&)format=([A-Za-z0-9]+)", m["query"] or "")
        if not found:
            return url, None
        ext = found[1]
    ext = ext.lower()
    return f"https://pbs.twimg.com/media/{m['key']}?format={ext}&name=orig", _IMAGE_MIME.get(ext)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, without repeats."""
    return tuple(dict.fromkeys(values))


def hashtags_in(text: str | None) -> tuple[str, ...]:
    """Hashtags (without '#') of a text whose service gave no entities, by Twitter's own
    rules (twitter-text, as detection reads quotes: one rule for both)."""
    return hashtags_and_mentions(text or "")[0]


def mentions_in(text: str | None) -> tuple[str, ...]:
    """Mentioned handles (without '@') of a text whose service gave no entities."""
    return hashtags_and_mentions(text or "")[1]
