"""``archiver export``, ``verify`` and ``stamp``: click commands, thin over
evidence/ and services/stamping.py.

Registered in cli.py with one line each. Heavy libraries (cdxj-indexer, warcio's
iterators, rfc3161-client) are imported inside the commands, not at start-up.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from archiver import render
from archiver.config import Settings
from archiver.evidence import EvidenceError

if TYPE_CHECKING:
    from archiver.store.db import Database

F = TypeVar("F", bound=Callable[..., Any])


def _errors(func: F) -> F:
    """The CLI's own handling of known failures (cli.user_errors: one line, exit 1),
    plus a file of the data folder that cannot be read or written, named."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from archiver.cli import fail, user_errors  # cli imports this module at start-up

        try:
            return user_errors(func)(*args, **kwargs)
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

    return cast(F, wrapper)


def _settings(ctx: click.Context) -> Settings:
    return cast(Settings, ctx.find_root().obj["settings"])


def _database(ctx: click.Context) -> Database:
    from archiver.cli import _database as archive_database  # says where it looked; creates nothing

    return archive_database(ctx)


def _date(value: str | None) -> dt.date | None:
    from archiver.cli import _date as cli_date  # one reading of YYYY-MM-DD for every command

    return cli_date(value)


@click.command("export")
@click.option("--wacz", "wacz_path", required=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="write a WACZ 1.1.1 package to FILE")
@click.option("--article", "articles", multiple=True, metavar="A",
              help="only this article (id, URL or source); repeat for more")
@click.option("--since", help="only articles published (or archived) on or after YYYY-MM-DD")
@render.output_options()
@click.pass_context
@_errors
def export(ctx: click.Context, wacz_path: Path, articles: tuple[str, ...], since: str | None,
           fmt: str) -> None:
    """Package articles with their tweets, media and links as one WACZ file:
    the WARC records as stored, a CDXJ index, pages.jsonl and every file's sha256."""
    import importlib.util

    from archiver.evidence import service

    if importlib.util.find_spec("cdxj_indexer") is None:
        raise EvidenceError(
            f"{wacz_path}: export --wacz needs the wacz extra: pip install 'archiver[wacz]' "
            "(cdxj-indexer; its dependency surt is AGPL-3.0, so it is not installed by default)")
    settings = _settings(ctx)
    since_d = _date(since)
    summary = service.export(settings, _database(ctx), wacz_path, list(articles), since_d)
    data = summary.as_dict()
    if fmt != "table":
        flat = {k: v for k, v in data.items() if fmt != "csv" or not isinstance(v, dict)}
        render.output_rows([flat], fmt, fields=tuple(flat))
        return
    rows = [{"what": k, "value": v} for k, v in data.items() if not isinstance(v, dict)]
    render.output_rows(rows, "table", fields=("what", "value"), title=str(summary.path))




@click.command("verify")
@click.option("--article", help="only this article's files (id, URL or source)")
@render.output_options()
@click.pass_context
@_errors
def verify(ctx: click.Context, article: str | None, fmt: str) -> None:
    """Fixity: re-hash every blob and WARC record against the database (and the
    time-stamp tokens); report missing, changed or unindexed files. Exits 1 on any
    finding, with one line per finding on stderr: suitable for cron."""
    from archiver.evidence import fixity, service

    settings = _settings(ctx)
    report = service.verify(settings, _database(ctx), article)
    rows = [f.as_dict() for f in report.findings]
    counts = report.counts()
    title = ("verified " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()
                                      if k != "findings")
             + f": {len(rows)} finding{'s' if len(rows) != 1 else ''}")
    if fmt != "table":
        render.output_rows(rows, fmt, fields=fixity.FINDING_FIELDS)
    elif not rows:
        click.echo(title.replace("0 findings", "no finding"))
    else:
        _findings_table(rows, title)
    for finding in report.findings:
        click.echo(f"archiver: verify: {finding.line()}", err=True)
    if report.findings:
        sys.exit(1)


@click.command("stamp")
@render.output_options()
@click.pass_context
@_errors
def stamp(ctx: click.Context, fmt: str) -> None:
    """Time-stamp (RFC 3161, setting timestamp_authorities) every closed WARC that has
    no token yet. Runs do this by themselves; this is for WARCs of older runs, or of
    runs whose authority could not be reached."""
    from archiver.services.stamping import stamp_warcs

    settings = _settings(ctx)
    if not settings.timestamp_authority_urls:
        raise EvidenceError("no time-stamping authority: set timestamp_authorities")
    done = stamp_warcs(settings, _database(ctx))
    render.output_rows([{"warc": name} for name in done], fmt, fields=("warc",),
                       title=f"{len(done)} WARC{'s' if len(done) != 1 else ''} time-stamped")


def _findings_table(rows: list[dict[str, str]], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("problem", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("path", overflow="fold", ratio=2)
    table.add_column("detail", overflow="fold", ratio=1)
    for row in rows:
        table.add_row(row["problem"], row["kind"], row["path"], row["detail"])
    render.console_for(sys.stdout).print(table)


__all__ = ["export", "stamp", "verify"]
