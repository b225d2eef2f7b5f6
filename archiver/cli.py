"""The command line: parse arguments, call the services, render. No SQL, no HTTP.

Start-up is measured: a CLI people run in loops and cron answers ``--version`` at
once. So this module imports only click and our light modules at the top; each
command imports the services (and with them SQLAlchemy, alembic, rich, Babel,
language identification) when it runs. tests/test_startup.py guards this.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from archiver import __version__, render
from archiver import cli_evidence as evidence_commands
from archiver.cli_jobs import queue_option
from archiver.cli_jobs import register as register_job_commands
from archiver.cli_web import serve as serve_command
from archiver.config import SETTINGS_BY_NAME, Settings, load_settings, settings_text
from archiver.detect.values import LINK_KINDS
from archiver.errors import ArchiverError, ConfigError, DatabaseError, NotFound, SourceError
from archiver.render import FilePath

if TYPE_CHECKING:
    from rich.console import Console

    from archiver.detect.values import Detection
    from archiver.services.archive import ArchiveSummary
    from archiver.services.sources import Source
    from archiver.store.db import Database

F = TypeVar("F", bound=Callable[..., Any])
# Field names of the data commands; each is checked against the store's in the tests.
ARTICLE_FIELDS = (
    "id", "identity", "source", "path", "url", "title", "language", "published", "authors",
    "format", "citations", "links", "first_archived_at", "last_archived_at", "versions",
)
TWEET_STATE_HELP = ("in this state (available, deleted, protected, suspended, withheld, "
                    "not_found or unreachable)")


@functools.cache
def _err() -> Console:
    """Standard error as a rich console (progress bars, skipped sources)."""
    from rich.console import Console

    return Console(stderr=True)


class LazyChoice(click.Choice):  # type: ignore[type-arg]  # generic only in click 8.2+
    """A Choice whose values come from a module imported only when the option is
    used or its help shown, so that defining the command costs nothing at start-up."""

    def __init__(self, load: Callable[[], tuple[str, ...]]) -> None:
        self._load = load
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return self._load()

    @choices.setter
    def choices(self, value: object) -> None:
        pass


def _link_states() -> tuple[str, ...]:
    from archiver.rules.verdicts import LINK_STATES

    return LINK_STATES


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``), so
    that an input holding them still makes a one-line message."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if c != " " and (c.isspace() or not c.isprintable()) else c for c in text)


def fail(message: str) -> None:
    click.echo(f"archiver: error: {one_line(message)}", err=True)
    sys.exit(1)


def user_errors(func: F) -> F:
    """Known failures become one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _refuse_nul(kwargs)
        try:
            return func(*args, **kwargs)
        except ArchiverError as exc:  # the root of every known failure (archiver/errors.py)
            fail(str(exc))
        except Exception as exc:
            mapped = _escaped_database_error(exc)
            if mapped is None:
                raise  # a bug: loud, with its traceback
            fail(str(mapped))
        except KeyboardInterrupt:
            click.echo("archiver: interrupted; nothing of the current run was stored", err=True)
            sys.exit(130)

    return cast(F, wrapper)


def _refuse_nul(values: dict[str, Any]) -> None:
    """A NUL byte in an option or argument is bad usage (exit 2): no file name, URL or
    database text can hold one (PostgreSQL refuses it in a query). A real argv cannot
    carry one; a program calling us in-process can."""
    ctx = click.get_current_context()
    for param in ctx.command.params:
        if param.name == "sources":  # read_source refuses them itself, naming each (exit 1)
            continue
        value = values.get(param.name or "")
        items = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, str) and "\x00" in v for v in items):
            raise click.BadParameter("a value cannot hold a NUL byte", ctx=ctx, param=param)


def _escaped_database_error(exc: Exception) -> DatabaseError | None:
    """A failure of the database itself that escaped the store's helpers (which map
    them to DatabaseError), as one line; None for anything else. SQLAlchemy is only
    looked at when a command has loaded it."""
    if "sqlalchemy" not in sys.modules:
        return None
    from archiver.store.db import as_database_error, describe

    settings = (click.get_current_context().find_root().obj or {}).get("settings")
    where = describe(settings.effective_database_url) if settings else "the database"
    return as_database_error(exc, where)


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


