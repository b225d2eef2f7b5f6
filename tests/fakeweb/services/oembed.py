"""publish.x.com/oembed (and the publish.twitter.com redirect), reference section 4.

The same blockquote markup is what news articles embed, so ``blockquote`` also
renders the 2020-style embeds of the fake article pages.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from urllib.parse import unquote

from tests.fakeweb.data import FakeData, Tweet
from tests.fakeweb.entities import entities
from tests.fakeweb.wire import Request, Response, json_response, not_found, redirect

_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:#!/)?(?:(\w{1,15})|i/web)"
    r"/status(?:es)?/(\d{1,25})(?:[/?#].*)?$", re.IGNORECASE)
_RTL = {"ar", "he", "iw", "fa", "ur"}
SCRIPT = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
REF = "ref_src=twsrc%5Etfw"


def _esc(text: str) -> str:
    return htmllib.escape(text, quote=True).replace("&#x27;", "&#39;")


def long_date(when: dt.datetime) -> str:
    """``October 1, 2020`` in UTC (renderer's zone; UTC in practice, UNCONFIRMED)."""
    when = when.astimezone(dt.UTC)
    return f"{when:%B} {when.day}, {when.year}"


def paragraph(tweet: Tweet, data: FakeData) -> str:
    """Inner HTML of the ``<p>``: escaped text with hashtag, mention, URL and media anchors.

    URL anchors show the t.co URL itself (the form our seed article kept when
    flattened); media anchors show ``pic.twitter.com/<code>``.
    """
    out, pos = [], 0
    for ent in entities(tweet, data):
        out.append(_esc(tweet.text[pos:ent.start]))
        if ent.kind == "hashtag":
            out.append(f'<a href="https://twitter.com/hashtag/{ent.value}?src=hash&amp;{REF}">'
                       f"#{ent.value}</a>")
        elif ent.kind == "mention":
            out.append(f'<a href="https://twitter.com/{ent.value}?{REF}">@{ent.value}</a>')
        elif ent.kind == "media":
            out.append(f'<a href="{ent.value}">{ent.display}</a>')
        else:
            out.append(f'<a href="{ent.value}">{ent.value}</a>')
        pos = ent.end
    out.append(_esc(tweet.text[pos:]))
    return "".join(out).replace("\n", "<br>")


def blockquote(tweet: Tweet, data: FakeData, host: str = "x.com", handle: str | None = None,
               name: str | None = None, attrs: str = "") -> str:
    """``<blockquote class="twitter-tweet">…&mdash; Name (@handle) <a>Month D, YYYY</a>``."""
    user = data.author(tweet)
    handle = handle or user.screen_name
    name = name or user.name
    direction = "rtl" if tweet.lang in _RTL else "ltr"
    return (f'<blockquote class="twitter-tweet"{attrs}><p lang="{tweet.lang}" dir="{direction}">'
            f"{paragraph(tweet, data)}</p>&mdash; {_esc(name)} (@{handle}) "
            f'<a href="https://{host}/{handle}/status/{tweet.id}?{REF}">'
            f"{long_date(tweet.created_at)}</a></blockquote>")


def to_x(req: Request, data: FakeData) -> Response:
    """publish.twitter.com/* -> 301 to publish.x.com with the same query (2026 notes)."""
    return redirect(f"https://publish.x.com{req.target}", 301)


def _attrs(req: Request) -> tuple[str, int]:
    """Blockquote data-* attributes from the documented parameters, and the width."""
    attrs = []
    width = 550
    if req.arg("maxwidth"):
        try:
            width = max(220, min(550, int(req.arg("maxwidth") or "550")))
        except ValueError:
            width = 550
        attrs.append(f' data-width="{width}"')
    flags = {"hide_media": ' data-cards="hidden"', "hide_thread": ' data-conversation="none"'}
    for name, attr in flags.items():
        if req.arg(name) in ("1", "true"):
            attrs.append(attr)
    for name in ("theme", "lang", "align", "link_color"):
        if req.arg(name):
            attrs.append(f' data-{name.replace("_", "-")}="{_esc(req.arg(name) or "")}"')
    if req.arg("dnt") in ("1", "true"):
        attrs.append(' data-dnt="true"')
    return "".join(attrs), width


def oembed(req: Request, data: FakeData) -> Response:
    if req.path not in ("/oembed", "/oembed.json"):
        return not_found()
    url = req.arg("url")
    if not url:
        return json_response(400, {"errors": [{"code": 357,
                                               "message": "url: queryParam is required"}]})
    match = _STATUS_URL.match(url)
    if not match:
        return not_found()  # off-domain url=: 404 HTML
    tweet_id = match.group(2)
    state = data.state(tweet_id)
    if state == "protected":
        body = {"error": "Sorry, you are not authorized to see this status.",
                "request": "/oembed?" + unquote(req.raw_query)}
        return json_response(403, body, escape_slashes=True)
    if state not in ("available", "withheld"):
        # deleted, never existed, suspended author (403 or 404 UNCONFIRMED; 404 chosen).
        return not_found()
    # withheld: 200, as seen from outside the withholding country (UNCONFIRMED).
    tweet = data.tweets[tweet_id]
    user = data.author(tweet)
    attrs, width = _attrs(req)
    script = "" if req.arg("omit_script") in ("1", "true") else "\n" + SCRIPT
    # UNCONFIRMED: the modern html ends "\n\n"; the script (when present) sits before that.
    markup = blockquote(tweet, data, attrs=attrs) + script + "\n\n"
    body = {"url": f"https://x.com/{user.screen_name}/status/{tweet.id}",
            "author_name": user.name, "author_url": f"https://x.com/{user.screen_name}",
            "html": markup, "width": width, "height": None, "type": "rich",
            "cache_age": "3153600000", "provider_name": "X", "provider_url": "https://x.com",
            "version": "1.0"}
    return json_response(200, body, [("cache-control", "must-revalidate, max-age=3153600000")],
                         content_type="application/json")
