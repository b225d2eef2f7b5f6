"""One exception tree: every known failure is an ArchiverError, importable from
archiver.errors and from the module that raises it, and the CLI turns any of
them into one line with exit status 1."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from archiver import errors
from archiver.cli import main, user_errors
from archiver.config import ConfigError
from archiver.net import errors as net_errors
from archiver.services.sources import SourceError
from archiver.store.db import DatabaseError
from archiver.store.queries import NotFound
from archiver.store.tempfiles import DiskFull


def test_every_known_failure_is_under_one_root():
    for cls in (ConfigError, SourceError, DatabaseError, NotFound, DiskFull,
                net_errors.FetchError, net_errors.Timeout, net_errors.BlockedAddress,
                errors.WaybackError, errors.OutputError):
        assert issubclass(cls, errors.ArchiverError), cls
    # the names where they were are the same classes, not copies
    assert net_errors.FetchError is errors.FetchError and DiskFull is errors.DiskFull
    assert issubclass(DiskFull, DatabaseError)  # a full disk under the database's folder


@pytest.mark.parametrize("error", [
    errors.WaybackError("https://archive.org/wayback/available?url=x: not JSON"),
    net_errors.DNSFailure("https://nowhere.invalid/", "name does not resolve"),
    errors.OutputError("out/x.csv: cannot write: No such file or directory"),
])
def test_the_cli_catches_the_root_once(error):
    @click.command()
    @user_errors
    def failing() -> None:
        raise error

    result = CliRunner().invoke(failing, [], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == f"archiver: error: {error}\n"


def test_a_bug_stays_loud():
    @click.command()
    @user_errors
    def buggy() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        CliRunner().invoke(buggy, [], catch_exceptions=False)


def test_an_unknown_article_is_one_line(home, db_url):
    env = {"ARCHIVER_HOME": str(home), "ARCHIVER_DATABASE_URL": db_url}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(main, ["show", "999"], env=env)
    assert result.exit_code == 1 and result.stderr.startswith("archiver: error:")
    assert "999" in result.stderr and len(result.stderr.splitlines()) == 1
