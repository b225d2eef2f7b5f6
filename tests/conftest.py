"""Shared fixtures: a fresh database per test, on SQLite or on PostgreSQL.

The database is chosen by ``ARCHIVER_TEST_DATABASE_URL``: unset, each test gets
its own SQLite file in tmp_path; set to a PostgreSQL URL, each test gets its own
schema there (created and dropped around the test), so tests never see each
other's rows and can run against one server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fakeweb.fixtures import fakeweb, fakeweb_session  # noqa: F401 - pytest fixtures
from tests.web_helpers import fresh_database, web_archive  # noqa: F401 - pytest fixture

TEST_DB_ENV = "ARCHIVER_TEST_DATABASE_URL"
# Every host name a test fetches goes to a closed port on loopback unless the test
# routes it to the fake web: no test sends a packet (not even a DNS query) outside.
DEAD_END = "*:443=127.0.0.1:9,*:80=127.0.0.1:9"


@pytest.fixture(autouse=True)
def _no_packet_leaves_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVER_CONNECT_TO", DEAD_END)
    monkeypatch.delenv("ARCHIVER_ALLOW_PRIVATE_NETWORKS", raising=False)
    monkeypatch.delenv("ARCHIVER_HOME", raising=False)
    monkeypatch.delenv("ARCHIVER_DATABASE_URL", raising=False)


def backend() -> str:
    url = os.environ.get(TEST_DB_ENV, "")
    return make_url(url).get_backend_name() if url else "sqlite"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:  # a SQLite file, or a PostgreSQL schema of its own
        yield url


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def seed_path() -> Path:
    return Path(__file__).resolve().parents[1] / "seeds" / "nagorno-karabakh-2020-10-01.txt"
