"""Commands of the job queue: ``archiver worker``, ``archiver jobs``, and ``--queue``
on ``archive``, ``resolve`` and ``check`` (PostgreSQL only; on SQLite every command
runs in-process and ``--queue`` is refused in one line).

Commands at the cli layer (archiver/cli_*.py); registered from cli.py with
``register(main)`` and the ``queue_option`` decorator, so that cli.py keeps only a
line per command. The work is in archiver/jobs/ (tasks, worker) and store/jobs.py. Procrastinate is imported inside the
commands: start-up time of every other command stays as it is.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])


def _cli() -> Any:
    from archiver import cli

    return cli


def _context() -> tuple[Any, Any]:
    """Settings and database of the running command."""
    cli = _cli()
    ctx = click.get_current_context()
    return cli._settings(ctx.find_root()), cli._database(ctx.find_root())


def queue_option(kind: str) -> Callable[[F], F]:
    """``--queue``: enqueue the command's work for the workers instead of doing it."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, queue: bool = False, **kwargs: Any) -> Any:
            if not queue:
                return func(*args, **kwargs)
            return _cli().user_errors(_ENQUEUE[kind])(**kwargs)

        return cast(F, click.option(  # wraps func, plus a --queue flag click takes away
            "--queue", is_flag=True,
            help="enqueue the work for `archiver worker` instead of doing it (PostgreSQL)",
        )(wrapper))

    return decorate


def _open_app() -> tuple[Any, Any, Any]:
    from archiver.jobs.app import build_app, require_postgres

    settings = _cli()._settings(click.get_current_context().find_root())
    require_postgres(settings, "--queue")  # before a SQLite file is made or opened
    settings, db = _context()
    return settings, db, build_app(settings, db)


def _report(what: str, outcome: Any, fmt: str) -> None:
    cli = _cli()
    if fmt != "table":  # the shared output path: json is one array, as everywhere
        cli.render.output_rows([{"queued": outcome.queued, "already_queued": outcome.already}],
                               fmt, fields=("queued", "already_queued"))
        return
    note = f" ({outcome.already} already queued)" if outcome.already else ""
    click.echo(f"queued {outcome.queued} {what} job(s){note}")


def _enqueue_archive(*, sources: tuple[str, ...], offline: bool, with_links: bool | None,
                     fmt: str, **_: Any) -> None:
    from archiver.jobs.app import enqueue_archives

    if offline and with_links:
        raise click.UsageError("--with-links fetches every link: it cannot be --offline")
    _settings, _db, app = _open_app()
    local = [s for s in sources if not s.startswith(("http://", "https://"))]
    if local:
        _cli().fail(f"{local[0]}: only URLs can be queued (a worker may not see this file "
                    "or input): archive it without --queue")
    with app.open():
        outcome = enqueue_archives(app, sources, offline=offline, with_links=with_links)
    _report("archive", outcome, fmt)


def _enqueue_resolve(*, articles_: tuple[str, ...], retry_failed: bool, refetch: bool,
                     fmt: str, **_: Any) -> None:
    from archiver.jobs.app import enqueue_resolves
    from archiver.store import jobs as job_store
    from archiver.store import queries

    _settings, db, app = _open_app()
    ids = None
    if articles_:
        with db.reader() as session:
            ids = [queries.find_article(session, ref).id for ref in articles_]
    states = ["pending"] + (["failed", "unresolved"] if retry_failed else [])
    if refetch:
        states += ["resolved", "failed", "unresolved", "ambiguous"]
    citations = job_store.citations_to_resolve(db, ids, sorted(set(states)))
    with app.open():
        outcome = enqueue_resolves(app, citations, refetch=refetch)
    _report("resolve", outcome, fmt)


