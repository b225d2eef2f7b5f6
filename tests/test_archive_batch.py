"""archive --with-links stores links in batches: many links in one article, the same
link in several articles, and a run that fails while writing them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from archiver.store import models as m
from archiver.store import upsert
from tests.cli_helpers import run
from tests.fakeweb.data import Page

HOSTS = ("example.com", "blog.example", "www.example.com")  # in the fake web's certificate


def target(i: int) -> str:
    return f"https://{HOSTS[i % len(HOSTS)]}/story/{i}"


def article(path: Path, title: str, numbers: list[int], spelling: str = "") -> Path:
    """An article file citing ``target(i)`` for each of ``numbers``, in order (a number
    given twice is cited twice, in two paragraphs); ``spelling`` is appended to the URL
    as written (a tracking parameter: the same link once normalized)."""
    paras = [f"<p>Paragraph {n} says the <a href='{target(i)}{spelling}'>report {i}</a>"
             " is out.</p>" for n, i in enumerate(numbers)]
    path.write_text(f"<html lang='en'><head><title>{title}</title></head><body><article>"
                    f"<h1>{title}</h1>{''.join(paras)}</article></body></html>")
    return path


def serve(web, numbers: range) -> None:  # type: ignore[no-untyped-def]
    for i in numbers:
        web.data.add_page(Page(target(i), f"<html><body><article><p>Target page {i} with "
                                          "a text long enough to be its main text.</p>"
                                          "</article></body></html>".encode()))


def fetches(web, i: int) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for hit in web.hits_for(HOSTS[i % len(HOSTS)], f"/story/{i}")
               if hit.path == f"/story/{i}")


def stored(db_url: str) -> dict[str, object]:
    engine = create_engine(db_url)
    with Session(engine) as session:
        links = {link.normalized: link for link in session.scalars(select(m.Link))}
        found: dict[str, object] = {
            "links": {n: (link.url, link.kind, link.domain, link.snapshot_error,
                          link.snapshot_capture_id is not None, link.snapshot_text_sha256)
                      for n, link in links.items()},
            "occurrences": sorted(
                (links_by_id, article_id, para, start) for links_by_id, article_id, para, start
                in session.execute(select(m.Link.normalized, m.LinkOccurrence.article_id,
                                          m.LinkOccurrence.paragraph, m.LinkOccurrence.start)
                                   .join(m.Link, m.Link.id == m.LinkOccurrence.link_id))),
            "articles": session.scalar(select(func.count()).select_from(m.Article)),
            "captures": session.scalar(select(func.count()).select_from(m.Capture)),
        }
    engine.dispose()
    return found


def test_many_links_in_one_article_are_stored_once_each_with_their_copy(
        home, db_url, fakeweb, tmp_path, monkeypatch):
    monkeypatch.setattr(upsert, "CHUNK", 7)  # 60 links: several chunks, a short last one
    serve(fakeweb, range(60))
    numbers = [*range(60), 5, 17, 59]  # three links cited twice
    path = article(tmp_path / "many.html", "Many", numbers, spelling="?utm_source=x")
    result = run(home, db_url, "archive", "--with-links", str(path), env=fakeweb.env())
    assert result.exit_code == 0, result.output
    assert "outbound links kept: 60, failed: 0" in result.stdout
    found = stored(db_url)
    links = found["links"]
    assert isinstance(links, dict) and set(links) == {target(i) for i in range(60)}
    for normalized, (url, kind, domain, error, kept, text_sha) in links.items():
        assert url == normalized + "?utm_source=x"  # as first written
        assert kind == "external" and domain == normalized.split("/")[2]
        assert error is None and kept
        blob = home / "blobs" / text_sha[:2] / text_sha[2:4] / text_sha
        text = blob.read_bytes()
        assert hashlib.sha256(text).hexdigest() == text_sha  # named by its hash
        assert text.decode().startswith(f"Target page {normalized.rsplit('/', 1)[1]} ")
    assert len(found["occurrences"]) == 63  # type: ignore[arg-type]
    for i in range(60):  # one copy fetched per link, however often it is cited
        assert fetches(fakeweb, i) == 1, i


def test_a_link_in_several_articles_is_one_link_with_an_occurrence_in_each(
        home, db_url, fakeweb, tmp_path):
    serve(fakeweb, range(12))
    first = article(tmp_path / "first.html", "First", [0, 1, 2, 3])
    assert run(home, db_url, "archive", "--with-links", str(first),
               env=fakeweb.env()).exit_code == 0
    # One run, two articles sharing links with each other and with the first run.
    second = article(tmp_path / "second.html", "Second", [2, 3, 4, 5, 6], spelling="?utm_medium=y")
    third = article(tmp_path / "third.html", "Third", [6, 5, 7, 0, 8])
    result = run(home, db_url, "archive", "--with-links", str(second), str(third),
                 env=fakeweb.env())
    assert result.exit_code == 0, result.output
    found = stored(db_url)
    links = found["links"]
    assert isinstance(links, dict) and set(links) == {target(i) for i in range(9)}
    assert links[target(2)][0] == target(2)  # stored by the first run: kept as it was
    assert links[target(4)][0] == target(4) + "?utm_medium=y"  # first written in this run so
    assert links[target(6)][0] == target(6) + "?utm_medium=y"  # so before "Third" wrote it plain
    assert all(kept and error is None for _, _, _, error, kept, _ in links.values())
    per_link: dict[str, int] = {}
    for normalized, *_ in found["occurrences"]:  # type: ignore[attr-defined]
        per_link[normalized] = per_link.get(normalized, 0) + 1
    assert per_link == {target(0): 2, target(1): 1, target(2): 2, target(3): 2,
                        target(4): 1, target(5): 2, target(6): 2, target(7): 1, target(8): 1}
    for i in range(9):  # each copy fetched once, by the run that first met the link
        assert fetches(fakeweb, i) == 1, i


def test_a_run_that_fails_while_storing_links_stores_nothing_and_a_rerun_stores_all(
        home, db_url, fakeweb, tmp_path, monkeypatch):
    serve(fakeweb, range(10))
    paths = [article(tmp_path / "one.html", "One", [0, 1, 2, 3, 4]),
             article(tmp_path / "two.html", "Two", [4, 5, 6, 7, 8, 9])]
    real = upsert.upsert_links
    calls = []

    def failing(session, links):  # type: ignore[no-untyped-def]
        calls.append(len(links))
        if len(calls) == 2:  # the second article's links, the first's written already
            raise RuntimeError("the database went away")
        return real(session, links)

    monkeypatch.setattr("archiver.services.archive.upsert_links", failing)
    with pytest.raises(RuntimeError, match="went away"):
        run(home, db_url, "archive", "--with-links", *map(str, paths), env=fakeweb.env())
    assert calls == [5, 6]
    empty = stored(db_url)
    assert empty == {"links": {}, "occurrences": [], "articles": 0, "captures": 0}
    assert not list((home / "warcs").glob("*.warc.gz"))  # no WARC for a run that stored nothing

    monkeypatch.setattr("archiver.services.archive.upsert_links", real)
    result = run(home, db_url, "archive", "--with-links", *map(str, paths), env=fakeweb.env())
    assert result.exit_code == 0, result.output
    found = stored(db_url)
    links = found["links"]
    assert isinstance(links, dict) and set(links) == {target(i) for i in range(10)}
    assert all(kept and text for _, _, _, _, kept, text in links.values())
    assert len(found["occurrences"]) == 11  # type: ignore[arg-type]
    assert found["articles"] == 2 and found["captures"] == 12  # 2 files + 10 copies
    assert len(list((home / "warcs").glob("*.warc.gz"))) == 1


def test_a_redirected_link_and_an_error_page_are_kept_hop_by_hop(
        home, db_url, fakeweb, tmp_path):
    serve(fakeweb, range(3))
    moved, gone = "https://example.com/old/1", "https://blog.example/gone/2"
    fakeweb.data.add_page(Page(moved, b"<html><body>Moved</body></html>", status=301,
                               location=target(0)))
    fakeweb.data.add_page(Page(gone, b"<html><body>No such page here</body></html>",
                               status=404))
    path = tmp_path / "hops.html"
    path.write_text("<html lang='en'><head><title>Hops</title></head><body><article>"
                    f"<h1>Hops</h1><p>See <a href='{moved}'>the old report</a> and "
                    f"<a href='{gone}'>the gone one</a> for the story.</p>"
                    "</article></body></html>")
    result = run(home, db_url, "archive", "--with-links", str(path), env=fakeweb.env())
    assert result.exit_code == 0, result.output
    links = stored(db_url)["links"]
    assert isinstance(links, dict)
    assert links[moved][3] is None and links[moved][4] and links[moved][5]
    assert links[gone][3].startswith("http_404") and links[gone][4] and links[gone][5] is None
    engine = create_engine(db_url)
    with Session(engine) as session:
        resolved = session.scalar(select(m.Link.resolved_url).where(m.Link.normalized == moved))
        captures = {(c.url, c.status): c for c in session.scalars(select(m.Capture))}
    engine.dispose()
    assert resolved == target(0)
    for url, status in ((moved, 301), (gone, 404)):
        capture = captures[(url, status)]  # every hop kept: its body by its hash, in the WARC
        blob = home / "blobs" / capture.sha256[:2] / capture.sha256[2:4] / capture.sha256
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == capture.sha256
        assert capture.warc_file and capture.warc_offset is not None
    assert (home / "blobs" / captures[(gone, 404)].sha256[:2] / captures[(gone, 404)].sha256[2:4]
            / captures[(gone, 404)].sha256).read_bytes() == (
        b"<html><body>No such page here</body></html>")
    assert captures[(target(0), 200)].warc_offset is not None
