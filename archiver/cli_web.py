"""``archiver serve``: the click command; Starlette, Jinja2 and uvicorn are imported
only when it runs, so that every other command starts as fast as before."""

from __future__ import annotations

import ipaddress

import click

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; anything but loopback exposes the archive")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="port to listen on")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Browse the archive in a web browser (read-only): articles, tweets, links,
    the rot report and downloads, each page also as JSON at PATH.json."""
    from archiver.cli import fail
    from archiver.errors import DatabaseError

    try:
        import uvicorn

        from archiver.web.app import LOOPBACK_HOSTS, create_app
    except ImportError as exc:  # pragma: no cover - installed by default
        fail(f"archiver serve needs the web extra: pip install 'archiver[web]' ({exc})")
    settings = ctx.find_root().obj["settings"]
    allowed = LOOPBACK_HOSTS if _is_loopback(host) else None
    try:
        app = create_app(settings, allowed_hosts=allowed)
    except DatabaseError as exc:
        fail(str(exc))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"archiver: serving {settings.home} read-only at http://{shown}:{port}/ "
               "(Ctrl-C to stop)", err=True)
    if not _is_loopback(host):
        click.echo(f"archiver: warning: {host} is not loopback; anyone who can reach it can "
                   "read the whole archive", err=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except (OSError, SystemExit) as exc:
        fail(f"cannot serve on {shown}:{port}: {exc}")
