"""The command line: parse arguments, call the services, render. No SQL, no HTTP."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from rich.console import Console
from rich.progress import Progress
from sqlalchemy.exc import SQLAlchemyError

from archiver import __version__, render, report_html
from archiver.cli_jobs import queue_option
from archiver.cli_jobs import register as register_job_commands
from archiver.cli_web import serve as serve_command
from archiver.config import ConfigError, Settings, load_settings
from archiver.detect.values import LINK_KINDS, Detection
from archiver.net.errors import FetchError
from archiver.providers.tweet import TWEET_STATES
from archiver.rules.verdicts import LINK_STATES
from archiver.services import check as check_service
from archiver.services import report as report_service
from archiver.services import runs
from archiver.services.archive import ArchiveSummary
from archiver.services.sources import Source, SourceError, detect_source, read_source
from archiver.store import queries, tweet_queries
from archiver.store.blobs import BlobStore
from archiver.store.db import (
    Database,
    DatabaseError,
    as_database_error,
    current_revision,
    describe,
    prepare,
)
from archiver.store.tempfiles import DiskFull

F = TypeVar("F", bound=Callable[..., Any])
USER_ERRORS = (SourceError, DatabaseError, ConfigError, queries.NotFound, FetchError, DiskFull)
err = Console(stderr=True)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``), so
    that an input holding them still makes a one-line message."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if c != " " and (c.isspace() or not c.isprintable()) else c for c in text)


def fail(message: str) -> None:
    click.echo(f"archiver: error: {one_line(message)}", err=True)
    sys.exit(1)


class FilePath(click.Path):
    """click.Path that refuses a path it cannot even look at (a NUL byte in it)
    as bad usage, where click.Path raises ValueError from os.stat."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if "\x00" in str(value):
            self.fail(f"{one_line(str(value))!r}: a path cannot hold a NUL byte", param, ctx)
        return super().convert(value, param, ctx)


def user_errors(func: F) -> F:
    """Known failures become one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:  # a database failure outside the helpers
            settings = click.get_current_context().find_root().obj["settings"]
            mapped = as_database_error(exc, describe(settings.effective_database_url))
            if mapped is None:
                raise
            fail(str(mapped))
        except KeyboardInterrupt:
            click.echo("archiver: interrupted; nothing of the current run was stored", err=True)
            sys.exit(130)

    return cast(F, wrapper)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that a run cleans up as on Ctrl-C."""


@contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """Make SIGTERM (systemd stopping a timer, ``kill``) stop the run as Ctrl-C
    does: what is done is kept and the rest is freed, instead of dying on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough: let cleanup finish
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _settings(ctx: click.Context) -> Settings:
    return cast(Settings, ctx.obj["settings"])


def _database(ctx: click.Context) -> Database:
    if "db" not in ctx.obj:
        settings = _settings(ctx)
        ctx.obj["db"] = Database(settings.effective_database_url, data_dir=settings.home)
        ctx.call_on_close(ctx.obj["db"].dispose)
    return cast(Database, ctx.obj["db"])


def format_option(func: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(render.FORMATS), default="table",
        show_default=True, help="table for people; json, jsonl or csv for programs",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
@click.option("--db", "database_url", metavar="URL",
              help="database URL (default: SQLite in the data folder; env ARCHIVER_DATABASE_URL)")
@click.option("--home", type=FilePath(file_okay=False, path_type=Path),
              help="data folder (default ./archive; env ARCHIVER_HOME)")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, home: Path | None) -> None:
    """Preserve news articles and the tweets they cite."""
    try:
        settings = load_settings(database_url=database_url, home=home)
    except ConfigError as exc:
        fail(str(exc))
    ctx.obj = {"settings": settings}


def _read_all(sources: tuple[str, ...], settings: Settings, keep_going: bool
              ) -> tuple[list[tuple[Source, Detection]], list[str]]:
    """Read and detect every source before anything is stored."""
    done: list[tuple[Source, Detection]] = []
    failed: list[str] = []
    with Progress(console=err, transient=True, disable=len(sources) < 2) as progress:
        task = progress.add_task("reading", total=len(sources))
        for given in sources:
            progress.update(task, description=f"reading {given[-40:]}")
            try:
                source = read_source(given, settings)
                done.append((source, detect_source(source)))
            except SourceError as exc:
                if not keep_going:
                    raise
                failed.append(str(exc))
                click.echo(f"archiver: skipped: {one_line(str(exc))}", err=True)  # unwrapped
            progress.advance(task)
    return done, failed


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--offline", is_flag=True, help="do not resolve citations over the network")
@click.option("--with-links/--without-links", "with_links", default=None,
              help="keep a copy of every outbound link's target (default: setting with_links)")
@click.option("--keep-going", is_flag=True,
              help="archive the sources that can be read and report the others")
@queue_option("archive")
@format_option
@click.pass_context
@user_errors
def archive(ctx: click.Context, sources: tuple[str, ...], offline: bool,
            with_links: bool | None, keep_going: bool,
            fmt: str) -> None:
    """Archive articles: URLs, .html/.md/.txt files, or - for standard input.

    All sources are stored in one transaction: if one cannot be read, nothing is
    stored (unless --keep-going)."""
    if offline and with_links:
        raise click.UsageError("--with-links fetches every link: it cannot be --offline")
    settings = _settings(ctx)
    db = _database(ctx)
    done, failed = _read_all(sources, settings, keep_going)
    with _progress("resolving") as (advance, total):
        links = settings.with_links if with_links is None else with_links
        result = runs.archive(settings, db, done, resolve=not offline,
                              with_links=links and not offline, progress=advance, total=total)
    rows = [_summary_row(s) for s in result.summaries]
    render.output_rows(
        rows, fmt, fields=SUMMARY_FIELDS,
        table_fields=("article_id", "title", "language", "citations", "links", "new_version"),
        title=f"archived {len(rows)} article(s) in {_where(settings)}",
    )
    if fmt == "table":
        for row in rows:
            cited = " ".join(f"@{h}" for h in row["handles"]) or "no tweets"
            click.echo(f"article {row['article_id']} cites: {cited}")
        render.resolve_report(result)
    if failed:
        sys.exit(1)


@contextmanager
def _progress(what: str) -> Iterator[tuple[Callable[[str], None], Callable[[int], None]]]:
    """A progress bar on stderr for long work; callbacks for the services."""
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(what, total=None, visible=False)

        def total(n: int) -> None:
            progress.update(task, total=n, visible=n > 1)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=f"{what} {label}")

        yield advance, total




SUMMARY_FIELDS = ("source", "article_id", "identity", "title", "language", "citations",
                  "handles", "links", "new_version")


def _summary_row(s: ArchiveSummary) -> dict[str, Any]:
    return {
        "source": s.source, "article_id": s.article_id, "identity": s.identity,
        "title": s.title, "language": s.language, "citations": s.citations,
        "handles": list(s.handles), "links": s.links, "new_version": s.new_version,
    }


def _where(settings: Settings) -> str:
    return settings.database_url and _redact(settings.database_url) or str(settings.home)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a display helper must not fail
        return url


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="json prints one JSON object per source (JSON Lines)")
@click.pass_context
@user_errors
def detect(ctx: click.Context, sources: tuple[str, ...], fmt: str) -> None:
    """Detect citations and links without storing anything."""
    settings = _settings(ctx)
    for given in sources:
        result = render.detection_dict(given, detect_source(read_source(given, settings)))
        if fmt == "json":
            render.print_json_line(result)
        else:
            render.output_rows(
                result["citations"], "table",
                fields=("kind", "handle", "date", "tweet_id", "text", "links"),
                title=f"{given}: {result['title'] or ''} [{result['language'] or '?'}]",
            )


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@main.command()
@click.option("--handle", help="cited account, with or without @")
@click.option("--article", help="article id, URL or source")
@click.option("--since", help="cited on or after this date (YYYY-MM-DD)")
@click.option("--until", help="cited on or before this date (YYYY-MM-DD)")
@click.option("--hashtag", help="quote contains this hashtag, with or without #")
@click.option("--flagged", is_flag=True, help="only citations with a finding (e.g. date_mismatch)")
@format_option
@click.pass_context
@user_errors
def citations(ctx: click.Context, handle: str | None, article: str | None, since: str | None,
              until: str | None, hashtag: str | None, flagged: bool, fmt: str) -> None:
    """List stored citations."""
    since_d, until_d = _date(since), _date(until)
    with _database(ctx).reader() as session:
        rows = queries.citations(session, handle=handle, article=article, since=since_d,
                                 until=until_d, hashtag=hashtag, flagged=flagged)
    render.output_rows(
        rows, fmt, fields=queries.CITATION_FIELDS,
        table_fields=("id", "article_id", "kind", "handle", "date", "tweet_id", "text", "flags"),
        title=f"{len(rows)} citation(s)",
    )


@main.command()
@click.option("--article", help="article id, URL or source")
@click.option("--domain", help="links to this site (subdomains included)")
@click.option("--kind", type=click.Choice(LINK_KINDS), help="kind of link")
@click.option("--state", type=click.Choice(LINK_STATES), help="state of the link")
@format_option
@click.pass_context
@user_errors
def links(ctx: click.Context, article: str | None, domain: str | None, kind: str | None,
          state: str | None, fmt: str) -> None:
    """List stored links with where they occur and their latest check."""
    with _database(ctx).reader() as session:
        rows = queries.links(session, article=article, domain=domain, kind=kind, state=state)
    render.output_rows(
        rows, fmt, fields=queries.LINK_FIELDS,
        table_fields=("id", "kind", "url", "occurrences", "anchor_text", "state", "resolve_error",
                      "last_check"),
        title=f"{len(rows)} link(s)",
    )


@main.command()
@format_option
@click.pass_context
@user_errors
def articles(ctx: click.Context, fmt: str) -> None:
    """List archived articles."""
    with _database(ctx).reader() as session:
        rows = queries.articles(session)
    render.output_rows(
        rows, fmt, fields=queries.ARTICLE_FIELDS,
        table_fields=("id", "source", "title", "citations", "links", "last_archived_at"),
        title=f"{len(rows)} article(s)",
    )


@main.command()
@click.option("--handle", help="by this account (now, or as cited), with or without @")
@click.option("--state", help=f"in this state ({', '.join(TWEET_STATES)})")
@click.option("--article", help="cited by this article (id, URL or source)")
@format_option
@click.pass_context
@user_errors
def tweets(ctx: click.Context, handle: str | None, state: str | None, article: str | None,
           fmt: str) -> None:
    """List the tweets we hold: state and its evidence, author, text, media, citations."""
    if state is not None and state not in TWEET_STATES:
        fail(f"--state {state!r}: not a tweet state (one of {', '.join(TWEET_STATES)})")
    with _database(ctx).reader() as session:
        rows = tweet_queries.tweets(session, BlobStore(_settings(ctx).blob_dir), handle=handle,
                                    state=state, article=article)
    render.output_rows(rows, fmt, fields=tweet_queries.TWEET_FIELDS,
                       table_fields=tweet_queries.TABLE_FIELDS, title=f"{len(rows)} tweet(s)")


@main.command()
@click.argument("article")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
@user_errors
def show(ctx: click.Context, article: str, fmt: str) -> None:
    """Show an article's text with its citations marked."""
    with _database(ctx).reader() as session:
        detail = queries.article_detail(session, article)
    if fmt == "json":
        render.print_json_line(detail)
        return
    console = render.console_for(sys.stdout)
    console.print(f"[bold]{detail['title'] or detail['identity']}[/bold]", highlight=False)
    console.print(f"{detail['url'] or detail['identity']} · {detail['language'] or '?'} · "
                  f"{detail['citations']} citation(s)", highlight=False)
    render.article_text(detail["paragraphs"], detail["citation_list"], console)
    for number, cite in enumerate(detail["citation_list"], start=1):
        console.print(f"[{number}] @{cite['handle'] or '?'} {cite['date'] or ''} "
                      f"{cite['status_url'] or ''} ({cite['kind']})", highlight=False)


