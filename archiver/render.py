"""Output for people (rich tables) and for programs (JSON, JSON Lines, CSV).

Every listing command goes through ``output_rows`` with the same ``--format``
choices, in the way sqlite-utils gives every query command the same options.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "jsonl", "csv")
WIDE_COLUMNS = frozenset({"text", "title", "handles", "identity", "source", "links", "url"})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def output_rows(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    fields: Sequence[str],
    table_fields: Sequence[str] | None = None,
    title: str | None = None,
    out: TextIO | None = None,
) -> None:
    out = out or sys.stdout
    if fmt == "json":
        json.dump([{k: r.get(k) for k in fields} for r in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({k: row.get(k) for k in fields}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_cell(row.get(k)) for k in fields])
    else:
        columns = list(table_fields or fields)
        table = Table(title=title, show_lines=False)
        for name in columns:
            if name in WIDE_COLUMNS:
                table.add_column(name, overflow="ellipsis", no_wrap=True, ratio=1, max_width=60)
            else:
                table.add_column(name, no_wrap=True, min_width=len(name))
        for row in rows:
            table.add_row(*(_short(name, row.get(name)) for name in columns))
        console_for(out).print(table)


def console_for(out: TextIO) -> Console:
    """A console for ``out``; pipes and files get a wide one so tables stay readable."""
    is_tty = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, width=None if is_tty else 160)


def _short(name: str, value: Any) -> str:
    text = _cell(value).replace("\n", " ")
    if name.endswith("_at") and len(text) > 16:
        return text[:16].replace("T", " ")
    return text


def print_json_line(obj: dict[str, Any], out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(obj, ensure_ascii=False) + "\n")


def article_text(
    paragraphs: Sequence[str], citations: Iterable[dict[str, Any]], console: Console
) -> None:
    """The article's paragraphs with each citation's lines marked in the margin."""
    marks: dict[int, str] = {}
    for number, cite in enumerate(citations, start=1):
        pos = cite["position"]
        if pos["paragraph"] is None:
            continue
        last = pos["last_paragraph"] if pos["last_paragraph"] is not None else pos["paragraph"]
        for i in range(pos["paragraph"], last + 1):
            marks[i] = f"[{number}]"
    for i, paragraph in enumerate(paragraphs):
        mark = marks.get(i)
        line = Text(f"{mark or '':>5} ", style="bold cyan" if mark else "")
        line.append(paragraph, style="cyan" if mark else "")
        console.print(line)
