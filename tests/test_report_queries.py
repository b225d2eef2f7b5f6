"""The report reads the archive in a fixed number of SQL statements, however many
articles, links and citations it covers: a query per row would make a report of
a large archive take minutes, and this test fails the day one comes back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from archiver.services import report
from archiver.store import models as m
from archiver.store.db import Database

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def _seed(db: Database, start: int, stop: int) -> None:
    """Articles ``start`` to ``stop``, each with an alive, a dead and a failing link (the dead one
    with a kept copy, a redirect hop and checks), its own URL as a watched link,
    and two cited tweets, one available and one deleted with a kept copy."""
    with db.transaction() as s:
        for i in range(start, stop):
            page = m.Capture(url=f"https://news.example/{i}", fetched_at=T0, status=200,
                             sha256=f"{i:064x}", size=10, warc_file="run.warc.gz",
                             warc_offset=i)
            art = m.Article(identity=f"https://news.example/{i}", source=f"https://news.example/{i}",
                            url=f"https://news.example/{i}", format="html", title=f"Story {i}",
                            published_at=dt.date(2020 + i % 5, 1, 1), first_archived_at=T0)
            s.add_all([page, art])
            s.flush()
            version = m.ArticleVersion(article_id=art.id, capture_id=page.id,
                                       content_sha256=f"{i:064x}", created_at=T0)
            s.add(version)
            s.flush()
            art.current_version_id = version.id
            tweets = [m.Tweet(id=f"{i}1", handle="alive", state="available"),
                      m.Tweet(id=f"{i}2", handle="gone", state="deleted", capture_id=page.id,
                              last_checked_at=T0)]
            s.add_all(tweets)
            for ordinal, tweet in enumerate(tweets):
                s.add(m.Citation(article_id=art.id, version_id=version.id, ordinal=ordinal,
                                 kind="embed", handle=tweet.handle, tweet_id=tweet.id,
                                 status_url=f"https://twitter.com/{tweet.handle}/status/{tweet.id}"))
            copy = m.Capture(url=f"https://dead{i}.example/", fetched_at=T0, status=200,
                             sha256=f"{i + 10_000:064x}", size=5)
            s.add(copy)
            s.flush()
            links = [
                m.Link(normalized=f"https://alive{i}.example/", url=f"https://alive{i}.example/",
                       kind="external", domain=f"alive{i}.example", state="alive"),
                m.Link(normalized=f"https://dead{i}.example/", url=f"https://dead{i}.example/",
                       kind="external", domain="dead.example", state="dead",
                       last_checked_at=T0, snapshot_capture_id=copy.id),
                m.Link(normalized=f"https://t.co/{i}", url=f"https://t.co/{i}", kind="tco",
                       domain="t.co", state="failing", last_checked_at=T0),
                m.Link(normalized=art.url or "", url=art.url or "", kind="article",
                       domain="news.example", state="drifted", last_checked_at=T0),
            ]
            s.add_all(links)
            s.flush()
            s.add(m.RedirectHop(link_id=links[2].id, resolved_at=T0, hop=0, url=links[2].url,
                                status=301, capture_id=copy.id))
            for position, link in enumerate(links):
                s.add(m.LinkOccurrence(link_id=link.id, article_id=art.id,
                                       version_id=version.id, url=link.url, start=position))
                for day in range(2):
                    s.add(m.LinkCheck(link_id=link.id, checked_at=T0 + dt.timedelta(days=day),
                                      outcome="ok" if link.state == "alive" else "http_404"))


@contextmanager
def _counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _report(db: Database, **options: Any) -> tuple[dict[str, Any], int]:
    with _counting(db) as statements, db.reader() as session:
        data = report.build(session, **options)
    return data, len(statements)


def test_the_report_asks_the_same_number_of_queries_for_5_or_50_articles(db_url):
    counts = {}
    db = Database(db_url)
    try:
        for start, n in ((0, 5), (5, 50)):
            _seed(db, start, n)
            data, counts[n] = _report(db)
            _check(data, n)
    finally:
        db.dispose()
    assert counts[50] == counts[5], counts


def _check(data: dict[str, Any], n: int) -> None:
    assert len(data["by_article"]) == n
    # Per article: a dead, a failing and a drifted link, and a deleted tweet.
    assert len(data["items"]) == 4 * n
    assert data["totals"]["links"] == {**dict.fromkeys(report.CATEGORIES, 0), "alive": n,
                                       "dead": n, "failing": n, "drifted": n}
    assert data["totals"]["citations"]["dead"] == n
    dead = next(i for i in data["items"] if i["url"] == "https://dead0.example/")
    assert dead["last_check"] == "http_404" and dead["sha256"] == f"{10_000:064x}"


def test_one_article_and_since_keep_the_count_fixed(db_url):
    db = Database(db_url)
    try:
        _seed(db, 0, 20)
        one, n_one = _report(db, article="https://news.example/3")
        recent, n_recent = _report(db, since=dt.date(2023, 1, 1))
        everything, n_all = _report(db)
    finally:
        db.dispose()
    assert [a["title"] for a in one["by_article"]] == ["Story 3"]
    assert {a["published"][:4] for a in recent["by_article"]} == {"2023", "2024"}
    assert len(everything["by_article"]) == 20
    assert max(n_one, n_recent, n_all) <= 6, (n_one, n_recent, n_all)

