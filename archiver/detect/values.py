"""Small frozen values that cross layers: what detection finds in an article.

They are plain data (no ORM objects, no dicts) so that detection stays pure and
the store and the renderers can rely on one shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Kinds of citation: an embed in markup, a flattened "— Name (@handle) Date" in
# text, a bare status URL standing alone in its own paragraph (how editors
# such as WordPress turn a pasted URL into an embed), or a status URL linked in
# prose ("in a post on X, she said ...").
CITATION_KINDS = ("embed", "text", "url", "reference")

# Kinds of link. ``media`` is a pbs/video.twimg.com URL; ``external`` and
# ``internal`` are ordinary outbound links (internal: the article's own site);
# ``article`` is the archived article's own URL, watched like any link.
LINK_KINDS = ("tco", "pic", "status", "media", "external", "internal", "article")


@dataclass(frozen=True)
class Position:
    """Where something stands in the article's text.

    ``paragraph`` is the index of the first paragraph; ``start``/``end`` are
    character offsets inside it (end exclusive). A citation may span several
    paragraphs: ``last_paragraph`` is then the index of its attribution line.
    """

    paragraph: int
    start: int = 0
    end: int = 0
    last_paragraph: int | None = None

    def as_dict(self) -> dict[str, int]:
        return {
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "last_paragraph": (
                self.paragraph if self.last_paragraph is None else self.last_paragraph
            ),
        }


@dataclass(frozen=True)
class LinkRef:
    """One occurrence of a link in an article."""

    url: str  # as written in the article
    normalized: str  # canonical form, the link's identity
    kind: str  # one of LINK_KINDS
    position: Position | None = None
    citation_index: int | None = None  # index into Detection.citations
    anchor_text: str | None = None
    tweet_id: str | None = None  # for status links
    handle: str | None = None  # for status links that name one
    rel: str | None = None  # rel values of the anchor: nofollow, sponsored, ugc, ...


@dataclass(frozen=True)
class Citation:
    """One cited tweet found in an article."""

    kind: str  # one of CITATION_KINDS
    handle: str | None  # without the @
    author_name: str | None
    date_text: str | None  # the date as written
    date: dt.date | None  # the date parsed from date_text
    text: str  # the quote text, lines joined by "\n"
    lang: str | None = None  # the quote's language where markup says it
    tweet_id: str | None = None
    status_url: str | None = None
    links: tuple[str, ...] = ()  # normalized URLs inside the quote
    hashtags: tuple[str, ...] = ()  # without the #
    mentions: tuple[str, ...] = ()  # without the @
    position: Position | None = None
    flags: tuple[str, ...] = ()  # e.g. "date_mismatch"


@dataclass(frozen=True)
class Article:
    """The article as extracted from its source: metadata and main text."""

    format: str  # html, markdown, text
    title: str | None
    canonical_url: str | None
    authors: tuple[str, ...]
    published: dt.date | None
    language: str | None
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class Detection:
    """Everything detection finds in one document."""

    article: Article
    citations: tuple[Citation, ...] = ()
    links: tuple[LinkRef, ...] = field(default_factory=tuple)