def _enqueue_check(*, mode: str, article: str | None, domain: str | None, limit: int | None,
                   fmt: str, **_: Any) -> None:
    from archiver.jobs.app import enqueue_checks
    from archiver.store import queries
    from archiver.store.targets import Selection

    if mode != "due" or limit is not None:
        raise click.UsageError("--queue enqueues what is due: it takes --article and "
                               "--domain, not --all or --limit")
    _settings, db, app = _open_app()
    article_id = None
    if article:
        with db.reader() as session:
            article_id = queries.find_article(session, article).id
    with app.open():
        outcome = enqueue_checks(app, db, Selection(due=True, article_id=article_id,
                                                    domain=domain))
    _report("check", outcome, fmt)


_ENQUEUE: dict[str, Callable[..., None]] = {
    "archive": _enqueue_archive, "resolve": _enqueue_resolve, "check": _enqueue_check,
}


def _one_line(record: logging.LogRecord) -> bool:
    record.exc_info = None
    record.exc_text = None
    return True


@click.command()
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True,
              help="jobs at once in this process")
@click.option("--queue", "queues", multiple=True,
              type=click.Choice(("archive", "resolve", "check")),
              help="take jobs of this queue only (repeatable; default: all)")
@click.option("--until-idle", is_flag=True,
              help="exit when nothing is queued or running (for batch runs and CI)")
@click.option("--schedule", is_flag=True,
              help="also enqueue `check --due` every hour (safe on several workers)")
@click.option("--check-concurrency", type=click.IntRange(1, 256), default=16,
              show_default=True, help="checks at once within one check job")
@click.option("-v", "--verbose", is_flag=True, help="log every job on stderr")
def worker(concurrency: int, queues: tuple[str, ...], until_idle: bool, schedule: bool,
           check_concurrency: int, verbose: bool) -> None:
    """Run jobs from the queue (PostgreSQL): start as many as you like, anywhere."""
    from archiver.cli import user_errors  # typed; the module itself is imported lazily
    from archiver.jobs.app import require_postgres

    cli = _cli()

    @user_errors
    def run() -> int:
        from archiver.jobs.worker import WorkerOptions, run_worker

        settings = cli._settings(click.get_current_context().find_root())
        require_postgres(settings, "archiver worker")
        settings, db = _context()
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        if not verbose:  # a failed job is one line (its reason is in `archiver jobs`)
            handler.addFilter(_one_line)
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                            handlers=[handler])
        options = WorkerOptions(concurrency=concurrency, queues=queues, until_idle=until_idle,
                                schedule=schedule, check_concurrency=check_concurrency)
        return run_worker(settings, db, options)

    status = run()
    if status:
        click.echo("archiver: worker stopped; running jobs were finished or queued again",
                   err=True)
    sys.exit(status)


@click.command()
@click.option("--state", type=click.Choice(("queued", "running", "failed", "done", "cancelled",
                                            "aborted")),
              help="only jobs in this state")
@click.option("--queue", type=click.Choice(("archive", "resolve", "check")),
              help="only jobs of this queue")
@click.option("--counts", is_flag=True, help="jobs per queue and state only (for monitoring)")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="newest jobs shown")
def jobs(state: str | None, queue: str | None, counts: bool, limit: int, fmt: str) -> None:
    """The job queue (PostgreSQL): counts per queue, then jobs, failed ones with why."""
    from archiver.cli import user_errors  # typed; the module itself is imported lazily

    cli = _cli()

    @user_errors
    def show() -> None:
        from archiver.jobs.app import require_postgres
        from archiver.store import jobs as job_store

        settings = cli._settings(click.get_current_context().find_root())
        require_postgres(settings, "archiver jobs")
        settings, db = _context()
        per_queue = job_store.counts(db)
        if counts:
            cli.render.output_rows(per_queue, fmt, fields=job_store.COUNT_FIELDS,
                                   title="jobs per queue")
            return
        rows = job_store.jobs(db, state=state, queue=queue, limit=limit)
        if fmt == "table":
            cli.render.output_rows(per_queue, fmt, fields=job_store.COUNT_FIELDS,
                                   title="jobs per queue")
        cli.render.output_rows(rows, fmt, fields=job_store.JOB_FIELDS,
                               title=f"{len(rows)} job(s), newest first")

    show()


def register(main: click.Group) -> None:
    main.add_command(worker)
    main.add_command(_cli().format_option(jobs))
