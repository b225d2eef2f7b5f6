"""An archive for the web view's tests, made once per module on the fake web: the
seed article resolved (four tweets, one photo), a second article citing a video
tweet and a tweet whose archived text carries script payloads, every link
checked twice so that it has a history."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cli_helpers import run
from tests.fakeweb import dataset as ds
from tests.fakeweb.data import Tweet, default_data, snowflake, utc

TEST_DB_ENV = "ARCHIVER_TEST_DATABASE_URL"  # as tests/conftest.py (which imports this module)
FAST = {"ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "5",
        "ARCHIVER_TIMEOUT_READ": "2"}
XSS_ID = snowflake(utc("2020-10-01T20:01:02.003"), 4096)
XSS_TEXT = ('Payloads <script>window.__pwned = 1; document.title = "pwned"</script> and '
            '<img src=x onerror="window.__pwned = 2; document.title = \'pwned\'"> and '
            '"quotes" & ampersands')
SEED = Path(__file__).resolve().parents[1] / "seeds" / "nagorno-karabakh-2020-10-01.txt"


@dataclass
class Archive:
    home: Path
    db_url: str
    seed_id: int = 1
    second_id: int = 2
    third_id: int = 3  # a deleted tweet and a misattributed quote


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """A database of its own (SQLite file, or a PostgreSQL schema), as conftest's db_url."""
    base = os.environ.get(TEST_DB_ENV)
    if not base:
        yield f"sqlite:///{folder / 'archive.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build(folder: Path, db_url: str, web) -> Archive:  # type: ignore[no-untyped-def]
    web.data = default_data()
    web.clear_faults()
    web.data.add_tweet(Tweet(XSS_ID, "3012345678", XSS_TEXT, utc("2020-10-01T20:01:02"),
                             "caucasus_desk"))
    home = folder / "home"
    home.mkdir()
    env = {**web.env(), **FAST}
    ok = run(home, db_url, "archive", "--with-links", str(SEED), env=env)
    assert ok.exit_code == 0, ok.output
    second = folder / "second.txt"
    second.write_text(
        "A second story, with a video and a hostile tweet.\n\n"
        f"https://twitter.com/caucasus_desk/status/{ds.VIDEO_ID}\n\n"
        f"https://twitter.com/caucasus_desk/status/{XSS_ID}\n", encoding="utf-8")
    ok = run(home, db_url, "archive", str(second), env=env)
    assert ok.exit_code == 0, ok.output
    third = folder / "third.txt"
    third.write_text(
        "A third story: one tweet since deleted, one quote nobody posted.\n\n"
        f"https://twitter.com/caucasus_watch/status/{ds.DELETED_ID}\n\n"
        "We will never surrender our homeland, never.\n\n"
        "— Nikol Pashinyan (@NikolPashinyan) October 1, 2020\n", encoding="utf-8")
    ok = run(home, db_url, "archive", str(third), env=env)
    assert ok.exit_code == 0, ok.output
    ok = run(home, db_url, "check", "--all", env=env)
    assert ok.exit_code == 0, ok.output
    # the report's story gets a second chapter: the linked report is gone
    web.fault("www.jpost.com", "/middle-east/azerbaijan-drones-report", "status", code=404)
    ok = run(home, db_url, "check", "--all", env=env)
    web.clear_faults()
    assert ok.exit_code == 0, ok.output
    return Archive(home, db_url)


@pytest.fixture(scope="session")
def web_archive(tmp_path_factory, fakeweb_session) -> Iterator[Archive]:  # type: ignore[no-untyped-def]
    """One archive for all the web view's tests (they only read it)."""
    folder = tmp_path_factory.mktemp("web")
    with fresh_database(folder) as url:
        yield build(folder, url, fakeweb_session)
