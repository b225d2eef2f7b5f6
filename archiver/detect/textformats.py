"""Markdown and plain text -> paragraphs (one a line; blank lines kept as facts).

Markdown is read only as far as detection needs: fenced and indented code is
code, ``>`` lines are a blockquote, heading and list markers are dropped,
``[text](url)`` becomes its text with an anchor, backslash escapes are undone
(``4\\. März`` is ``4. März``), each cell of a table row is a paragraph of its
own, and a raw HTML block (a pasted embed, also inside a ``>`` blockquote, as
converters leave it) is read by the HTML walker so its tweet is found like any
embed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from archiver.detect.links import parse_status_url
from archiver.detect.paragraphs import Anchor, Para

if TYPE_CHECKING:
    from bs4 import Tag

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LIST = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?://)[^>\s]+)>")
_HTML_BLOCK = re.compile(r"^\s{0,3}<(?:blockquote|figure|div|amp-twitter|iframe|p|section)\b", re.IGNORECASE)
# Tweet shortcodes of static site generators: Hugo {{< tweet user="jack" id="20" >}},
# {{< tweet 20 >}}, {{< x user="jack" id="20" >}}, {{% tweet ... %}}; Jekyll
# {% twitter https://twitter.com/jack/status/20 %}.
_SHORTCODE = re.compile(
    r"^\s*\{\{[<%]\s*(?:tweet|x)\s+(?:user=\"?(?P<user>\w{1,15})\"?\s+)?(?:id=)?\"?(?P<id>\d{1,20})\"?"
    r"\s*[>%]\}\}\s*$"
)
_JEKYLL = re.compile(r"^\s*\{%\s*twitter\s+(?P<url>\S+)[^%]*%\}\s*$")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# CommonMark: a backslash before ASCII punctuation makes it a literal character.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_TABLE_ROW = re.compile(r"^\s{0,3}\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s{0,3}\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?\s*)?$")
# A cell separator: a pipe that no backslash escapes.
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


# The heading of a comment section in a page copied as text ("3 COMMENTI",
# "Comments (12)", "Leave a reply"): readers' comments are not the article.
_COMMENTS_HEADING = re.compile(
    r"^(?:\d+\s+)?(?:comments?|commenti|kommentare?|commentaires?|comentarios?|"
    r"comentários?|reacties|komentarze|комментари[йия]|yorumlar?|تعليقات?)"
    r"(?:\s*\(\d+\))?:?$|^(?:leave a (?:comment|reply)|lascia un commento|"
    r"schreibe einen kommentar|laisser un commentaire|deja un comentario)$",
    re.IGNORECASE,
)


def text_paragraphs(text: str) -> list[Para]:
    """Plain text: every non-empty line is a paragraph, up to a comment section."""
    paras: list[Para] = []
    blank = True
    for line in text.splitlines():
        stripped = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if not stripped:
            blank = True
            continue
        if blank and paras and _COMMENTS_HEADING.match(stripped):
            break
        paras.append(Para(text=stripped, blank_before=blank, gap=blank))
        blank = False
    return one_line_paragraphs(paras)


LINE_STYLE_MAX_GAPS = 0.2


def one_line_paragraphs(paras: list[Para]) -> list[Para]:
    """A text that (almost) never leaves a blank line between paragraphs, as the
    seed article, writes one paragraph a line: then every line is a boundary."""
    if len(paras) > 2:
        gaps = sum(p.gap for p in paras[1:]) / (len(paras) - 1)
        if gaps < LINE_STYLE_MAX_GAPS:
            for para in paras:
                if para.quote_group is None:
                    para.blank_before = True
    return paras


# Reference-style links: "[text][label]", "[label][]", "[label]" with a definition
# line "[label]: URL" elsewhere (pandoc, many converters, Medium exports).
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]\n]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*[\"')])?\s*$")
_REF_LINK = re.compile(r"\[([^\]\n]+)\](?:\s?\[([^\]\n]*)\])?(?![(:])")


def _definitions(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _REF_DEF.match(line)):
            found.setdefault(_label_key(match.group(1)), match.group(2))
    return found


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _resolve_references(line: str, refs: dict[str, str]) -> str:
    """Rewrite reference-style links whose label is defined as inline links."""
    if not refs or "[" not in line:
        return line

    def swap(match: re.Match[str]) -> str:
        text, label = match.group(1), match.group(2)
        url = refs.get(_label_key(label or text))
        return f"[{text}]({url})" if url else match.group(0)

    return _REF_LINK.sub(swap, line)


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _inline(line: str, refs: dict[str, str] | None = None
            ) -> tuple[str, list[Anchor], list[tuple[int, int]]]:
    """Markdown inline markup -> text, anchors and code spans (offsets in the text).
    A code span (`...`) keeps its words but holds no link."""
    out, cursor = "", 0
    anchors: list[Anchor] = []
    spans: list[tuple[int, int]] = []
    for match in _CODE_SPAN.finditer(line):
        out = _inline_plain(_resolve_references(line[cursor : match.start()], refs or {}),
                            out, anchors)
        spans.append((len(out), len(out) + len(match.group(2))))
        out += match.group(2)
        cursor = match.end()
    out = _inline_plain(_resolve_references(line[cursor:], refs or {}), out, anchors)
    return _collapse(out, anchors, spans)


def _inline_plain(line: str, out: str, anchors: list[Anchor]) -> str:
    """Append ``line`` (no code in it) to ``out``, links as their labels."""
    line = _STRONG.sub(r"\2", line)
    line = _AUTOLINK.sub(r"\1", line)
    cursor = 0
    for match in _MD_LINK.finditer(line):
        out += _unescape(line[cursor : match.start()])
        label = _unescape(match.group(1).strip()) or match.group(2)
        if match.group(0).startswith("!"):
            label = _unescape(match.group(1).strip())
        start = len(out)
        out += label
        if not match.group(0).startswith("!"):
            anchors.append(Anchor(start, len(out), match.group(2), label))
        cursor = match.end()
    return out + _unescape(line[cursor:])


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _collapse(text: str, anchors: list[Anchor], spans: list[tuple[int, int]]
              ) -> tuple[str, list[Anchor], list[tuple[int, int]]]:
    """Collapse runs of white space and trim, moving offsets with the text."""
    out: list[str] = []
    moved: list[Anchor] = []
    mapping: list[int] = []
    for char in text:
        mapping.append(len(out))
        if char in " \t\u00a0":
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
    mapping.append(len(out))
    collapsed = "".join(out)
    lead = len(collapsed) - len(collapsed.lstrip(" "))
    result = collapsed.strip(" ")
    for a in anchors:
        start = max(0, mapping[a.start] - lead)
        end = min(len(result), mapping[a.end] - lead)
        if end > start:
            moved.append(Anchor(start, end, a.href, result[start:end], a.rel))
    code = [(max(0, mapping[a] - lead), min(len(result), mapping[b] - lead)) for a, b in spans]
    return result, moved, [(a, b) for a, b in code if b > a]


def markdown_paragraphs(text: str) -> tuple[list[Para], list[Tag]]:
    """Markdown -> paragraphs, plus the embed elements of raw HTML blocks."""
    paras: list[Para] = []
    embeds: list[Tag] = []
    lines = text.splitlines()
    refs = _definitions(lines)
    blank, in_fence, group, groups = True, False, None, 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence, blank = not in_fence, True
            i += 1
            continue
        if in_fence or (blank and line.startswith(("    ", "\t")) and line.strip()):
            if line.strip():
                paras.append(Para(text=line.rstrip(), blank_before=blank, gap=blank, code=True))
            i += 1
            continue
        shortcode = _SHORTCODE.match(line)
        jekyll = _JEKYLL.match(line)
        if shortcode or (jekyll and parse_status_url(jekyll.group("url"))):
            if shortcode:  # the URL is ours, not the document's: no link to report
                owner = shortcode.group("user") or "i/web"
                status = f"https://twitter.com/{owner}/status/{shortcode.group('id')}"
                extra = " data-archiver-synthetic"
            else:
                assert jekyll is not None  # the condition above: a shortcode or a Jekyll tag
                status, extra = jekyll.group("url"), ""
            markup = f'<blockquote class="twitter-tweet"><a href="{status}"{extra}></a></blockquote>'
            block_paras, block_embeds = _html_block(markup, len(embeds))
            paras.extend(block_paras)
            embeds.extend(block_embeds)
            i, blank = i + 1, True
            continue
        if _HTML_BLOCK.match(line) and not _QUOTE.match(line):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            block_paras, block_embeds = _html_block("\n".join(lines[i:j]), len(embeds))
            paras.extend(block_paras)
            embeds.extend(block_embeds)
            i, blank = j, True
            continue
        quoted_html = _quoted_html_block(lines, i)
        if quoted_html:
            j, block = quoted_html
            block_paras, block_embeds = _html_block(block, len(embeds))
            paras.extend(block_paras)
            embeds.extend(block_embeds)
            i, blank, group = j, True, None
            continue
        if _TABLE_ROW.match(line) and not _QUOTE.match(line):
            if not _TABLE_RULE.match(line):
                paras.extend(_table_cells(line, refs))
            i, blank = i + 1, True
            continue
        quoted = _QUOTE.match(line)
        if quoted:
            if group is None:
                groups += 1
                group = groups
            line = line[quoted.end() :]
            while _QUOTE.match(line):  # nested quotes count as the same quote
                line = _QUOTE.sub("", line, count=1)
        elif not line.strip():
            group = None
        content = _LIST.sub("", _HEADING.sub("", line))
        if refs and _REF_DEF.match(content):  # a link definition is not text
            blank = True
            i += 1
            continue
        body, anchors, code = _inline(content, refs)
        if not body:
            blank = True
            i += 1
            continue
        paras.append(Para(text=body, blank_before=blank, gap=blank, quote_group=group,
                          anchors=anchors, code_spans=code))
        blank = False
        i += 1
    return one_line_paragraphs(paras), embeds


def _quoted_html_block(lines: list[str], i: int) -> tuple[int, str] | None:
    """An HTML block written inside a ``>`` blockquote (``> <blockquote class=
    "twitter-tweet">...``): (index after it, the HTML without the markers)."""
    quoted = _QUOTE.match(lines[i])
    if not quoted:
        return None
    inner = lines[i][quoted.end():]
    while _QUOTE.match(inner):
        inner = _QUOTE.sub("", inner, count=1)
    if not _HTML_BLOCK.match(inner):
        return None
    block: list[str] = []
    j = i
    while j < len(lines) and (marker := _QUOTE.match(lines[j])):
        content = lines[j][marker.end():]
        while _QUOTE.match(content):
            content = _QUOTE.sub("", content, count=1)
        if not content.strip() and block and block[-1] == "":
            break
        block.append(content)
        j += 1
    return j, "\n".join(block)


def _table_cells(line: str, refs: dict[str, str]) -> list[Para]:
    """One row of a Markdown table: every non-empty cell a paragraph of its own, so
    a quote and its attribution in one cell, or a quote in one cell and its
    attribution in the next, read as one citation, and other cells stay out."""
    cells = _CELL_SPLIT.split(line.strip())[1:-1]
    paras: list[Para] = []
    for cell in cells:
        text, anchors, code = _inline(cell.replace("\\|", "|"), refs)
        for piece, piece_anchors, piece_code in _breaks(text, anchors, code):
            if piece:
                paras.append(Para(text=piece, blank_before=True, gap=not paras,
                                  anchors=piece_anchors, code_spans=piece_code))
    return paras


_BR = re.compile(r"\s*<br\s*/?>\s*", re.IGNORECASE)


def _breaks(text: str, anchors: list[Anchor], code: list[tuple[int, int]]
            ) -> list[tuple[str, list[Anchor], list[tuple[int, int]]]]:
    """Split a cell at its ``<br>`` tags (how tables write line breaks)."""
    pieces, cursor = [], 0
    for match in [*_BR.finditer(text), None]:
        end = match.start() if match else len(text)
        pieces.append((
            text[cursor:end],
            [Anchor(a.start - cursor, a.end - cursor, a.href, a.text, a.rel)
             for a in anchors if cursor <= a.start < end],
            [(a - cursor, min(b, end) - cursor) for a, b in code if cursor <= a < end],
        ))
        if match:
            cursor = match.end()
    return pieces


def _html_block(block: str, first_index: int) -> tuple[list[Para], list[Tag]]:
    from archiver.detect import html as htmlmod  # BeautifulSoup: only for HTML in Markdown

    soup = htmlmod.parse(block)
    root = soup.body or soup
    paras, embeds = htmlmod.walk_fragment(root)
    for para in paras:
        if para.embed is not None:
            para.embed += first_index
    return paras, embeds
