"""One output path: every data-printing command takes --format table|json|jsonl|csv,
json is always one array, jsonl the same rows one a line, csv the same fields."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli_helpers import run

# Field names a program may rely on (README); a rename must break this test.
FIELDS = {
    "archive": ("source", "article_id", "identity", "title", "language", "citations",
                "handles", "links", "new_version"),
    "detect": ("source", "title", "language", "format", "canonical_url", "authors",
               "published", "citations", "links"),
    "citations": ("id", "article_id", "article", "kind", "handle", "author_name", "date",
                  "date_text", "text", "lang", "tweet_id", "status_url", "links", "hashtags",
                  "mentions", "flags", "position", "resolve_state", "resolve_error",
                  "match_method", "match_score", "tweet_state", "candidates", "tweet_evidence"),
    "links": ("id", "url", "kind", "domain", "state", "resolved_url", "articles",
              "occurrences", "first_article", "paragraph", "anchor_text", "rel", "citation_id",
              "snapshot_capture_id", "snapshot_error", "resolve_error",
              "resolve_error_message", "last_check", "last_checked_at", "provenance"),
    "articles": ("id", "identity", "source", "path", "url", "title", "language", "published",
                 "authors", "format", "citations", "links", "first_archived_at",
                 "last_archived_at", "versions"),
    "tweets": ("id", "status_url", "state", "handle", "author_name", "user_id", "created_at",
               "lang", "text", "provider", "detail", "fetched_at", "capture_id", "verdict",
               "evidence", "last_checked_at", "media", "citations", "provenance"),
    "show": ("id", "identity", "source", "path", "url", "title", "language", "published",
             "authors", "format", "citations", "links", "first_archived_at",
             "last_archived_at", "versions", "paragraphs", "citation_list"),
    "resolve": ("citations", "resolved", "unresolved", "ambiguous", "failed", "tweets",
                "media_saved", "bytes_saved", "links_expanded", "failures", "problems", "warc"),
    "check": ("checked", "outcomes", "states", "seconds", "leased_by_others", "reclaimed",
              "dropped"),
    "report": ("generated_at", "categories", "totals", "by_article", "by_domain", "by_age",
               "items", "timeline"),
}
# Values that differ between two runs of the same command.
VOLATILE = {"generated_at", "seconds"}


def _args(seed_path: Path, plain: Path) -> dict[str, tuple[str, ...]]:
    return {
        "archive": ("archive", "--offline", str(seed_path)),
        "detect": ("detect", str(seed_path), str(plain)),
        "citations": ("citations",),
        "links": ("links",),
        "articles": ("articles",),
        "tweets": ("tweets",),
        "show": ("show", "1"),
        "resolve": ("resolve", "--article", "2"),  # no citations: no network needed
        "check": ("check", "--all", "--domain", "nothing.invalid"),  # selects nothing
        "report": ("report",),
    }


def _stable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def _output(home, db_url, args, fmt) -> str:
    result = run(home, db_url, *args, "--format", fmt)
    assert result.exit_code == 0, (args, fmt, result.output)
    return result.stdout


def test_every_command_speaks_the_same_formats(home, db_url, seed_path, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("A short note that cites nobody at all, in plain English words.\n")
    run(home, db_url, "archive", "--offline", str(seed_path))  # article 1
    run(home, db_url, "archive", "--offline", str(plain))  # article 2: nothing to resolve
    commands = _args(seed_path, plain)
    for name, args in commands.items():
        as_json = json.loads(_output(home, db_url, args, "json"))
        # offline there are no tweets: their fields are checked by the csv header
        assert isinstance(as_json, list) and (as_json or name == "tweets"), (name, as_json)
        assert all(tuple(row) == FIELDS[name] for row in as_json), (name, list(as_json[0]))
        lines = _output(home, db_url, args, "jsonl").splitlines()
        as_jsonl = [json.loads(line) for line in lines]
        assert _stable(as_jsonl) == _stable(as_json), name
        table = _output(home, db_url, args, "table")
        assert table.strip(), name
        if name == "report":
            continue  # csv: one row per article (below)
        rows = list(csv.reader(io.StringIO(_output(home, db_url, args, "csv"))))
        assert tuple(rows[0]) == FIELDS[name], name
        assert len(rows) == 1 + len(as_json), name


def test_csv_cells_hold_lists_and_objects(home, db_url, seed_path):
    [row] = list(csv.DictReader(io.StringIO(
        _output(home, db_url, ("archive", "--offline", str(seed_path)), "csv"))))
    assert row["handles"].split() == ["SVNewsAlerts", "NikolPashinyan", "Pres_Artsakh",
                                      "sfrantzman"]
    [first, *_] = csv.DictReader(io.StringIO(_output(home, db_url, ("citations",), "csv")))
    assert json.loads(first["position"])["paragraph"] == 1


def test_empty_json_is_an_empty_array(home, db_url):
    assert run(home, db_url, "db", "upgrade").exit_code == 0  # an empty archive
    assert json.loads(_output(home, db_url, ("articles",), "json")) == []
    assert _output(home, db_url, ("articles",), "jsonl") == ""
    assert _output(home, db_url, ("articles",), "csv").splitlines() == [
        ",".join(FIELDS["articles"])]


def test_report_csv_is_one_row_per_article(home, db_url, seed_path):
    run(home, db_url, "archive", "--offline", str(seed_path))
    rows = list(csv.DictReader(io.StringIO(_output(home, db_url, ("report",), "csv"))))
    assert [r["article_id"] for r in rows] == ["1"]
    assert "links_alive" in rows[0] and "citations_unchecked" in rows[0]


def test_output_file_is_written_whole_in_any_format(home, db_url, seed_path, tmp_path):
    run(home, db_url, "archive", "--offline", str(seed_path))
    for fmt in ("json", "jsonl", "csv", "table", "html"):
        target = tmp_path / f"report.{fmt}"
        result = run(home, db_url, "report", "--format", fmt, "-o", str(target))
        assert result.exit_code == 0 and result.stdout == "", (fmt, result.output)
        assert target.read_text(encoding="utf-8").strip(), fmt
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report")) == []


def test_show_keeps_text_as_the_table_view(home, db_url, seed_path):
    run(home, db_url, "archive", "--offline", str(seed_path))
    text = _output(home, db_url, ("show", "1"), "text")
    assert text == _output(home, db_url, ("show", "1"), "table")
    assert "[4]" in text and "@sfrantzman" in text
