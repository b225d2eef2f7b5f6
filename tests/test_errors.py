"""Bad input: one line naming the input, a non-zero exit, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, inspect, select

from archiver.store import models as m
from tests.cli_helpers import run


def _articles(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        if not inspect(engine).has_table("article"):
            return 0
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(m.Article)).scalar_one()
    finally:
        engine.dispose()


def _one_line_error(result, needle: str) -> None:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archiver: error:") and needle in lines[0]
    assert "Traceback" not in result.output


def test_missing_file(home, db_url, seed_path):
    result = run(home, db_url, "archive", str(seed_path), "no/such/file.txt")
    _one_line_error(result, "no/such/file.txt: no such file")
    assert _articles(db_url) == 0  # the good source before it was not stored either


def test_keep_going_stores_the_good_sources(home, db_url, seed_path):
    result = run(home, db_url, "archive", "--offline", "--keep-going", str(seed_path), "missing.txt")
    assert result.exit_code == 1
    assert "missing.txt: no such file" in result.stderr
    assert _articles(db_url) == 1


def test_binary_file_is_not_an_article(home, db_url, tmp_path):
    image = tmp_path / "photo.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _one_line_error(run(home, db_url, "archive", str(image)), "not HTML or text")


def test_empty_article(home, db_url, tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>Menu</nav></body></html>")
    _one_line_error(run(home, db_url, "archive", str(empty)), "no article text found")
    assert _articles(db_url) == 0


def test_directory_and_unsupported_scheme(home, db_url, tmp_path):
    _one_line_error(run(home, db_url, "archive", str(tmp_path)), "not a file")
    _one_line_error(run(home, db_url, "archive", "ftp://example.com/x"), "only http(s) URLs")


@pytest.mark.parametrize("url", ["notadb://x", "postgresql+nodriver://u@h/db", "::::"])
def test_bad_database_url(home, seed_path, url):
    result = run(home, url, "archive", str(seed_path))
    _one_line_error(result, "database")


def test_unreachable_database(home, seed_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    _one_line_error(run(home, url, "articles"), "cannot open database")


def test_unknown_article(home, db_url):
    assert run(home, db_url, "db", "upgrade").exit_code == 0  # an archive, empty
    _one_line_error(run(home, db_url, "show", "42"), "42: no such article")


def test_bad_date_filter(home, db_url):
    result = run(home, db_url, "citations", "--since", "yesterday")
    assert result.exit_code == 2 and "not a date" in result.stderr


def test_with_links_cannot_be_offline(home, db_url, seed_path):
    result = run(home, db_url, "archive", "--offline", "--with-links", str(seed_path))
    assert result.exit_code == 2 and "cannot be --offline" in result.stderr
    assert _articles(db_url) == 0


@pytest.mark.parametrize("url", ["http://[::1", "https://[fe80::1/x", "http://:80/x",
                                 "https://example.org:99999/"])
@pytest.mark.parametrize("command", ["detect", "archive"])
def test_malformed_url_is_one_line(home, db_url, url, command):
    result = run(home, db_url, command, url)
    _one_line_error(result, f"{url}: not a valid URL")
    assert _articles(db_url) == 0


def test_report_to_a_missing_folder_is_one_line_and_writes_nothing(home, db_url, seed_path,
                                                                   tmp_path):
    assert run(home, db_url, "archive", "--offline", str(seed_path)).exit_code == 0
    target = tmp_path / "missing-dir" / "x.html"
    _one_line_error(run(home, db_url, "report", "--format", "html", "-o", str(target)),
                    f"{target}: cannot write")
    assert not target.parent.exists()
    written = tmp_path / "report.html"
    assert run(home, db_url, "report", "--format", "html", "-o", str(written)).exit_code == 0
    assert written.read_text("utf-8").startswith("<!doctype html>")
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_unknown_link_state_is_refused_like_an_unknown_kind(home, db_url):
    for option in ("--state", "--kind"):
        result = run(home, db_url, "links", option, "bogus")
        assert result.exit_code == 2 and "bogus" in result.output
