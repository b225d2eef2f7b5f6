"""The Wayback Machine: finding captures of a tweet and reading them.

The Availability and CDX APIs answer questions about the archive, not about a
tweet, so their parsers raise ``WaybackError`` on an answer they cannot read
(the caller records the cause); only ``parse_status_capture`` returns a Tweet.
A capture shows the tweet as it was then, never its current state, so that
Tweet is either "available" or "unreachable". Shapes: x-endpoints.md, section 7.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import NavigableString
from bs4.exceptions import ParserRejectedMarkup

from archiver.errors import WaybackError
from archiver.providers import (
    from_unix,
    fxtwitter,
    guarded,
    ident,
    is_json,
    load_json,
    load_object,
    media_type,
    number,
    original_photo,
    status_problem,
    string,
    syndication,
    unique,
    unreachable,
)
from archiver.providers.tweet import MediaItem, Tweet, TweetURL

PROVIDER = "wayback"
DEFAULT_BASE = "https://archive.org"  # Availability API
DEFAULT_CDX_BASE = "https://web.archive.org"  # CDX API and replays
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")

_TIMESTAMP = re.compile(r"[0-9]{1,14}")
_STATUS_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:twitter\.com|x\.com)(?::\d+)?"
    r"/(?P<handle>\w{1,50})/status(?:es)?/(?P<id>[0-9]{1,20})/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_TCO = re.compile(r"^https?://t\.co/", re.IGNORECASE)
_REPLAY_PREFIX = re.compile(r"^(?:https?://web\.archive\.org)?/web/[0-9]{1,14}[a-z_]*/")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


@dataclass(frozen=True)
class Snapshot:
    url: str  # replay URL, as the Availability API wrote it
    timestamp: str  # 1-14 digits, usually 14
    status: str | None  # the captured HTTP status, a string ("200")


@dataclass(frozen=True)
class CdxRow:
    """One capture; all fields are the CDX server's strings ("-" for revisit status)."""

    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str  # compressed WARC record size, not the body size


# --- Availability API -------------------------------------------------------


def availability_url(base: str, url: str, timestamp: str | None = None) -> str:
    """``{base}/wayback/available?url=…[&timestamp=…]``; ``base`` usually ``DEFAULT_BASE``."""
    params = {"url": url}
    if timestamp is not None:
        params["timestamp"] = _checked_timestamp(timestamp)
    return f"{base.rstrip('/')}/wayback/available?{urlencode(params)}"


def parse_availability(status: int, content_type: str | None, body: bytes) -> Snapshot | None:
    """The closest capture, or None when the archive has none.

    Raises WaybackError when the answer is not a readable Availability answer.
    """
    if status != 200:
        raise WaybackError(status_problem(status, content_type))
    data, error = load_object(body)
    if error:
        raise WaybackError(error)
    snapshots = data.get("archived_snapshots")
    if not isinstance(snapshots, dict):
        raise WaybackError("no archived_snapshots object")
    closest = snapshots.get("closest")
    if closest in (None, {}) or (isinstance(closest, dict) and closest.get("available") is False):
        return None
    if not isinstance(closest, dict):
        raise WaybackError("closest is not an object")
    url, timestamp = string(closest.get("url")), string(closest.get("timestamp"))
    if not url or not timestamp:
        raise WaybackError("closest snapshot without url or timestamp")
    return Snapshot(url, timestamp, string(closest.get("status")))


# --- CDX API ----------------------------------------------------------------


def cdx_url(
    base: str,
    url_prefix: str,
    *,
    from_ts: str | None = None,
    to_ts: str | None = None,
    limit: int | None = None,
    filters: Iterable[str] = (),
    collapse: str | None = None,
) -> str:
    """A prefix query returning JSON rows of ``CDX_FIELDS``; ``base`` usually
    ``DEFAULT_CDX_BASE``. ``filters`` are ``[!]field:regex`` strings."""
    params: list[tuple[str, str]] = [
        ("url", url_prefix), ("matchType", "prefix"), ("output", "json"),
        ("fl", ",".join(CDX_FIELDS)),
    ]
    if from_ts is not None:
        params.append(("from", _checked_timestamp(from_ts)))
    if to_ts is not None:
        params.append(("to", _checked_timestamp(to_ts)))
    if limit is not None:
        params.append(("limit", str(int(limit))))
    params.extend(("filter", f) for f in filters)
    if collapse is not None:
        params.append(("collapse", collapse))
    return f"{base.rstrip('/')}/cdx/search/cdx?{urlencode(params, safe='/:,!', quote_via=quote)}"


