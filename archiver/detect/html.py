"""HTML -> metadata and the main text as paragraphs, embeds kept in place.

We walk the DOM ourselves instead of handing it to a general extractor
(trafilatura drops tweet embeds, and on short pages falls back to one flat
paragraph, which loses the positions citations need). Boilerplate is left out
by element (nav, aside, footer, forms) and by class/id words (share, related,
comments, newsletter, ...); an element that holds an embed is kept unless it is
a comment section, since a social wrapper around a tweet is still the article.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, Tag
from bs4.element import NavigableString, PageElement

from archiver.detect.embeds import find_embeds
from archiver.detect.paragraphs import Anchor, Para, ParaBuilder

SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "button", "input", "select", "textarea", "object", "embed", "nav", "aside", "footer", "form", "dialog", "head", "canvas", "video", "audio", "map"]
)
BLOCK_TAGS = frozenset(
    ["p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "address", "hr", "details", "summary", "amp-twitter", "center"]
)
INLINE_CODE_TAGS = frozenset(["code", "kbd", "samp", "tt"])  # their words hold no link
_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(share|sharing|sharebar|social|related|recommended|comments?|"
    r"newsletter|subscribe|promo|advert|advertisement|ads?|sponsor(?:ed)?|cookies?|"
    r"banner|breadcrumbs?|menu|navbar|nav|navigation|sidebar|footer|masthead|paywall|"
    r"popup|modal|outbrain|taboola|byline-social|author-bio|tags|more-stories|complementary)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
# A container for embedded posts ("social-embed", "embed-card", "oembed") holds
# content, even when its class also says "social": the tweet is the article's.
_EMBED_BOX = re.compile(r"(?:^|[\s_-])o?embed(?:ded)?(?:$|[\s_-])", re.IGNORECASE)
_COMMENTS = re.compile(r"(?:^|[\s_-])(comments?|disqus|replies)(?:$|[\s_-])", re.IGNORECASE)
_ROOT_SELECTORS = ("article", "[itemprop=articleBody]", "main", "[role=main]")


@dataclass(frozen=True)
class HtmlMeta:
    title: str | None
    canonical_url: str | None
    authors: tuple[str, ...]
    published: dt.date | None
    language: str | None
    base_url: str | None


def parse(html: str) -> BeautifulSoup:
    # A document that is only a URL is still a document here, not a mistake.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "lxml")


def _attr_words(tag: Tag) -> str:
    value: object = tag.get("class") or []
    classes = [str(c) for c in value] if isinstance(value, list) else str(value).split()
    return " ".join([*classes, str(tag.get("id") or ""), str(tag.get("role") or "")])


def _choose_root(soup: BeautifulSoup) -> Tag:
    # One walk over the tags for the four selectors of _ROOT_SELECTORS (in their
    # order, each in document order), instead of four CSS selections: soupsieve was
    # 60 % of reading a page's main text, which check does for every changed page.
    found: tuple[list[Tag], ...] = ([], [], [], [])
    for tag in soup.find_all(True):
        attrs = tag.attrs
        if tag.name == "article":
            found[0].append(tag)
        if attrs.get("itemprop") == "articleBody":
            found[1].append(tag)
        if tag.name == "main":
            found[2].append(tag)
        if attrs.get("role") == "main":
            found[3].append(tag)
    candidates = [t for group in found for t in group if not _COMMENTS.search(_attr_words(t))]
    if not candidates:
        return soup.body or soup
    sizes = {id(t): len(t.get_text(" ", strip=True)) for t in candidates}
    best = max(candidates, key=lambda t: sizes[id(t)])
    # Prefer the article inside a <main> that also holds sidebars, when the
    # article carries most of the text.
    for inner in sorted(candidates, key=lambda t: sizes[id(t)], reverse=True):
        if inner is not best and best in inner.parents and sizes[id(inner)] >= 0.6 * sizes[id(best)]:
            best = inner
    return best


class _Walker:
    def __init__(self, root: Tag, embeds: list[Tag], base_url: str | None) -> None:
        self.out = ParaBuilder()
        self.root = root
        self.embed_index = {id(e): i for i, e in enumerate(embeds)}
        self.keep = {id(p) for e in embeds for p in e.parents}
        self.base_url = base_url
        self.groups = 0

    def skip(self, tag: Tag) -> bool:
        if tag.name in SKIP_TAGS or tag.has_attr("hidden"):
            # A pull-out box that holds a tweet is part of the story.
            if (tag.name == "aside" and id(tag) in self.keep
                    and not _BOILERPLATE.search(_attr_words(tag))):
                return False
            return id(tag) not in self.embed_index
        if tag.name == "header" and self.root.name not in ("article",):
            return True
        words = _attr_words(tag)
        if _COMMENTS.search(words):
            return True
        if _BOILERPLATE.search(words) and not _EMBED_BOX.search(words):
            return id(tag) not in self.keep and id(tag) not in self.embed_index
        return False

    def walk(self, tag: Tag) -> None:
        """Every node under ``tag`` in document order, with an explicit stack (a page
        nested thousands of levels deep must not exhaust Python's recursion limit).
        Entering an element may push its children with an action to run after them."""
        stack: list[tuple[Iterator[PageElement], Callable[[], None] | None]] = [
            (iter(tag.children), None)]
        while stack:
            children, on_exit = stack[-1]
            node = next(children, None)
            if node is None:
                stack.pop()
                if on_exit is not None:
                    on_exit()
                continue
            if isinstance(node, Comment):
                continue
            if isinstance(node, NavigableString):
                self.out.add_text(str(node))
                continue
            if not isinstance(node, Tag) or self.skip(node):
                continue
            descend, after = self.enter(node)
            if descend:
                stack.append((iter(node.children), after))

    def enter(self, node: Tag) -> tuple[bool, Callable[[], None] | None]:
        """Start ``node``: whether to walk its children, and what to do after them."""
        index = self.embed_index.get(id(node))
        if index is not None:
            return True, self.embed(index)
        if node.name == "br":
            self.out.line_break()
        elif node.name == "pre":
            self.code(node)
        elif node.name in INLINE_CODE_TAGS:
            start = self.out.offset
            return True, lambda: self.out.add_code_span(start)
        elif node.name == "a" and node.get("href"):
            return True, self.anchor(node)
        elif node.name == "blockquote":
            self.out.block_break()
            saved, self.groups = self.out.quote_group, self.groups + 1
            self.out.quote_group = self.groups

            def close_quote() -> None:
                self.out.block_break()
                self.out.quote_group = saved

            return True, close_quote
        elif node.name in BLOCK_TAGS:
            self.out.block_break()
            return True, self.out.block_break
        elif node.name != "iframe":
            return True, None
        return False, None

    def anchor(self, node: Tag) -> Callable[[], None]:
        start = self.out.offset
        flushed = len(self.out.paras)

        def close() -> None:
            href = str(node["href"]).strip()
            if self.base_url and not href.startswith(("#", "mailto:", "javascript:", "data:")):
                href = _join(self.base_url, href)
            rel = node.get("rel")
            rel_text = " ".join(rel) if isinstance(rel, list) else (str(rel) if rel else None)
            if len(self.out.paras) > flushed:  # a card: the link wraps whole blocks
                first = self.out.paras[flushed]
                first.anchors.append(Anchor(0, len(first.text), href, first.text, rel_text))
                return
            self.out.add_anchor(start, href, rel_text)

        return close

    def code(self, node: Tag) -> None:
        self.out.block_break()
        for line in node.get_text().splitlines():
            if line.strip():
                self.out.add_para(line.rstrip(), code=True)

    def embed(self, index: int) -> Callable[[], None]:
        self.out.block_break()
        before = len(self.out.paras)
        self.out.embed = index

        def close() -> None:
            self.out.block_break()
            self.out.embed = None
            if len(self.out.paras) == before:  # an embed with no text (iframe, amp stub)
                self.out.add_para("", embed=index)

        return close


def extract(soup: BeautifulSoup, base_url: str | None) -> tuple[list[Para], list[Tag]]:
    """The main text's paragraphs, and the embeds inside it, in order."""
    return walk_fragment(_choose_root(soup), base_url)


def walk_fragment(root: Tag, base_url: str | None = None) -> tuple[list[Para], list[Tag]]:
    """Paragraphs of everything under ``root`` (boilerplate left out), and its embeds."""
    embeds = find_embeds(root)
    walker = _Walker(root, embeds, base_url)
    walker.walk(root)
    walker.out.block_break()
    used = sorted({p.embed for p in walker.out.paras if p.embed is not None})
    renumber = {old: new for new, old in enumerate(used)}
    for para in walker.out.paras:
        if para.embed is not None:
            para.embed = renumber[para.embed]
    return walker.out.paras, [embeds[i] for i in used]


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find(
            "meta", attrs={"name": name}
        ) or soup.find("meta", attrs={"itemprop": name})
        if isinstance(tag, Tag) and str(tag.get("content") or "").strip():
            return str(tag["content"]).strip()
    return None


def _json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except (ValueError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                if "@graph" in item and isinstance(item["@graph"], list):
                    stack.extend(item["@graph"])
                found.append(item)
    return [d for d in found if "Article" in str(d.get("@type", "")) or "headline" in d]


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def parse_iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _join(base: str, href: str) -> str:
    """``urljoin``, or ``href`` as written when either URL cannot be split
    (urlsplit raises on "http://[::1" and a few other malformed hosts)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def metadata(soup: BeautifulSoup, source_url: str | None) -> HtmlMeta:
    ld = _json_ld(soup)
    base = soup.find("base", href=True)
    base_url = source_url
    if isinstance(base, Tag):
        base_url = _join(source_url or "", str(base["href"]))
    canonical = None
    link = soup.find("link", rel="canonical", href=True)
    if isinstance(link, Tag):
        canonical = _join(base_url or "", str(link["href"]).strip()) or None
    canonical = canonical or _meta(soup, "og:url")
    title = _meta(soup, "og:title", "twitter:title") or next(
        (str(d["headline"]) for d in ld if d.get("headline")), None
    )
    if not title:
        h1 = soup.find("h1")
        tag = soup.find("title")
        title = (h1.get_text(" ", strip=True) if isinstance(h1, Tag) else None) or (
            tag.get_text(" ", strip=True) if isinstance(tag, Tag) else None
        )
    authors = [a for d in ld for a in _names(d.get("author"))]
    if not authors:
        author = _meta(soup, "author", "article:author", "parsely-author", "sailthru.author")
        authors = [author] if author and not author.startswith("http") else []
    published = parse_iso_date(
        _meta(soup, "article:published_time", "datePublished", "pubdate", "date", "dc.date")
        or next((str(d["datePublished"]) for d in ld if d.get("datePublished")), None)
    )
    if published is None:
        time_tag = soup.find("time", datetime=True)
        if isinstance(time_tag, Tag):
            published = parse_iso_date(str(time_tag["datetime"]))
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    lang = lang or _meta(soup, "og:locale", "content-language", "language")
    if not lang:
        equiv = soup.find("meta", attrs={"http-equiv": re.compile("content-language", re.IGNORECASE)})
        lang = equiv.get("content") if isinstance(equiv, Tag) else None
    language = str(lang).replace("_", "-").split(",")[0].strip().lower() if lang else None
    return HtmlMeta(
        title=re.sub(r"\s+", " ", title).strip() if title else None,
        canonical_url=canonical,
        authors=tuple(dict.fromkeys(a.strip() for a in authors if a.strip())),
        published=published,
        language=(language.split("-")[0] if language else None) or None,
        base_url=base_url,
    )