@main.command()
@click.option("--article", "articles_", multiple=True, help="article id, URL or source (repeatable)")
@click.option("--retry-failed", is_flag=True, help="also retry citations that failed or found no tweet")
@click.option("--refetch", is_flag=True, help="fetch again what is already stored")
@queue_option("resolve")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
@user_errors
def resolve(ctx: click.Context, articles_: tuple[str, ...], retry_failed: bool, refetch: bool,
            fmt: str) -> None:
    """Resolve pending citations: short links, tweets, media; snapshot every response."""
    settings = _settings(ctx)
    db = _database(ctx)
    ids = None
    if articles_:
        with db.reader() as session:
            ids = [queries.find_article(session, ref).id for ref in articles_]
    with _progress("resolving") as (advance, total):
        result = runs.resolve(settings, db, article_ids=ids, retry_failed=retry_failed,
                              refetch=refetch, progress=advance, total=total)
    if fmt == "json":
        stats = result.stats
        assert stats is not None
        render.print_json_line({
            "citations": stats.citations, "resolved": stats.resolved,
            "unresolved": stats.unresolved, "ambiguous": stats.ambiguous,
            "failed": stats.failed,
            "tweets": dict(stats.tweets),
            "media_saved": stats.media_saved, "bytes_saved": stats.bytes_saved,
            "links_expanded": stats.links_expanded, "failures": dict(stats.failures),
            "problems": list(dict.fromkeys(stats.messages)), "warc": result.warc,
        })
    else:
        render.resolve_report(result)


@main.command()
@click.option("--due", "mode", flag_value="due", default=True,
              help="check what is due (the default; for cron)")
