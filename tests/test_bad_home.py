"""Where the archive lives, given wrongly: one line naming it, exit 1, nothing created."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from tests import runs_helpers as rh
from tests.cli_helpers import run

LISTINGS = (("articles",), ("citations",), ("links",), ("report",), ("tweets",),
            ("show", "1"))
NO_ENV = {"ARCHIVER_HOME": None, "ARCHIVER_DATABASE_URL": None}


def _one_line_error(result, *needles: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archiver: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_home_that_is_a_file(tmp_path, db_url, seed_path):
    home = tmp_path / "notes.txt"
    home.write_text("not a folder")
    before = _tree(tmp_path)
    for args in (("archive", "--offline", str(seed_path)), ("articles",)):
        _one_line_error(run(home, db_url, *args), str(home), "is a file")
    assert _tree(tmp_path) == before and home.read_text() == "not a folder"


def test_home_under_a_read_only_folder(tmp_path, db_url, seed_path):
    """A real read-only file system (a tmpfs mounted ro in a private namespace), so
    that it holds for root too, who ignores permission bits."""
    folder = tmp_path / "ro"
    folder.mkdir()
    home = folder / "archive"
    script = 'mount -t tmpfs -o ro tmpfs "$RO_DIR" || exit 99\n"$@"'
    env = {**rh.cli_env(home, db_url), "RO_DIR": str(folder)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh",
                           *rh.cli_command("archive", "--offline", str(seed_path))],
                          env=env, text=True, capture_output=True, timeout=120, check=False)
    assert done.returncode != 99, f"cannot mount a tmpfs: {done.stderr}"
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line == f"archiver: error: cannot create the data folder {home}: " \
                   "Read-only file system"
    assert not home.exists()


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: a[0])
def test_listing_without_an_archive_creates_nothing(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, list(args), env=NO_ENV)
    expected = (tmp_path / "archive" / "archive.sqlite").resolve()
    _one_line_error(result, "no archive here", str(expected))
    assert _tree(tmp_path) == []


def test_explicit_db_in_a_missing_folder_is_not_created(tmp_path, seed_path):
    home = tmp_path / "home"
    target = tmp_path / "no" / "such" / "x.db"
    url = f"sqlite:///{target}"
    archive = CliRunner().invoke(main, ["--home", str(home), "--db", url, "archive",
                                        "--offline", str(seed_path)], env=NO_ENV)
    _one_line_error(archive, f"cannot create database {target}", str(target.parent))
    listing = CliRunner().invoke(main, ["--db", url, "articles"], env=NO_ENV)
    _one_line_error(listing, "no archive here", str(target))
    assert not (tmp_path / "no").exists()


def test_archive_creates_the_default_home(tmp_path, monkeypatch, seed_path):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["archive", "--offline", str(seed_path)], env=NO_ENV)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "archive" / "archive.sqlite").is_file()
    listed = CliRunner().invoke(main, ["articles", "--format", "jsonl"], env=NO_ENV)
    assert listed.exit_code == 0 and '"id": 1' in listed.stdout


def test_show_finds_a_file_source_written_any_way(home, db_url, tmp_path, monkeypatch):
    story = tmp_path / "stories" / "story.txt"
    story.parent.mkdir()
    story.write_text("A quote we keep.\n\u2014 Zo\u00eb (@zoe) October 1, 2020\n"
                     "More prose so that the text reads as an article.\n")
    monkeypatch.chdir(story.parent)
    assert run(home, db_url, "archive", "--offline", "story.txt").exit_code == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    for ref in ("../stories/story.txt", "./../stories/./story.txt", str(story),
                os.path.relpath(story)):
        shown = run(home, db_url, "show", ref, "--format", "jsonl")
        assert shown.exit_code == 0, (ref, shown.output)
        assert '"source": "story.txt"' in shown.stdout
    _one_line_error(run(home, db_url, "show", "../stories/other.txt"), "../stories/other.txt")