def _database(ctx: click.Context, *, create: bool = False) -> Database:
    """The archive's database. Only ``create`` (archive) makes a data folder and a
    database; every other command needs an archive to be there already, and says
    where it looked instead of creating an empty one."""
    if "db" not in ctx.obj:
        settings = _settings(ctx)
        _check_home(settings, create=create)
        from archiver.store.db import Database

        ctx.obj["db"] = Database(settings.effective_database_url, data_dir=settings.home)
        ctx.call_on_close(ctx.obj["db"].dispose)
    return cast(Database, ctx.obj["db"])


def _check_home(settings: Settings, *, create: bool) -> None:
    """Refuse, in one line naming it, a data folder that is a file or cannot be made,
    and on a read a SQLite archive that is not there; create nothing on the way."""
    from archiver.store.db import holds_archive, sqlite_path

    home = settings.home  # a home that is a file was refused by load_settings already
    path = sqlite_path(settings.effective_database_url)
    if not create:
        # a lost database beside blobs gets the store's own, more telling refusal
        if path is not None and not path.exists() and not (home.is_dir()
                                                           and holds_archive(home)):
            where = (f"--db {settings.database_url}" if settings.database_url
                     else "the data folder")
            raise NotFound(f"no archive here: {path} does not exist ({where}; archive "
                           "something first, or give --home, ARCHIVER_HOME or --db)")
        return
    if not home.is_dir():
        try:
            home.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the data folder {home}: "
                              f"{exc.strerror or exc}") from None
    elif not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(f"{home}: the data folder is not writable")
    if path is not None and settings.database_url and not path.parent.is_dir():
        raise DatabaseError(f"cannot create database {path}: its folder {path.parent} "
                            "does not exist (--db creates the file, not folders)")


format_option = render.output_options()  # the shared --format; see render.output_options


def _setting_help(name: str) -> str:
    """An option's help, from the settings table (archiver/config.py)."""
    row = SETTINGS_BY_NAME[name]
    return f"{row.help.split('; `--')[0]} (default: {row.shown_default}; env {row.env})"


def _print_settings(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(settings_text(), nl=False)
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
@click.option("--db", "database_url", metavar="URL", help=_setting_help("database_url"))
@click.option("--home", type=FilePath(file_okay=False, path_type=Path),
              help=_setting_help("home"))
@click.option("--help-settings", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_settings,
              help="list every setting: name, environment variable, default, meaning")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, home: Path | None) -> None:
    """Preserve news articles and the tweets they cite."""
    try:
        settings = load_settings(database_url=database_url, home=home)
    except ArchiverError as exc:
        fail(str(exc))
    ctx.obj = {"settings": settings}


def _read_all(sources: tuple[str, ...], settings: Settings, keep_going: bool
              ) -> tuple[list[tuple[Source, Detection]], list[str]]:
    """Read and detect every source before anything is stored."""
    from rich.progress import Progress

    from archiver.services.sources import detect_source, read_source

    err = _err()
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
    from archiver.services import runs

    settings = _settings(ctx)
    db = _database(ctx, create=True)
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
    from rich.progress import Progress

    with Progress(console=_err(), transient=True) as progress:
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


DETECTION_FIELDS = ("source", "title", "language", "format", "canonical_url", "authors",
                    "published", "citations", "links")