def parse_cdx(status: int, content_type: str | None, body: bytes) -> list[CdxRow]:
    """Rows of a JSON CDX answer; ``[]`` when there are none.

    The first row is the header (fields are mapped by it, not by position). A
    resume-key tail (an empty row, then ``["key"]``) ends the rows. An empty
    body also means no rows (the plain-text output's way of saying so). Raises
    WaybackError for a non-200 status or a body that is not such a table.
    """
    if status != 200:
        raise WaybackError(status_problem(status, content_type))
    if not body.strip():
        return []
    table, error = load_json(body)
    if error:
        raise WaybackError(error)
    if not isinstance(table, list):
        raise WaybackError(f"CDX answer is a {type(table).__name__}, not an array")
    if not table:
        return []
    header = table[0]
    if not _strings(header) or not set(CDX_FIELDS) <= set(header):
        raise WaybackError(f"CDX header row lacks fields: {str(header)[:120]}")
    rows = []
    for row in table[1:]:
        if row == []:
            break  # the resume key follows
        if not _strings(row) or len(row) != len(header):
            raise WaybackError(f"malformed CDX row: {str(row)[:120]}")
        fields = dict(zip(header, row, strict=True))
        rows.append(CdxRow(**{name: fields[name] for name in CDX_FIELDS}))
    return rows


def _strings(row: Any) -> bool:
    return isinstance(row, list) and all(isinstance(v, str) for v in row)


def _checked_timestamp(value: str) -> str:
    if not _TIMESTAMP.fullmatch(value):
        raise ValueError(f"not a Wayback timestamp (1-14 digits): {value!r}")
    return value


def raw_url(base: str, timestamp: str, original: str) -> str:
    """The replay of the archived bytes themselves (``id_``: no toolbar, no rewriting)."""
    return f"{base.rstrip('/')}/web/{_checked_timestamp(timestamp)}id_/{original}"


def status_ids(rows: Iterable[CdxRow], handle: str) -> list[tuple[str, str, str]]:
    """(tweet_id, timestamp, original) of ``handle``'s status pages, one per tweet.

    Accepts twitter.com, www., mobile. and x.com originals, with a port, a
    trailing slash, a query or ``/statuses/``; not sub-pages such as
    ``/photo/1``. Handles compare case-insensitively. Only 200 captures count;
    the earliest is kept. Sorted by tweet id.
    """
    wanted = handle.lstrip("@").lower()
    best: dict[str, tuple[str, str]] = {}
    for row in rows:
        m = _STATUS_URL.match(row.original)
        if not m or m["handle"].lower() != wanted or row.statuscode != "200":
            continue
        tweet_id = m["id"].lstrip("0") or "0"
        seen = best.get(tweet_id)
        if seen is None or row.timestamp.ljust(14, "0") < seen[0].ljust(14, "0"):
            best[tweet_id] = (row.timestamp, row.original)
    return [(i, *best[i]) for i in sorted(best, key=int)]


_JSON_COPY = re.compile(
    r"^(?:https?://)?(?:"
    r"cdn\.syndication\.twimg\.com(?::\d+)?/tweet-result\?(?:[^#]*&)?id=(?P<synd>[0-9]{1,20})(?:[&#]|$)"
    r"|api\.fxtwitter\.com(?::\d+)?/(?:2/)?(?:\w{1,50}/)?status/(?P<fx>[0-9]{1,20})(?:[/?#]|$))",
    re.IGNORECASE,
)


def json_prefixes(tweet_id: str, handle: str | None = None) -> list[str]:
    """CDX prefixes of the archived JSON answers about one tweet.

    The syndication key is SURT-sorted by argument name; ``id`` is first unless
    the crawler sent ``features=`` (rare for archived copies, UNCONFIRMED)."""
    prefixes = [f"cdn.syndication.twimg.com/tweet-result?id={tweet_id}",
                f"api.fxtwitter.com/status/{tweet_id}"]
    if handle:
        prefixes.append(f"api.fxtwitter.com/{handle}/status/{tweet_id}")
    return prefixes


