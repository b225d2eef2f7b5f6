"""Output for people (rich tables) and for programs (JSON, JSON Lines, CSV).

Every listing command goes through ``output_rows`` with the same ``--format``
choices, in the way sqlite-utils gives every query command the same options.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from archiver.errors import OutputError

if TYPE_CHECKING:  # rich and the services are imported when something is drawn
    from rich.console import Console

    from archiver.detect.values import Citation, Detection, LinkRef
    from archiver.services.runs import RunResult

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "jsonl", "csv")
FORMAT_HELP = ("table for people; json (one array), jsonl (one object a line) or csv "
               "for programs")
WIDE_COLUMNS = frozenset({"text", "title", "handles", "identity", "source", "links", "url"})
Row = Mapping[str, Any]


class FilePath(click.Path):
    """click.Path that refuses a path it cannot even look at (a NUL byte in it)
    as bad usage, where click.Path raises ValueError from os.stat."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if "\x00" in str(value):
            self.fail(f"{str(value)!r}: a path cannot hold a NUL byte", param, ctx)
        return super().convert(value, param, ctx)


def output_options(*, extra_formats: Sequence[str] = (), output: bool = False,
                   default: str = "table") -> Callable[[F], F]:
    """The output options every data-printing command shares (as sqlite-utils'
    ``output_options``): ``--format table|json|jsonl|csv`` as ``fmt``, plus
    ``extra_formats`` a command draws itself (``report``'s html), and with
    ``output`` an ``-o/--output FILE`` written whole (see ``open_output``)."""
    choices = (*FORMATS, *extra_formats)

    def decorate(func: F) -> F:
        if output:
            func = click.option(
                "-o", "--output", type=FilePath(dir_okay=False, path_type=Path),
                help="write to this file (all at once, when complete) instead of "
                     "standard output")(func)
        return click.option(
            "--format", "fmt", type=click.Choice(choices), default=default,
            show_default=True, help=FORMAT_HELP)(func)

    return decorate


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, (dict, list)) for v in value):  # objects: one JSON cell
            return json.dumps(list(value), ensure_ascii=False, sort_keys=True)
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def output_rows(
    rows: Iterable[Row],
    fmt: str,
    *,
    fields: Sequence[str],
    table_fields: Sequence[str] | None = None,
    title: str | Callable[[int], str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Write ``rows`` (each a mapping with at least ``fields``) as ``fmt``; the
    one renderer of every command. json is always one array, jsonl one object a
    line, csv a header then a line a row; those three stream, row by row. A table
    is drawn once all rows are in (``title`` may be a function of their count).
    Returns the number of rows written."""
    out = out or sys.stdout
    if fmt == "json":
        count = 0
        out.write("[")
        for row in rows:
            out.write(",\n " if count else "\n ")
            out.write(json.dumps({k: row.get(k) for k in fields}, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt == "jsonl":
        count = 0
        for row in rows:
            out.write(json.dumps({k: row.get(k) for k in fields}, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(fields)
        count = 0
        for row in rows:
            writer.writerow([_cell(row.get(k)) for k in fields])
            count += 1
        return count
    if fmt != "table":
        raise ValueError(f"output_rows cannot write {fmt!r}")
    from rich.table import Table

    materialized = list(rows)
    heading = title(len(materialized)) if callable(title) else title
    columns = list(table_fields or fields)
    table = Table(title=heading, show_lines=False)
    for name in columns:
        if name in WIDE_COLUMNS:
            table.add_column(name, overflow="ellipsis", no_wrap=True, ratio=1, max_width=60)
        else:
            table.add_column(name, no_wrap=True, min_width=len(name))
    for row in materialized:
        table.add_row(*(_short(name, row.get(name)) for name in columns))
    console_for(out).print(table)
    return len(materialized)


@contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or ``path`` written all at once: into a temporary file
    beside it, renamed over it only when the block ends without an error, so a
    failed run leaves no half-written file. A folder that is missing or not
    writable is one ``OutputError`` naming the path."""
    if path is None:
        yield sys.stdout
        return
    if not path.name or "\x00" in str(path):  # "-o ''", "-o /", a NUL: no file to write
        raise OutputError(f"{str(path)!r}: not a file name to write to")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        file = tmp.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        reason = exc.strerror or exc
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # its name was too long to create in the first place
            pass
        raise OutputError(f"{path}: cannot write: {reason}") from None
    try:
        with file:
            yield file
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def console_for(out: TextIO) -> Console:
    """A console for ``out``; pipes and files get a wide one so tables stay readable."""
    from rich.console import Console

    is_tty = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, width=None if is_tty else 160)


def _short(name: str, value: Any) -> str:
    text = _cell(value).replace("\n", " ")
    if name.endswith("_at") and len(text) > 16:
        return text[:16].replace("T", " ")
    return text


def article_text(
    paragraphs: Sequence[str], citations: Iterable[dict[str, Any]], console: Console
) -> None:
    """The article's paragraphs with each citation's lines marked in the margin."""
    from rich.text import Text

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


MAX_MESSAGES = 10


def echo(line: str) -> None:
    sys.stdout.write(line + "\n")


def citation_dict(c: Citation) -> dict[str, Any]:
    return {
        "kind": c.kind, "handle": c.handle, "author_name": c.author_name,
        "date": c.date.isoformat() if c.date else None, "date_text": c.date_text,
        "text": c.text, "lang": c.lang, "tweet_id": c.tweet_id, "status_url": c.status_url,
        "links": list(c.links), "hashtags": list(c.hashtags), "mentions": list(c.mentions),
        "flags": list(c.flags), "position": c.position.as_dict() if c.position else None,
    }


def link_dict(ref: LinkRef) -> dict[str, Any]:
    return {
        "url": ref.url, "normalized": ref.normalized, "kind": ref.kind,
        "tweet_id": ref.tweet_id, "handle": ref.handle, "citation": ref.citation_index,
        "anchor_text": ref.anchor_text, "rel": ref.rel,
        "position": ref.position.as_dict() if ref.position else None,
    }


def detection_dict(source: str, d: Detection) -> dict[str, Any]:
    a = d.article
    return {
        "source": source, "title": a.title, "language": a.language, "format": a.format,
        "canonical_url": a.canonical_url, "authors": list(a.authors),
        "published": a.published.isoformat() if a.published else None,
        "citations": [citation_dict(c) for c in d.citations],
        "links": [link_dict(r) for r in d.links],
    }


def resolve_report(result: RunResult) -> None:
    snaps = result.snapshots
    if snaps is not None:
        echo(f"outbound links kept: {snaps.saved}, failed: {snaps.failed}")
        for message in (snaps.messages or [])[:MAX_MESSAGES]:
            echo(f"  problem: {message}")
    stats = result.stats
    if stats is None:
        return
    states = ", ".join(f"{k} {v}" for k, v in sorted(stats.tweets.items())) or "none"
    failures = ", ".join(f"{k} {v}" for k, v in sorted(stats.failures.items())) or "none"
    rows: list[dict[str, Any]] = [
        {"what": "citations looked at", "value": stats.citations},
        {"what": "tweets resolved", "value": stats.resolved},
        {"what": "citations unresolved", "value": stats.unresolved},
        {"what": "citations ambiguous", "value": stats.ambiguous},
        {"what": "citations failed", "value": stats.failed},
        {"what": "tweets by state", "value": states},
        {"what": "media saved", "value": stats.media_saved},
        {"what": "bytes saved", "value": stats.bytes_saved},
        {"what": "short links expanded", "value": stats.links_expanded},
        {"what": "failures by cause", "value": failures},
        {"what": "WARC", "value": result.warc or "none written"},
    ]
    output_rows(rows, "table", fields=("what", "value"), title="resolution", out=sys.stdout)
    shown = list(dict.fromkeys(stats.messages))
    for message in shown[:MAX_MESSAGES]:
        echo(f"  problem: {message}")
    if len(shown) > MAX_MESSAGES:
        echo(f"  ... and {len(shown) - MAX_MESSAGES} more (captures keep every error)")
    if stats.failed:
        echo(f"archiver: warning: {stats.failed} citation(s) not resolved because no service "
             "could be reached; `archiver resolve --retry-failed` tries them again")


def report_tables(data: dict[str, Any], out: Any) -> None:
    cats = data["categories"]
    totals = [{"of": what, **counts} for what, counts in data["totals"].items()]
    output_rows(totals, "table", fields=("of", *cats), title="rot report", out=out)
    output_rows(data["by_domain"][:20], "table", fields=("domain", *cats),
                       title="by domain", out=out)
    output_rows(data["by_age"], "table", fields=("age", *cats), title="by age", out=out)
    from archiver.services.report import ITEM_FIELDS

    output_rows(data["items"], "table",
                       fields=ITEM_FIELDS,
                       table_fields=("article_id", "what", "url", "state", "our_copy_at",
                                     "warc_file", "wayback_url"),
                       title="dead, failing, drifted or hidden", out=out)
