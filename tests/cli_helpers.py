"""Running the real CLI in-process (click's runner) against a test database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from archiver.cli import main


def run(home: Path, db_url: str, *args: str, input: bytes | str | None = None,
        env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    env = {"ARCHIVER_HOME": str(home), "ARCHIVER_DATABASE_URL": db_url, **(env or {})}
    return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def run_json(home: Path, db_url: str, *args: str, env: dict[str, str] | None = None) -> Any:
    result = run(home, db_url, *args, "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
