"""Start-up: `archiver --version` (and defining every command) imports none of the
heavy libraries; a command imports what it needs when it runs. A behavioural
guard: it fails when someone adds a top-level import of one of them back."""

from __future__ import annotations

import json
import subprocess
import sys

from archiver import cli
from archiver.providers.tweet import TWEET_STATES
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


def test_unpacked_language_model_answers_as_the_wheels(tmp_path, monkeypatch):
    """The language model unpacked into the cache folder (memory-mapped, for a fast
    start) classifies exactly as py3langid's own loader does."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from archiver.detect import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    unpacked = language._load_unpacked(LanguageIdentifier, MODEL_DIR / MODEL_FILE)
    [unpacked_dir] = (tmp_path / "archiver").iterdir()
    assert unpacked_dir.name.startswith("py3langid-")
    again = language._load_unpacked(LanguageIdentifier, MODEL_DIR / MODEL_FILE)  # cached
    texts = ["Questa sera quattro droni azeri sono stati abbattuti dal sistema missilistico",
             "Why has Turkey returned to the South Caucasus 100 years later?",
             "Привет мир, как дела сегодня у всех", "東京は今日も晴れです、とても良い天気",
             "Der Bundestag hat heute über das neue Gesetz abgestimmt", "ok"]
    for text in texts:
        assert unpacked.classify(text) == reference.classify(text) == again.classify(text)


def test_month_table_snapshot_is_what_babel_gives():
    """detect/month_names.json is CLDR's month names as Babel has them now;
    regenerate it with `python -m archiver.detect.dates` after a Babel upgrade."""
    from archiver.detect import dates

    assert dates._month_table() == dates.build_month_table()
    assert dates.MONTH_TABLE_FILE.read_text(encoding="utf-8") == dates.month_table_json(
        dates.build_month_table())