@main.command()
@click.argument("sources", nargs=-1, required=True)
@format_option
@click.pass_context
@user_errors
def detect(ctx: click.Context, sources: tuple[str, ...], fmt: str) -> None:
    """Detect citations and links without storing anything (one row per source)."""
    from archiver.services.sources import detect_source, read_source

    settings = _settings(ctx)
    detections = (render.detection_dict(given, detect_source(read_source(given, settings)))
                  for given in sources)
    if fmt != "table":
        render.output_rows(detections, fmt, fields=DETECTION_FIELDS)
        return
    for result in detections:
        render.output_rows(
            result["citations"], "table",
            fields=("kind", "handle", "date", "tweet_id", "text", "links"),
            title=f"{result['source']}: {result['title'] or ''} [{result['language'] or '?'}]",
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
    from archiver.store import queries

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
@click.option("--state", type=LazyChoice(_link_states), help="state of the link")
@format_option
@click.pass_context
@user_errors
def links(ctx: click.Context, article: str | None, domain: str | None, kind: str | None,
          state: str | None, fmt: str) -> None:
    """List stored links with where they occur and their latest check."""
    from archiver.store import queries

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
    from archiver.store import queries

    with _database(ctx).reader() as session:
        rows = queries.articles(session)
    render.output_rows(
        rows, fmt, fields=ARTICLE_FIELDS,
        table_fields=("id", "source", "title", "citations", "links", "last_archived_at"),
        title=f"{len(rows)} article(s)",
    )


@main.command()
@click.option("--handle", help="by this account (now, or as cited), with or without @")
@click.option("--state", help=TWEET_STATE_HELP)
@click.option("--article", help="cited by this article (id, URL or source)")
@format_option
@click.pass_context
@user_errors
def tweets(ctx: click.Context, handle: str | None, state: str | None, article: str | None,
           fmt: str) -> None:
    """List the tweets we hold: state and its evidence, author, text, media, citations."""
    from archiver.providers.tweet import TWEET_STATES
    from archiver.store import tweet_queries
    from archiver.store.blobs import BlobStore

    if state is not None and state not in TWEET_STATES:
        fail(f"--state {state!r}: not a tweet state (one of {', '.join(TWEET_STATES)})")
    with _database(ctx).reader() as session:
        rows = tweet_queries.tweets(session, BlobStore(_settings(ctx).blob_dir), handle=handle,
                                    state=state, article=article)
    render.output_rows(rows, fmt, fields=tweet_queries.TWEET_FIELDS,
                       table_fields=tweet_queries.TABLE_FIELDS, title=f"{len(rows)} tweet(s)")


SHOW_FIELDS = (*ARTICLE_FIELDS, "paragraphs", "citation_list")


@main.command()
@click.argument("article")
@render.output_options(extra_formats=("text",))
@click.pass_context
@user_errors
def show(ctx: click.Context, article: str, fmt: str) -> None:
    """Show an article's text with its citations marked (table or text: the same view)."""
    from archiver.store import queries

    with _database(ctx).reader() as session:
        detail = queries.article_detail(session, article)
    if fmt not in ("table", "text"):
        render.output_rows([detail], fmt, fields=SHOW_FIELDS)
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
@format_option
@click.pass_context
@user_errors
def resolve(ctx: click.Context, articles_: tuple[str, ...], retry_failed: bool, refetch: bool,
            fmt: str) -> None:
    """Resolve pending citations: short links, tweets, media; snapshot every response."""
    from archiver.services import runs
    from archiver.store import queries

    settings = _settings(ctx)
    db = _database(ctx)
    ids = None
    if articles_:
        with db.reader() as session:
            ids = [queries.find_article(session, ref).id for ref in articles_]
    with _progress("resolving") as (advance, total):
        result = runs.resolve(settings, db, article_ids=ids, retry_failed=retry_failed,
                              refetch=refetch, progress=advance, total=total)
    if fmt == "table":
        render.resolve_report(result)
        return
    stats = result.stats
    assert stats is not None
    summary = {
        "citations": stats.citations, "resolved": stats.resolved,
        "unresolved": stats.unresolved, "ambiguous": stats.ambiguous,
        "failed": stats.failed,
        "tweets": dict(stats.tweets),
        "media_saved": stats.media_saved, "bytes_saved": stats.bytes_saved,
        "links_expanded": stats.links_expanded, "failures": dict(stats.failures),
        "problems": list(dict.fromkeys(stats.messages)), "warc": result.warc,
    }
    render.output_rows([summary], fmt, fields=RESOLVE_FIELDS)


RESOLVE_FIELDS = ("citations", "resolved", "unresolved", "ambiguous", "failed", "tweets",
                  "media_saved", "bytes_saved", "links_expanded", "failures", "problems", "warc")
CHECK_FIELDS = ("checked", "outcomes", "states", "seconds", "leased_by_others", "reclaimed",
                "dropped")


@main.command()
@click.option("--due", "mode", flag_value="due", default=True,
              help="check what is due (the default; for cron)")
@click.option("--all", "mode", flag_value="all", help="check everything once")
@click.option("--article", help="only links of this article (id, URL or source)")
@click.option("--domain", help="only links to this site")
@click.option("--limit", type=click.IntRange(min=1), help="check at most N targets")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=256, show_default=True,
              help="checks at once, on one event loop (each host still gets at most "
                   "per_host_concurrency, per_host_delay apart)")
