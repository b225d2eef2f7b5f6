"""Start-up: `archiver --version` (and defining every command) imports none of the
heavy libraries; a command imports what it needs when it runs. A behavioural
guard: it fails when someone adds a top-level import of one of them back."""

from __future__ import annotations

import json
import subprocess
import sys

from archiver import cli
from archiver.net.providers.tweet import TWEET_STATES
from archiver.store import queries

HEAVY = ("sqlalchemy", "alembic", "rich", "babel", "py3langid", "numpy", "bs4", "lxml",
         "requests", "warcio", "rapidfuzz", "regex", "charset_normalizer")
PROBE = """
import json, sys
sys.argv = ["archiver", *sys.argv[1:]]
from archiver.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def _imported(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, check=True, timeout=120)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_version_and_help_import_nothing_heavy():
    for args in (("--version",), ("--help",), ("--help-settings",)):
        assert not _imported(*args) & set(HEAVY), args


def test_detect_needs_no_database_nor_rich_for_programs(seed_path):
    loaded = _imported("detect", str(seed_path), "--format", "jsonl")
    assert not loaded & {"sqlalchemy", "alembic", "rich", "warcio"}


def test_the_light_copies_match_their_sources():
    """cli keeps a few names so as not to import the store at start-up."""
    assert cli.ARTICLE_FIELDS == queries.ARTICLE_FIELDS
    assert all(state in cli.TWEET_STATE_HELP for state in TWEET_STATES)
