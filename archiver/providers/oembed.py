"""The oEmbed service behind "Embed this post": ``publish.twitter.com/oembed``.

Its answer is the same blockquote that news sites paste into articles, so its
text is the text a reader saw: links appear as their visible text
(``pic.twitter.com/…``, ``example.com/story…``), not as t.co URLs. It carries
no exact time, no ids beyond the URL, and no media URLs. Shapes: reference
x-endpoints.md, section 4.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import NavigableString
from bs4.exceptions import ParserRejectedMarkup

from archiver.providers import (
    guarded,
    is_json,
    load_json,
    load_object,
    media_type,
    obj,
    status_problem,
    string,
    unique,
    unreachable,
)
from archiver.providers.tweet import Tweet, TweetURL

PROVIDER = "oembed"
DEFAULT_BASE = "https://publish.twitter.com"

_TCO = re.compile(r"^https?://t\.co/", re.IGNORECASE)
_HANDLE_IN_CREDIT = re.compile(r"\(@(\w{1,50})\)")


def url(base: str, status_url: str) -> str:
    """The oEmbed URL for a status page; ``base`` is usually ``DEFAULT_BASE``.

    ``omit_script`` keeps widgets.js out of the html; ``dnt`` asks for no tracking.
    """
    query = urlencode({"url": status_url, "omit_script": "1", "dnt": "true"})
    return f"{base.rstrip('/')}/oembed?{query}"


def parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    """What an oEmbed answer says about ``tweet_id``; never raises."""
    return guarded(PROVIDER, tweet_id, lambda: _parse(tweet_id, status, content_type, body))


def _parse(tweet_id: str, status: int, content_type: str | None, body: bytes) -> Tweet:
    if status == 404:
        return Tweet(tweet_id, "not_found", PROVIDER,
                     detail="404: deleted or never existed (oEmbed does not tell which)")
    if status == 403:
        said = _error_text(content_type, body) or "not authorized"
        return Tweet(tweet_id, "protected", PROVIDER,
                     detail=f"403: {said} (oEmbed also answers 403 for tweets of deleted "
                            "and possibly suspended accounts)")
    if status != 200:
        said = _error_text(content_type, body)
        return unreachable(tweet_id, PROVIDER,
                           status_problem(status, content_type) + (f": {said}" if said else ""))
    if not is_json(content_type):
        kind = media_type(content_type) or "none"
        return unreachable(tweet_id, PROVIDER, f"unexpected content type {kind} with status 200")
    data, error = load_object(body)
    if error:
        return unreachable(tweet_id, PROVIDER, error)
    markup = string(data.get("html"))
    if not markup:
        return unreachable(tweet_id, PROVIDER, "oEmbed answer without html")
    return _from_html(tweet_id, data, markup)


def _error_text(content_type: str | None, body: bytes) -> str:
    """The message of a JSON error body: ``error``, or the first of ``errors``."""
    if not is_json(content_type):
        return ""
    value, _ = load_json(body)
    data = obj(value)
    message = string(data.get("error"))
    if message is None and isinstance(data.get("errors"), list) and data["errors"]:
        message = string(obj(data["errors"][0]).get("message"))
    return (message or "")[:200]


def _from_html(tweet_id: str, data: dict[str, Any], markup: str) -> Tweet:
    try:
        soup = BeautifulSoup(markup, "html.parser")
    except ParserRejectedMarkup as exc:
        return unreachable(tweet_id, PROVIDER, f"unparseable oEmbed html: {exc}")
    quote = soup.find("blockquote") or soup
    paragraph = quote.find("p")
    if not isinstance(paragraph, Tag):
        return unreachable(tweet_id, PROVIDER, "oEmbed html without a <p> of tweet text")
    anchors = [a for a in paragraph.find_all("a") if isinstance(a, Tag)]
    credit = _credit(quote)
    date = _date_text(quote)
    return Tweet(
        id=tweet_id,
        state="available",
        provider=PROVIDER,
        handle=_handle(data, credit),
        author_name=string(data.get("author_name")),
        text=visible_text(paragraph),
        lang=string(paragraph.get("lang")) or None,
        hashtags=_tagged(anchors, "#"),
        mentions=_tagged(anchors, "@"),
        urls=tuple(_links(anchors)),
        # The date is the renderer's calendar day, not a time: too coarse for
        # created_at, so it is handed over as words.
        detail=f"date: {date}" if date else "no date in oEmbed html",
    )


def visible_text(node: Tag) -> str:
    """Text as shown: ``<br>`` is a newline, links are their visible text, emoji images
    their ``alt``; entities are already decoded by the HTML parser."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "br":
                parts.append("\n")
            elif child.name == "img":
                parts.append(str(child.get("alt") or ""))
            else:
                parts.append(visible_text(child))
    return "".join(parts)


def _tagged(anchors: list[Tag], sigil: str) -> tuple[str, ...]:
    """Hashtags or mentions: the linked words that start with ``sigil``."""
    wide = {"#": "\uff03", "@": "\uff20"}[sigil]
    words = (a.get_text().strip() for a in anchors)
    return unique(w[1:] for w in words if len(w) > 1 and w[0] in (sigil, wide))


def _links(anchors: list[Tag]) -> list[TweetURL]:
    """t.co links other than media (``pic.twitter.com/…``), with their visible text.

    oEmbed does not give the expanded URL; the visible text may be cut with "…".
    """
    found = []
    for a in anchors:
        href = str(a.get("href") or "")
        shown = a.get_text().strip()
        if _TCO.match(href) and not shown.lower().startswith("pic.twitter.com/"):
            found.append(TweetURL(short=href, expanded=None, display=shown or None))
    return found


def _credit(quote: Tag) -> str:
    """The "— Name (@handle)" text between the paragraph and the date link."""
    return " ".join(str(c) for c in quote.children
                    if isinstance(c, NavigableString) and not isinstance(c, Comment))


def _date_text(quote: Tag) -> str | None:
    """The visible text of the last link after the paragraph ("October 1, 2020")."""
    links = [a for a in quote.find_all("a", recursive=False) if isinstance(a, Tag)]
    return (links[-1].get_text().strip() or None) if links else None


def _handle(data: dict[str, Any], credit: str) -> str | None:
    """From ``author_url`` (the current handle), else from the "(@handle)" credit."""
    author_url = string(data.get("author_url"))
    if author_url:
        try:
            path = urlsplit(author_url).path.strip("/")
        except ValueError:  # e.g. an unbalanced "[" in the host
            path = ""
        if path and "/" not in path:
            return path
    found = _HANDLE_IN_CREDIT.search(credit)
    return found[1] if found else None
