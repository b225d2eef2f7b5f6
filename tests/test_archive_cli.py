"""End to end through the CLI on the seed article, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, func, select

from archiver.store import models as m
from tests.cli_helpers import run, run_json

SEED_HANDLES = ["SVNewsAlerts", "NikolPashinyan", "Pres_Artsakh", "sfrantzman"]


def _counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (m.Article, m.ArticleVersion, m.Citation, m.CitationTag, m.Link,
                          m.LinkOccurrence, m.Capture)
            }
    finally:
        engine.dispose()


def test_archive_seed_stores_four_citations_and_two_short_links(home, db_url, seed_path):
    summary = run_json(home, db_url, "archive", "--offline", str(seed_path))
    assert summary[0]["citations"] == 4
    assert summary[0]["handles"] == SEED_HANDLES
    assert summary[0]["links"] == 2
    assert summary[0]["language"] == "it"

    cites = run_json(home, db_url, "citations")
    assert [c["handle"] for c in cites] == SEED_HANDLES
    assert {c["date"] for c in cites} == {"2020-10-01"}
    assert all(c["kind"] == "text" for c in cites)
    unresolved = {"resolved_url": None, "error": None}  # archived --offline: not followed yet
    assert cites[0]["links"] == [{"url": "https://pic.twitter.com/QDhfkrnCsP", **unresolved}]
    assert cites[3]["links"] == [{"url": "https://t.co/uYr4nwO5Bw", **unresolved}]
    assert cites[1]["links"] == [] and cites[2]["links"] == []
    assert cites[0]["text"].startswith("BREAKING: Armenian S-300")
    assert cites[0]["text"].endswith("pic.twitter.com/QDhfkrnCsP")
    assert cites[1]["text"] == (
        "Why has Turkey returned to the South Caucasus 100 years later? "
        "To continue the #ArmenianGenocide."
    )
    assert cites[0]["author_name"] == "SV News 🚨"
    assert cites[2]["author_name"] == "Arayik Harutyunyan | Artsakh President"
    assert cites[1]["hashtags"] == ["ArmenianGenocide"]


def test_archiving_twice_adds_no_rows(home, db_url, seed_path):
    run_json(home, db_url, "archive", "--offline", str(seed_path))
    before = _counts(db_url)
    again = run_json(home, db_url, "archive", "--offline", str(seed_path))
    assert again[0]["new_version"] is False
    assert _counts(db_url) == before
    assert before["citation"] == 4 and before["link"] == 2 and before["article"] == 1


def test_changed_content_records_a_new_version(home, db_url, seed_path, tmp_path):
    page = tmp_path / "story.html"
    html = (
        '<html lang="en"><head><title>Story</title>'
        '<link rel="canonical" href="https://news.example/story"></head><body><article>'
        "<p>Intro paragraph of the story.</p>"
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Hello #world</p>'
        "&mdash; Jack (@jack) "
        '<a href="https://twitter.com/jack/status/1311714411264032768">October 1, 2020</a>'
        "</blockquote>{extra}</article></body></html>"
    )
    page.write_text(html.format(extra=""), encoding="utf-8")
    run_json(home, db_url, "archive", "--offline", str(page))
    page.write_text(html.format(extra="<p>An update was added.</p>"), encoding="utf-8")
    second = run_json(home, db_url, "archive", "--offline", str(page))
    assert second[0]["new_version"] is True
    articles = run_json(home, db_url, "articles")
    assert len(articles) == 1 and articles[0]["versions"] == 2
    assert articles[0]["identity"] == "https://news.example/story"
    cites = run_json(home, db_url, "citations", "--article", "https://news.example/story")
    assert len(cites) == 1 and cites[0]["tweet_id"] == "1311714411264032768"
    assert cites[0]["kind"] == "embed" and cites[0]["hashtags"] == ["world"]


def test_citation_filters(home, db_url, seed_path):
    run_json(home, db_url, "archive", "--offline", str(seed_path))
    assert [c["handle"] for c in run_json(home, db_url, "citations", "--handle", "@sfrantzman")] \
        == ["sfrantzman"]
    assert [c["handle"] for c in run_json(home, db_url, "citations", "--handle", "PRES_ARTSAKH")] \
        == ["Pres_Artsakh"]
    tagged = run_json(home, db_url, "citations", "--hashtag", "#Azerbaijan")
    assert [c["handle"] for c in tagged] == ["SVNewsAlerts", "Pres_Artsakh"]
    assert run_json(home, db_url, "citations", "--since", "2020-10-02") == []
    assert len(run_json(home, db_url, "citations", "--until", "2020-10-01")) == 4
    assert run_json(home, db_url, "citations", "--flagged") == []


def test_csv_and_table_output(home, db_url, seed_path):
    run_json(home, db_url, "archive", "--offline", str(seed_path))
    csv_out = run(home, db_url, "citations", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,article_id,article,kind,handle,")
    assert len(csv_out) == 5
    table = run(home, db_url, "citations").stdout
    assert "SVNewsAlerts" in table and "4 citation(s)" in table
    shown = run(home, db_url, "show", "1").stdout
    assert "[4]" in shown and "@sfrantzman" in shown


def test_detect_prints_json_lines_and_stores_nothing(home, db_url, seed_path, tmp_path):
    result = run(home, db_url, "detect", str(seed_path), str(seed_path), "--format", "jsonl")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert set(first) >= {"source", "title", "language", "citations", "links"}
    assert [c["handle"] for c in first["citations"]] == SEED_HANDLES
    fields = {"kind", "handle", "author_name", "date", "date_text", "text", "lang",
              "tweet_id", "status_url", "links", "position"}
    assert all(fields <= set(c) for c in first["citations"])
    assert [link["normalized"] for link in first["links"]] == [
        "https://pic.twitter.com/QDhfkrnCsP", "https://t.co/uYr4nwO5Bw"]
    assert not (home / "archive.sqlite").exists()


def test_stdin_source(home, db_url, seed_path):
    result = run(home, db_url, "archive", "--offline", "-", "--format", "json", input=seed_path.read_bytes())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["citations"] == 4


def test_windows_1252_bytes_are_decoded(home, db_url, tmp_path: Path):
    page = tmp_path / "cp1252.txt"
    text = ("Caf\u00e9 story \u2014 long enough prose here.\n"
            "Quote with an \u00e9 accent #tag pic.twitter.com/AbCdEf1234\n"
            "\u2014 Zo\u00eb (@zoe) October 1, 2020\n")
    page.write_bytes(text.encode("cp1252"))
    [cites] = json.loads(run(home, db_url, "detect", str(page), "--format", "json").stdout)
    assert cites["citations"][0]["author_name"] == "Zo\u00eb"
    assert "\u00e9 accent" in cites["citations"][0]["text"]
