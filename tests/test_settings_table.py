"""Settings are one table (archiver/config.py); README, --help and the dataclass
follow it, and the TOML comes from the data folder that wins."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from archiver.config import (
    SETTINGS,
    Settings,
    load_settings,
    readme_with_settings,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_the_table():
    readme = README.read_text(encoding="utf-8")
    assert readme_with_settings(readme) == readme, (
        "README's settings table differs from archiver/config.py: "
        "run `python -m archiver.config --readme README.md`")


def test_every_setting_has_a_help_and_a_working_default():
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    defaults = Settings()
    for row in SETTINGS:
        assert row.help.strip(), row.name
        assert getattr(defaults, row.name) == row.default


def test_help_settings_lists_every_setting_and_env_name():
    result = CliRunner().invoke(main, ["--help-settings"])
    assert result.exit_code == 0
    for row in SETTINGS:
        assert f"{row.name} (env {row.env};" in result.stdout


def test_home_option_help_comes_from_the_table():
    result = CliRunner().invoke(main, ["--help"])
    assert "env ARCHIVER_HOME" in result.stdout and "env ARCHIVER_DATABASE_URL" in result.stdout


def test_toml_is_read_from_the_home_given_on_the_command_line(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "archiver.toml").write_text("max_redirects = 3\n")
    (b / "archiver.toml").write_text("max_redirects = 7\n")
    settings = load_settings(env={"ARCHIVER_HOME": str(a)}, home=b)
    assert settings.home == b and settings.max_redirects == 7
    assert load_settings(env={"ARCHIVER_HOME": str(a)}).max_redirects == 3
    # and the environment still overrides the file, the command line both
    both = load_settings(env={"ARCHIVER_HOME": str(a), "ARCHIVER_MAX_REDIRECTS": "5"}, home=b)
    assert both.max_redirects == 5


def test_the_cli_reads_the_toml_of_its_home(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (b / "archiver.toml").write_text("no_such_setting = 1\n")
    result = CliRunner().invoke(main, ["--home", str(b), "articles"],
                                env={"ARCHIVER_HOME": str(a)})
    assert result.exit_code == 1
    assert result.stderr == f"archiver: error: {b / 'archiver.toml'}: unknown setting " \
                            "'no_such_setting'\n"