@queue_option("check")
@format_option
@click.pass_context
@user_errors
def check(ctx: click.Context, mode: str, article: str | None, domain: str | None,
          limit: int | None, concurrency: int, fmt: str) -> None:
    """Re-check stored links and cited tweets for rot, keeping every result."""
    from archiver.services import check as check_service
    from archiver.store import queries

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
    if fmt != "table":
        render.output_rows([{"checked": stats.checked, "outcomes": dict(stats.outcomes),
                             "states": dict(stats.states), "seconds": stats.seconds,
                             "leased_by_others": stats.leased_by_others,
                             "reclaimed": stats.reclaimed, "dropped": stats.dropped}],
                           fmt, fields=CHECK_FIELDS)
        return
    rows = [{"outcome": k, "count": v} for k, v in sorted(stats.outcomes.items())]
    render.output_rows(rows, "table", fields=("outcome", "count"),
                       title=f"checked {stats.checked} in {stats.seconds:.1f} s")
    for message in stats.messages[:render.MAX_MESSAGES]:
        click.echo(f"  problem: {message}")


@main.command()
@click.option("--article", help="only this article (id, URL or source)")
@click.option("--since", help="only articles published (or archived) on or after YYYY-MM-DD")
@render.output_options(extra_formats=("html",), output=True)
@click.pass_context
@user_errors
def report(ctx: click.Context, article: str | None, since: str | None, fmt: str,
           output: Path | None) -> None:
    """How much of what the articles cite is alive, moved, dead, hidden or drifted.

    json and jsonl hold the whole report as one row; csv is one row per article."""
    from archiver import report_html
    from archiver.services import report as report_service

    since_d = _date(since)
    with _database(ctx).reader() as session:
        data = report_service.build(session, article=article, since=since_d)
    with render.open_output(output) as out:  # a file is renamed into place once complete
        if fmt in ("json", "jsonl"):
            render.output_rows([data], fmt, fields=REPORT_FIELDS, out=out)
        elif fmt == "html":
            out.write(report_html.render(data))
        elif fmt == "csv":
            cats = report_service.CATEGORIES
            rows = ({"article_id": a["article_id"], "title": a["title"], "url": a["url"],
                     "published": a["published"], "age": a["age"],
                     **{f"links_{c}": a["links"][c] for c in cats},
                     **{f"citations_{c}": a["citations"][c] for c in cats}}
                    for a in data["by_article"])
            fields = ["article_id", "title", "url", "published", "age",
                      *(f"links_{c}" for c in cats), *(f"citations_{c}" for c in cats)]
            render.output_rows(rows, "csv", fields=fields, out=out)
        else:
            render.report_tables(data, out)


REPORT_FIELDS = ("generated_at", "categories", "totals", "by_article", "by_domain", "by_age",
                 "items", "timeline")


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
    _check_home(settings, create=True)
    from archiver.store.db import Database, current_revision, prepare

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
main.add_command(evidence_commands.export)
main.add_command(evidence_commands.verify)
main.add_command(evidence_commands.stamp)