@click.option("--all", "mode", flag_value="all", help="check everything once")
@click.option("--article", help="only links of this article (id, URL or source)")
@click.option("--domain", help="only links to this site")
@click.option("--limit", type=click.IntRange(min=1), help="check at most N targets")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True,
              help="checks at once (each host still gets at most per_host_concurrency)")
@queue_option("check")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
@user_errors
def check(ctx: click.Context, mode: str, article: str | None, domain: str | None,
          limit: int | None, concurrency: int, fmt: str) -> None:
    """Re-check stored links and cited tweets for rot, keeping every result."""
    settings = _settings(ctx)
    db = _database(ctx)
    article_id = None
    if article:
        with db.reader() as session:
            article_id = queries.find_article(session, article).id
    selection = check_service.Selection(due=mode == "due", article_id=article_id,
                                        domain=domain, limit=limit)
    try:
        with _terminate_like_interrupt(), _progress("checking") as (advance, total):
            total(limit or 0)
            stats = check_service.run(settings, db, selection, concurrency=concurrency,
                                      progress=advance)
    except (KeyboardInterrupt, Terminated) as stop:
        click.echo("archiver: check stopped; the checks finished so far are kept and the "
                   "rest is left for the next run", err=True)
        sys.exit(143 if isinstance(stop, Terminated) else 130)
    for notice in stats.notices:
        click.echo(f"archiver: {notice}", err=True)
    if fmt == "json":
        render.print_json_line({"checked": stats.checked, "outcomes": dict(stats.outcomes),
                                "states": dict(stats.states), "seconds": stats.seconds,
                                "leased_by_others": stats.leased_by_others,
                                "reclaimed": stats.reclaimed, "dropped": stats.dropped})
        return
    rows = [{"outcome": k, "count": v} for k, v in sorted(stats.outcomes.items())]
    render.output_rows(rows, "table", fields=("outcome", "count"),
                       title=f"checked {stats.checked} in {stats.seconds:.1f} s")
    for message in stats.messages[:render.MAX_MESSAGES]:
        click.echo(f"  problem: {message}")


@main.command()
@click.option("--article", help="only this article (id, URL or source)")
@click.option("--since", help="only articles published (or archived) on or after YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]),
              default="table", show_default=True)
@click.option("--output", "-o", type=FilePath(dir_okay=False, writable=True),
              help="write to this file instead of standard output")
@click.pass_context
@user_errors
def report(ctx: click.Context, article: str | None, since: str | None, fmt: str,
           output: str | None) -> None:
    """How much of what the articles cite is alive, moved, dead, hidden or drifted."""
    since_d = _date(since)
    with _database(ctx).reader() as session:
        data = report_service.build(session, article=article, since=since_d)
    out = io.StringIO() if output else sys.stdout
    if fmt == "json":
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "html":
        out.write(report_html.render(data))
    elif fmt == "csv":
        rows = [{"article_id": a["article_id"], "title": a["title"], "url": a["url"],
                 "published": a["published"], "age": a["age"],
                 **{f"links_{c}": a["links"][c] for c in report_service.CATEGORIES},
                 **{f"citations_{c}": a["citations"][c] for c in report_service.CATEGORIES}}
                for a in data["by_article"]]
        fields = ["article_id", "title", "url", "published", "age",
                  *(f"links_{c}" for c in report_service.CATEGORIES),
                  *(f"citations_{c}" for c in report_service.CATEGORIES)]
        render.output_rows(rows, "csv", fields=fields, out=out)
    else:
        render.report_tables(data, out)
    if output:  # written only once the whole report is rendered
        assert isinstance(out, io.StringIO)
        _write_whole(Path(output), out.getvalue())


def _write_whole(path: Path, text: str) -> None:
    """Write ``path`` all at once (a temporary file renamed), or fail in one line."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # its name was too long to create in the first place
            pass
        fail(f"{path}: cannot write: {exc.strerror or exc}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--start-over", is_flag=True,
              help="create a new, empty database even though the data folder holds blobs "
                   "(after losing the old database on purpose)")
@click.pass_context
@user_errors
def db_upgrade(ctx: click.Context, start_over: bool) -> None:
    """Check the database, then create or upgrade the schema to the newest revision."""
    settings = _settings(ctx.find_root())
    url = settings.effective_database_url
    database = Database(url, auto_upgrade=False)
    try:
        applied = prepare(database.engine, url, data_dir=settings.home, start_over=start_over,
                          verify=True)
        click.echo(f"schema at {current_revision(database.engine)}"
                   + (" (upgraded)" if applied else " (already current)"))
    finally:
        database.dispose()


main.add_command(serve_command)
register_job_commands(main)  # worker, jobs (cli_jobs.py)
