"""Running the real CLI in a child process (to overlap, kill or fill a disk under it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from archiver.store import models as m

# Runs the CLI; with ARCHIVER_TEST_RUSAGE set, writes the peak RSS (KiB) there at exit.
CLI = ("import os, resource, sys\n"
       "from archiver.cli import main\n"
       "try:\n"
       "    main(sys.argv[1:])\n"
       "finally:\n"
       "    out = os.environ.get('ARCHIVER_TEST_RUSAGE')\n"
       "    if out:\n"
       "        with open(out, 'w') as f:\n"
       "            f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n")


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def cli_env(home: Path, db_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "ARCHIVER_HOME": str(home), "ARCHIVER_DATABASE_URL": db_url,
            **(extra or {})}


def start(home: Path, db_url: str, *args: str,
          env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(cli_command(*args), env=cli_env(home, db_url, env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run(home: Path, db_url: str, *args: str,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command(*args), env=cli_env(home, db_url, env), text=True,
                          capture_output=True, check=False, timeout=300)


def wait_for(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Wait until ``condition`` holds (a generous limit; no timing is asserted)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def count(db_url: str, model: type) -> int:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def leftovers(home: Path) -> list[str]:
    """Temporary files in the data folder: none may outlive a run."""
    return sorted(str(p.relative_to(home)) for p in home.rglob(".*") if p.is_file())


def warc_names(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "warcs").glob("*.warc.gz"))


def referenced_warcs(db_url: str) -> set[str]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return set(session.scalars(select(m.Capture.warc_file).where(
                m.Capture.warc_file.is_not(None)).distinct()))
    finally:
        engine.dispose()