def json_capture_id(original: str) -> str | None:
    """The tweet id a captured syndication or FxTwitter API URL asks about, or None."""
    found = _JSON_COPY.match(original.strip())
    if not found:
        return None
    return (found["synd"] or found["fx"]).lstrip("0") or "0"


# --- captures of a status ---------------------------------------------------


def parse_status_capture(tweet_id: str, status: int, content_type: str | None,
                         body: bytes) -> Tweet:
    """A raw capture of a status page, or of a syndication/FxTwitter answer; never raises."""
    return guarded(PROVIDER, tweet_id, lambda: _capture(tweet_id, status, content_type, body))


def _capture(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    if status != 200:
        return unreachable(tweet_id, PROVIDER, status_problem(status, content_type))
    if is_json(content_type) or body.lstrip()[:1] == b"{":
        return _from_json(tweet_id, body)
    kind = media_type(content_type)
    if kind not in _HTML_TYPES:
        return unreachable(tweet_id, PROVIDER, f"unexpected content type {kind}")
    if b"<" not in body:
        return unreachable(tweet_id, PROVIDER, "capture has no HTML markup")
    try:
        soup = BeautifulSoup(body, "lxml")
    except ParserRejectedMarkup as exc:
        return unreachable(tweet_id, PROVIDER, f"unparseable HTML: {exc}")
    return _from_html(tweet_id, soup)


def _from_json(tweet_id: str, body: bytes) -> Tweet:
    """An archived API answer: delegated to the parser of the service that gave it."""
    data, error = load_object(body)
    if error:
        return unreachable(tweet_id, PROVIDER, error)
    if "__typename" in data:
        source, found = "syndication", syndication.parse_object(tweet_id, data, PROVIDER)
    elif "code" in data or "tweet" in data:
        code, source = number(data.get("code")), "fxtwitter"
        found = fxtwitter.parse_object(tweet_id, data, 200 if code is None else code, PROVIDER)
    else:
        return unreachable(tweet_id, PROVIDER, "archived JSON is no syndication or FxTwitter answer")
    if found.state != "available" or found.text is None:
        said = f": {found.detail}" if found.detail else ""
        return unreachable(tweet_id, PROVIDER, f"archived {source} answer: {found.state}{said}")
    detail = "; ".join(filter(None, [f"from an archived {source} answer", found.detail]))
    return replace(found, detail=detail)


def _from_html(tweet_id: str, soup: BeautifulSoup) -> Tweet:
    node = soup.find(lambda t: t.get("data-tweet-id") == tweet_id)
    if isinstance(node, Tag):
        paragraph = node.find("p", class_="tweet-text") or node.find(class_="js-tweet-text")
        if isinstance(paragraph, Tag):
            return _from_tweet_node(tweet_id, node, paragraph)
    mobile = soup.find(lambda t: t.get("data-id") == tweet_id and "tweet-text" in _classes(t))
    if isinstance(mobile, Tag):
        username = soup.select_one(".main-tweet .username")
        handle = username.get_text().strip().lstrip("@") if username else None
        return _tweet(tweet_id, mobile, handle=handle or None, detail="old mobile page")
    return _from_meta(tweet_id, soup)


def _from_tweet_node(tweet_id: str, node: Tag, paragraph: Tag) -> Tweet:
    """The twitter.com page of 2010-2020: a ``div.tweet`` with data attributes."""
    # name=None spelled out: bs4's overloads take attrs alone only with it (its default)
    stamp = node.find(class_="_timestamp") or node.find(None, {"data-time": True})
    quoted = node.find(class_="QuoteTweet-innerContainer")
    images = node.find_all(None, {"data-image-url": True})
    photos = [original_photo(_unreplayed(url)) for p in images
              if isinstance(p, Tag) and p.find_parent(class_="QuoteTweet") is None
              and (url := _attr(p, "data-image-url"))]
    return _tweet(
        tweet_id, paragraph,
        handle=_attr(node, "data-screen-name"),
        user_id=ident(_attr(node, "data-user-id")),
        author_name=_attr(node, "data-name"),
        created_at=_unix_attr(stamp, "data-time"),
        quoted_id=ident(_attr(quoted, "data-item-id")),
        photos=[MediaItem("photo", u, mime=m) for u, m in dict.fromkeys(photos)],
    )


def _tweet(tweet_id: str, paragraph: Tag, *, photos: list[MediaItem] | None = None,
           **known: Any) -> Tweet:
    links: list[TweetURL] = []
    media_links: list[str] = []
    text = _capture_text(paragraph, links, media_links).strip()
    short = media_links[0] if media_links else None
    anchors = [a for a in paragraph.find_all("a") if isinstance(a, Tag)]
    return Tweet(
        id=tweet_id, state="available", provider=PROVIDER, text=text,
        lang=_attr(paragraph, "lang"),
        hashtags=_linked(anchors, "twitter-hashtag", "#"),
        mentions=_linked(anchors, "twitter-atreply", "@"),
        urls=tuple(links),
        media=tuple(replace(p, short_url=short) for p in photos or []),
        **known,
    )


def _capture_text(node: Tag, links: list[TweetURL], media_links: list[str]) -> str:
    """Tweet text with t.co links as tweeted (their href), ``<br>`` as newline, emoji
    images as their ``alt``. A hidden media link gets the space the page left out."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "img":
            parts.append(str(child.get("alt") or ""))
        elif child.name == "a" and _TCO.match(href := _unreplayed(_attr(child, "href") or "")):
            shown = child.get_text().strip()
            if "u-hidden" in _classes(child) or shown.lower().startswith("pic.twitter.com/"):
                media_links.append(href)
                if parts and parts[-1][-1:] and not parts[-1][-1:].isspace():
                    parts.append(" ")
            else:
                display = child.find(class_="js-display-url")
                expanded = _attr(child, "data-expanded-url") or _attr(child, "data-url")
                links.append(TweetURL(href, expanded,
                                      display.get_text() if display else shown or None))
            parts.append(href)
        else:
            parts.append(_capture_text(child, links, media_links))
    return "".join(parts)


def _from_meta(tweet_id: str, soup: BeautifulSoup) -> Tweet:
    """Last resort: ``og:description`` ("“TEXT”"), trusted only on the page of this tweet."""
    page = _meta(soup, "og:url") or _attr(soup.find("link", rel="canonical"), "href") or ""
    found = _STATUS_URL.match(_unreplayed(page))
    description = _meta(soup, "og:description")
    if found and (found["id"].lstrip("0") or "0") == tweet_id.lstrip("0") and description:
        title = _meta(soup, "og:title") or ""
        return Tweet(
            id=tweet_id, state="available", provider=PROVIDER,
            text=description.strip().removeprefix("\u201c").removesuffix("\u201d"),
            handle=found["handle"],
            author_name=title.removesuffix(" on Twitter").removesuffix(" on X") or None,
            detail="text from og:description",
        )
    title = soup.title.get_text().strip()[:80] if soup.title else ""
    return unreachable(tweet_id, PROVIDER,
                       f"no tweet text in the archived page (title {title!r})")


def _linked(anchors: list[Tag], css_class: str, sigil: str) -> tuple[str, ...]:
    words = (a.get_text().strip() for a in anchors if css_class in _classes(a))
    return unique(w.lstrip(sigil) for w in words if w.lstrip(sigil))


def _meta(soup: BeautifulSoup, name: str) -> str | None:
    tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
    return _attr(tag, "content")


def _unix_attr(tag: Any, name: str) -> dt.datetime | None:
    """A ``data-time`` attribute (Unix seconds) as a UTC datetime."""
    value = ident(_attr(tag, name))
    return from_unix(int(value)) if value and len(value) <= 12 else None


def _attr(tag: Any, name: str) -> str | None:
    """An attribute as one string (bs4 gives lists for multi-valued ones), or None."""
    if not isinstance(tag, Tag):
        return None
    value = tag.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return value if isinstance(value, str) else None


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    return value if isinstance(value, list) else str(value or "").split()


def _unreplayed(href: str) -> str:
    """A link as the page had it before Wayback rewrote it to ``/web/<ts>/…``."""
    return _REPLAY_PREFIX.sub("", href)

