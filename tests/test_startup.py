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


# What detect on a file never needs: a database, the HTTP client, Babel (month names
# are a snapshot), a charset guesser for UTF-8, and rich when writing for programs.
NOT_FOR_DETECT = {"sqlalchemy", "alembic", "warcio", "rapidfuzz", "requests", "urllib3",
                  "babel", "charset_normalizer", "rich"}
HTML_PARSING = {"bs4", "lxml", "soupsieve", "chardet"}  # bs4 imports the last two itself
LANGUAGE_MODEL = {"py3langid", "numpy"}
PAGE = """<!doctype html><html lang="en"><head><title>Drones over Yerevan</title></head>
<body><article><p>Four drones were shot down tonight, the ministry said.</p>
<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Air defence intercepted two
missiles over #Yerevan</p>&mdash; SV News (@SVNewsAlerts)
<a href="https://twitter.com/SVNewsAlerts/status/1311721461390737408">October 1, 2020</a>
</blockquote></article></body></html>"""


def test_detect_loads_only_what_the_source_needs(seed_path, tmp_path):
    """Plain text and Markdown without HTML: no HTML parser; their language is
    identified, so the model loads. An HTML page that states its language: the
    parser, and no language model. None loads the database, the HTTP client,
    Babel, a charset guesser or rich."""
    text = _imported("detect", str(seed_path), "--format", "jsonl")
    assert LANGUAGE_MODEL <= text  # it did detect: the seed's language is guessed
    assert not text & (NOT_FOR_DETECT | HTML_PARSING)

    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    html = _imported("detect", str(page), "--format", "jsonl")
    assert {"bs4", "lxml"} <= html
    assert not html & (NOT_FOR_DETECT | LANGUAGE_MODEL)

    markdown = tmp_path / "page.md"
    markdown.write_text("# Drones over Yerevan\n\nFour drones were shot down tonight, "
                        "[the ministry](https://mil.am/en/news) said.\n", encoding="utf-8")
    loaded = _imported("detect", str(markdown), "--format", "jsonl")
    assert LANGUAGE_MODEL <= loaded
    assert not loaded & (NOT_FOR_DETECT | HTML_PARSING)


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
