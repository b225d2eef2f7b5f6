"""Tweet embed markup -> what the embed says about the cited tweet.

Recognised: ``blockquote.twitter-tweet`` and ``.twitter-video`` (oEmbed output,
inside any wrapper such as WordPress ``figure.wp-block-embed-twitter``),
``amp-twitter``, and embeds scraped after widgets.js ran (a
``twitter-tweet-rendered`` box or an iframe of platform.twitter.com/embed).
Share buttons, follow buttons and timelines are different classes and are
never read as citations.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from archiver.detect.dates import parse_tweet_date
from archiver.detect.entities import hashtags_and_mentions  # noqa: F401 (its callers import it here)
from archiver.detect.links import is_entity_link, normalize_url, parse_status_url

EMBED_CLASSES = frozenset({"twitter-tweet", "twitter-video"})
_ATTRIBUTION = re.compile(r"(?:—|–|&mdash;|--)\s*(?P<name>.*?)\s*\(\s*@(?P<handle>\w{1,15})\s*\)")
_ID_ATTRS = ("data-tweet-id", "data-tweetid", "data-id")


@dataclass(frozen=True)
class EmbedInfo:
    handle: str | None
    author_name: str | None
    date_text: str | None
    text: str
    lang: str | None
    tweet_id: str | None
    status_url: str | None
    links: tuple[str, ...]
    status_in_markup: bool = False  # the status URL is a link in the markup

    @property
    def date(self) -> dt.date | None:
        return parse_tweet_date(self.date_text, lang=self.lang) if self.date_text else None


def _classes(tag: Tag) -> set[str]:
    value: object = tag.get("class") or []
    return set(value if isinstance(value, list) else str(value).split())


def _iframe_tweet_id(tag: Tag) -> str | None:
    for attr in _ID_ATTRS:
        value = tag.get(attr)
        if isinstance(value, str) and value.strip().isdigit():
            return value.strip()
    src = tag.get("src")
    if isinstance(src, str) and "platform.twitter.com/embed" in src:
        ids = parse_qs(src.partition("?")[2].partition("#")[0]).get("id")
        if ids and ids[0].isdigit():
            return ids[0]
    return None


def is_embed(tag: Tag) -> bool:
    """True for the outermost element of one tweet embed."""
    if tag.name == "amp-twitter":
        return True
    classes = _classes(tag)
    if tag.name == "blockquote" and classes & EMBED_CLASSES:
        return not _inside_embed(tag)
    if "twitter-tweet-rendered" in classes:
        return not _inside_embed(tag)
    if tag.name == "iframe" and _iframe_tweet_id(tag):
        return not _inside_embed(tag)
    return False


def _inside_embed(tag: Tag) -> bool:
    for parent in tag.parents:
        if not isinstance(parent, Tag):
            continue
        if parent.name == "amp-twitter" or "twitter-tweet-rendered" in _classes(parent):
            return True
        if parent.name == "blockquote" and _classes(parent) & EMBED_CLASSES:
            return True
    return False


def find_embeds(root: Tag | BeautifulSoup) -> list[Tag]:
    """The outermost element of each embed under ``root``, in document order."""
    return [t for t in root.find_all(True) if is_embed(t)]


def _text_with_breaks(tag: Tag) -> str:
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, NavigableString):
            if not isinstance(node.parent, Tag) or node.parent.name not in ("script", "style"):
                parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "br":
            parts.append("\n")
    lines = [re.sub(r"\s+", " ", line).strip() for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def parse_embed(tag: Tag) -> EmbedInfo:
    """Read one embed. Missing parts are None, never guessed."""
    quote = tag
    if tag.name != "blockquote":
        inner = tag.find("blockquote")
        quote = inner if isinstance(inner, Tag) else tag
    tweet_id = _iframe_tweet_id(tag) if tag.name in ("iframe", "amp-twitter") else None
    if tweet_id is None:
        for candidate in [tag, *tag.find_all(True)]:
            tweet_id = _iframe_tweet_id(candidate)
            if tweet_id:
                break

    para = quote.find("p")
    text = _text_with_breaks(para) if isinstance(para, Tag) else ""
    lang = para.get("lang") if isinstance(para, Tag) else None
    lang = lang if isinstance(lang, str) and lang.strip() else None

    status_url = date_text = status_href = None
    links: list[str] = []
    for a in quote.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not href.startswith(("http://", "https://", "//")) and not href.startswith(
            ("pic.twitter.com", "t.co")
        ):
            continue
        inside_text = isinstance(para, Tag) and para in a.parents
        if inside_text:
            if not is_entity_link(href):
                links.append(normalize_url(href))
            continue
        parsed = parse_status_url(href)
        if parsed:
            status_href = None if a.has_attr("data-archiver-synthetic") else href
            status_url = normalize_url(href)
            date_text = a.get_text(" ", strip=True) or None
            if tweet_id is None:
                tweet_id = parsed[1]
    handle = author_name = None
    tail = _attribution_text(quote, para)
    match = _ATTRIBUTION.search(tail)
    if match:
        handle = match.group("handle")
        author_name = match.group("name").strip() or None
    if status_url:
        parsed = parse_status_url(status_url)
        if parsed and handle is None:
            handle = parsed[0]
    elif tweet_id:
        owner = handle.lower() if handle else "i/web"
        status_url = f"https://twitter.com/{owner}/status/{tweet_id}"
    return EmbedInfo(
        handle=handle,
        author_name=author_name,
        date_text=date_text,
        text=text,
        lang=lang,
        tweet_id=tweet_id,
        status_url=status_url,
        links=tuple(dict.fromkeys(links)),
        status_in_markup=status_href is not None,
    )


def _attribution_text(quote: Tag, para: Tag | None) -> str:
    """The text of the embed outside its quote paragraph: '— Name (@handle) Date'."""
    parts: list[str] = []
    for node in quote.descendants:
        if isinstance(node, NavigableString):
            if para is not None and para in node.parents:
                continue
            parts.append(str(node))
    return re.sub(r"\s+", " ", "".join(parts)).strip()
