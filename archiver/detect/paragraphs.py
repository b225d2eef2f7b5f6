"""Paragraphs with the facts detection needs about each one.

Every source format (HTML, Markdown, text) is turned into a list of ``Para``:
the text of one paragraph (one line in text formats), whether a blank line or a
block boundary came before it, which blockquote it belongs to, whether it is
code, which embed it renders, and the anchors inside it with their offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    href: str
    text: str
    rel: str | None = None


@dataclass
class Para:
    text: str
    blank_before: bool = False  # a paragraph boundary precedes it (blank line, block, or a
    # new line in a text whose every line is a paragraph)
    gap: bool = False  # a real blank line precedes it in the source text; in HTML, the
    # end of a block element (a new <p>), which separates as a blank line does
    quote_group: int | None = None  # paragraphs of one blockquote share a number
    code: bool = False
    embed: int | None = None  # index of the embed this paragraph renders
    anchors: list[Anchor] = field(default_factory=list)
    code_spans: list[tuple[int, int]] = field(default_factory=list)  # inline code: no links

    def in_code(self, offset: int) -> bool:
        return any(start <= offset < end for start, end in self.code_spans)


class ParaBuilder:
    """Accumulates inline text into paragraphs, collapsing white space as it goes
    so that anchor offsets refer to the final text."""

    def __init__(self) -> None:
        self.paras: list[Para] = []
        self._cur = ""
        self._anchors: list[Anchor] = []
        self._code: list[tuple[int, int]] = []
        self._blank = True
        self.code = False
        self.quote_group: int | None = None
        self.embed: int | None = None

    def add_text(self, text: str) -> None:
        text = _SPACE.sub(" ", text)
        if not self._cur or self._cur.endswith(" "):
            text = text.lstrip(" ")
        self._cur += text

    @property
    def offset(self) -> int:
        return len(self._cur)

    def add_anchor(self, start: int, href: str, rel: str | None) -> None:
        # A leading space may have been swallowed; an anchor never starts on one.
        while start < len(self._cur) and self._cur[start] == " ":
            start += 1
        end = len(self._cur.rstrip(" "))
        if end > start:
            self._anchors.append(Anchor(start, end, href, self._cur[start:end], rel))

    def add_code_span(self, start: int) -> None:
        end = len(self._cur.rstrip(" "))
        if end > start:
            self._code.append((start, end))

    def line_break(self) -> None:
        """A soft break (``<br>``, a new line inside one block)."""
        self._flush(blank_after=False)

    def block_break(self) -> None:
        """A hard break: the end of a block element or a blank line."""
        self._flush(blank_after=True)

    def add_para(self, text: str, **facts: object) -> None:
        self.block_break()
        para = Para(text=text, blank_before=self._blank, **facts)  # type: ignore[arg-type]  # facts are Para's own optional fields, by keyword
        self.paras.append(para)
        self._blank = True

    def _flush(self, *, blank_after: bool) -> None:
        text = self._cur.rstrip(" ")
        if text:
            anchors = [
                Anchor(a.start, min(a.end, len(text)), a.href, a.text, a.rel)
                for a in self._anchors
                if a.start < len(text)
            ]
            self.paras.append(
                Para(
                    text=text,
                    blank_before=self._blank,
                    gap=self._blank,
                    quote_group=self.quote_group,
                    code=self.code,
                    embed=self.embed,
                    anchors=anchors,
                    code_spans=[(a, min(b, len(text))) for a, b in self._code if a < len(text)],
                )
            )
            self._blank = False
        self._cur = ""
        self._anchors = []
        self._code = []
        if blank_after:
            self._blank = True
