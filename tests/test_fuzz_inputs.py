"""No traceback on any input: hostile bytes, HTML, text, URLs, options, paths,
environment values and settings files, fed to every command's input path.

Each run must end in one of three ways: exit 0; exit 1 with exactly one line on
stderr, ``archiver: error: ...``, naming the input; or exit 2, click's usage
error. A failed ``archive`` run stores nothing (no row, no blob).

Most runs go through click's runner in-process (fast); a few through a child
process, as a user runs it. No packet leaves loopback: documents are read from
files with ``--offline``; the URLs that are fetched come from ``fetch_urls``
(names on the default port, rerouted to a closed loopback port, or addresses the
guard refuses), and a tripwire on the socket calls fails the test if anything
else is even looked up.

``ARCHIVER_FUZZ_EXAMPLES`` scales the number of examples (default: a budget
that keeps this file well under a minute per database) for a longer local run.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, inspect, select

from archiver.cli import main, one_line
from archiver.config import SETTINGS_HELP
from archiver.store import models as m
from tests import runs_helpers
from tests.fuzz_strategies import (
    TEXT,
    documents,
    fetch_urls,
    html_documents,
    text_documents,
    urls,
)

SCALE = float(os.environ.get("ARCHIVER_FUZZ_EXAMPLES", "1"))


def budget(n: int) -> settings:
    """``n`` examples (scaled), no per-example deadline (machines are noisy), and the
    per-test database shared by the examples (it only grows; that is fine)."""
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


class World:
    """One home and database for a test's examples; runs the CLI and judges its ending."""

    def __init__(self, home: Path, db_url: str, tmp: Path) -> None:
        self.home, self.db_url, self.tmp = home, db_url, tmp
        self.counter = 0

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"ARCHIVER_HOME": str(self.home), "ARCHIVER_DATABASE_URL": self.db_url,
                "ARCHIVER_RETRIES": "0", **(extra or {})}

    def run(self, *args: str, input: bytes | None = None,
            env: dict[str, str] | None = None, names: tuple[str, ...] = ()) -> Result:
        result = CliRunner().invoke(main, list(args), input=input, env=self.env(env),
                                    catch_exceptions=True)
        # the archive itself is an input: "no archive here: <its file>" names it
        where = (str(self.home), self.db_url, self.db_url.removeprefix("sqlite:///"))
        judge(args, result.exit_code, result.stdout, result.stderr, names + where,
              result.exception, result.exc_info)
        return result

    def file(self, data: bytes, suffix: str) -> Path:
        self.counter += 1
        path = self.tmp / f"doc{self.counter}{suffix}"
        path.write_bytes(data)
        return path

    def stored(self) -> tuple[int, int, int]:
        """(articles, citations, blob files): what a failed run must leave alone."""
        blobs = sum(1 for p in (self.home / "blobs").rglob("*") if p.is_file())
        engine = create_engine(self.db_url)
        try:
            if not inspect(engine).has_table("article"):
                return 0, 0, blobs
            with engine.connect() as conn:
                articles = conn.execute(select(func.count()).select_from(m.Article)).scalar_one()
                cites = conn.execute(select(func.count()).select_from(m.Citation)).scalar_one()
            return articles, cites, blobs
        finally:
            engine.dispose()


def named(line: str, names: tuple[str, ...]) -> bool:
    """Does the error line name one of the inputs (as given, or escaped/quoted)?"""
    if not names:
        return True
    for name in names:
        forms = {name, name.strip(), one_line(name), one_line(name.strip()), repr(name)[1:-1]}
        if any(form and form in line for form in forms) or not name.strip():
            return True
    return False


def judge(args: tuple[str, ...], code: int | None, stdout: str, stderr: str,
          names: tuple[str, ...], exception: BaseException | None = None,
          exc_info: object = None) -> None:
    what = f"archiver {' '.join(map(repr, args))}"
    if exception is not None and not isinstance(exception, SystemExit):
        tb = "".join(traceback.format_exception(*exc_info)) if exc_info else repr(exception)  # type: ignore[misc]
        raise AssertionError(f"{what} raised:\n{tb}")
    assert "Traceback" not in stderr + stdout, f"{what}:\n{stderr}"
    assert code in (0, 1, 2), f"{what}: exit {code}\n{stderr}"
    if code == 1:
        # One error line; or, with --keep-going, one "skipped" line per source left out
        # (and an error line if what was read could not be stored).
        lines = stderr.strip("\n").split("\n")
        errors = [line for line in lines if line.startswith("archiver: error:")]
        skipped = [line for line in lines if line.startswith("archiver: skipped:")]
        assert len(errors) + len(skipped) == len(lines) and len(errors) <= 1, \
            f"{what}: not one line per error:\n{stderr}"
        assert errors or (skipped and "--keep-going" in args), f"{what}: no error line:\n{stderr}"
        assert not errors or lines[-1] == errors[0], f"{what}: the error is not last:\n{stderr}"
        for line in errors + skipped:
            assert named(line, names), f"{what}: the error does not name the input:\n{stderr}"
    if code == 2:
        assert "Usage:" in stderr or "Error:" in stderr, f"{what}: exit 2 without usage:\n{stderr}"


@pytest.fixture
def world(home: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)  # relative paths a run creates land in the test's folder
    docs = tmp_path / "docs"
    docs.mkdir()
    return World(home, db_url, docs)


@pytest.fixture
def seeded(world: World, seed_path: Path) -> World:
    """A world holding the seed article (4 citations, 2 short links)."""
    result = world.run("archive", "--offline", str(seed_path))
    assert result.exit_code == 0, result.output
    return world


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fails the test if a fetch even looks up a host name or connects off loopback.

    The guard and the tests' connect_to should make that impossible; this checks
    that the URL strategies keep their promise, and that the client does too."""
    escapes: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection

    def is_literal(host: object) -> bool:
        try:
            ipaddress.ip_address(str(host).split("%")[0])
        except ValueError:
            return False
        return True

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not is_literal(host):
            escapes.append(f"lookup {host!r}:{port}")
            raise socket.gaierror(f"test tripwire: no lookups of {host!r}")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        host = address[0]
        if not (is_literal(host) and ipaddress.ip_address(host.split("%")[0]).is_loopback):
            escapes.append(f"connect {address!r}")
            raise ConnectionRefusedError("test tripwire")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield escapes
    assert not escapes, escapes


SUFFIXES = st.sampled_from([".html", ".htm", ".md", ".txt", "", ".xhtml", ".markdown", ".PDF"])


# -- documents: archive --offline (file and stdin) and detect -------------------------------

DEEP = b"<html><body>" + b"<div>" * 1000 + b"<p>deep text here</p>" + b"</div>" * 1000


@budget(30)
@given(data=documents(), suffix=SUFFIXES, stdin=st.booleans(), fmt=st.sampled_from(["table",
                                                                                       "json"]))
@example(data=DEEP, suffix=".html", stdin=False, fmt="json")
@example(data=b"\xfe\xff\x00\x00", suffix=".md", stdin=False, fmt="json")  # a NUL, in UTF-16
def test_documents_archive_and_detect(world: World, data: bytes, suffix: str, stdin: bool,
                                      fmt: str) -> None:
    path = world.file(data, suffix)
    world.run("detect", str(path), "--format", fmt, names=(str(path),))
    before = world.stored()
    given_ = "-" if stdin else str(path)
    result = world.run("archive", "--offline", given_, "--format", "json",
                       input=data if stdin else None, names=(given_,))
    if result.exit_code != 0:
        assert world.stored() == before, "a failed archive run stored something"


@budget(15)
@given(documents=st.lists(st.one_of(html_documents(), text_documents()), min_size=2, max_size=3),
       missing=st.booleans(), keep_going=st.booleans())
def test_several_sources_all_or_nothing(world: World, documents: list[bytes], missing: bool,
                                        keep_going: bool) -> None:
    paths = [str(world.file(d, ".html" if d.lstrip().startswith(b"<") else ".md"))
             for d in documents]
    if missing:
        paths.insert(1, str(world.tmp / "no-such-file.txt"))
    before = world.stored()
    args = ["archive", "--offline", *(["--keep-going"] if keep_going else []), *paths]
    result = world.run(*args, names=tuple(paths))
    if result.exit_code != 0 and not keep_going:
        assert world.stored() == before, "a failed archive run stored something"


# -- URLs inside documents: detect and archive --offline ------------------------------------

@budget(30)
@given(found=st.lists(urls(), min_size=1, max_size=4), form=st.sampled_from(["html", "md",
                                                                              "txt"]))
@example(found=["http://[::1", "http://%zz", "https://twitter.com/h/status/" + "9" * 40],
         form="html")
def test_urls_in_documents(world: World, found: list[str], form: str) -> None:
    if form == "html":
        body = "".join(f'<p>See <a href="{u}">{u}</a> and {u}.</p>'
                       f'<blockquote class="twitter-tweet"><p>quote</p>&mdash; N (@h) '
                       f'<a href="{u}">October 1, 2020</a></blockquote>' for u in found)
        text = (f'<html><head><link rel="canonical" href="{found[0]}"><base href="{found[-1]}">'
                f"</head><body><article><p>Article text that cites things.</p>{body}"
                "</article></body></html>")
    elif form == "md":
        text = "Article text.\n\n" + "\n\n".join(f"[link]({u}) <{u}>\n\n> quote\n> — N (@h) "
                                                  f"[October 1, 2020]({u})" for u in found)
    else:
        text = "Article text.\n\n" + "\n\n".join(found)
    path = world.file(text.encode("utf-8", "surrogatepass"), "." + form)
    world.run("detect", str(path), "--format", "json", names=(str(path),))
    before = world.stored()
    result = world.run("archive", "--offline", str(path), names=(str(path),))
    if result.exit_code != 0:
        assert world.stored() == before


# -- URLs given as sources: refused before or by the address guard ---------------------------

@budget(25)
@given(url=st.one_of(fetch_urls(), st.sampled_from(["http://[::1", "http://%zz", "http://",
                                                   "https://u:p@[::1]:99999/", "http://a b/"])))
@example(url="http://[::1")
@example(url="http://%zz")
@example(url="http://example.com:65536/")
def test_urls_as_sources(world: World, tripwire: list[str], url: str) -> None:
    result = world.run("detect", url, names=(url,))
    assert result.exit_code == 1, result.output  # nothing on loopback may answer
    before = world.stored()
    result = world.run("archive", url, names=(url,))
    assert result.exit_code == 1 and world.stored() == before


# -- listing commands' options -------------------------------------------------------------

OPTION_TEXT = st.one_of(TEXT, st.sampled_from(["1", "0", "-1", "99999999999999999999", "1.5",
                                               "@", "#", "%", "_", "\\", "'", "*", "?", ""]),
                        urls())


@budget(60)
@given(command=st.sampled_from(["citations", "links", "tweets", "show", "resolve"]),
       option=st.sampled_from(["--article", "--handle", "--since", "--until", "--hashtag",
                               "--domain", "--state", "--kind", None]),
       value=OPTION_TEXT, fmt=st.sampled_from(["table", "json", "jsonl", "csv", "text", "xml"]))
@example(command="links", option="--state", value="bogus", fmt="table")
@example(command="show", option=None, value="seeds/../seeds/x.txt", fmt="text")
@example(command="citations", option="--since", value="2020-02-30", fmt="json")
@example(command="citations", option="--article", value="\x00", fmt="table")  # PostgreSQL refused the NUL in its query
def test_query_options(seeded: World, command: str, option: str | None, value: str,
                       fmt: str) -> None:
    if command == "resolve" and value == "1":
        value = "2"  # resolving the seed would only try the (refused) network; slow, not new
    args = [command, value] if command == "show" or option is None else [command, option, value]
    if command != "resolve" or fmt in ("table", "json"):
        args += ["--format", fmt]
    seeded.run(*args, names=(value,))


@budget(40)
@given(args=st.lists(st.one_of(
    st.sampled_from(["--all", "--due", "--limit", "--concurrency", "--article", "--domain",
                     "--format", "json", "0", "1", "-1", "257", "x", "1e3"]),
    OPTION_TEXT), max_size=5))
@example(args=["--article", "nope"])
@example(args=["--limit", "0"])
def test_check_options(seeded: World, tripwire: list[str], args: list[str]) -> None:
    # The seed's links are on twitter.com and t.co: rerouted to a closed loopback port.
    seeded.run("check", *args, names=tuple(args))


@budget(40)
@given(output=st.one_of(
    st.sampled_from(["missing-dir/x.html", "docs", ".", "", "a\x00b.html", "/proc/x.json",
                     "x" * 300 + ".html", "report.html", "nested/deeper/r.csv", "-"]),
    st.text(max_size=20)),
    fmt=st.sampled_from(["table", "json", "csv", "html", "pdf"]),
    since=st.one_of(st.none(), OPTION_TEXT), article=st.one_of(st.none(), OPTION_TEXT))
@example(output="missing-dir/x.html", fmt="html", since=None, article=None)
@example(output="x" * 300 + ".html", fmt="table", since=None, article=None)
def test_report_output(seeded: World, output: str, fmt: str, since: str | None,
                       article: str | None) -> None:
    args = ["report", "--format", fmt, "-o", output]
    if since is not None:
        args += ["--since", since]
    if article is not None:
        args += ["--article", article]
    names = tuple(v for v in (output, since, article) if v is not None)
    seeded.run(*args, names=names)


# -- where the archive is: --db, --home, ARCHIVER_* values, the settings file ----------------

DB_URLS = st.one_of(
    st.sampled_from([
        "sqlite:////nonexistent/dir/x.db", "sqlite:///", "sqlite://", "sqlite:///:memory:",
        "sqlite:///sub/dir/x.db", "sqlite:///docs", "sqlite:///a\x00b", "notadb://x", "::::",
        "postgresql+nodriver://u@h/db", "mysql://u@127.0.0.1:1/x", "",
        "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=1",
        "postgresql+psycopg://nobody@127.0.0.1:99999/x", "postgresql+psycopg://[::1/x",
        "sqlite:///x.db?mode=ro", "sqlite:///x.db?bogus=1", "sqlite+pysqlite:///%zz",
    ]),
    st.text(max_size=30).map(lambda s: "sqlite:///" + s.replace("/", "_")),
    st.text(max_size=30).filter(lambda s: "://" not in s),
)
HOMES = st.one_of(
    st.sampled_from(["a-file", "read-only/sub", "home\x00x", "", ".", "~nobody-here/x",
                     "x" * 300, "a/b/c", "docs/../home2", "read-only"]),
    st.text(max_size=20).map(lambda s: s.replace("/", "_")),
)


def _prepare_places(world: World) -> None:
    (Path.cwd() / "a-file").write_text("not a folder")
    ro = Path.cwd() / "read-only"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o555)


@budget(40)
@given(url=DB_URLS, home=HOMES, via_env=st.booleans(),
       command=st.sampled_from(["articles", "archive", "detect"]))
@example(url="sqlite:////nonexistent/dir/x.db", home="", via_env=False, command="articles")
@example(url="", home="a-file", via_env=True, command="archive")
@example(url="", home="read-only/sub", via_env=False, command="archive")
def test_database_and_home(world: World, seed_path: Path, url: str, home: str, via_env: bool,
                           command: str) -> None:
    _prepare_places(world)
    env = {"ARCHIVER_DATABASE_URL": "", "ARCHIVER_HOME": ""}
    if via_env and "\x00" not in url + home:  # an environment cannot hold a NUL
        env = {"ARCHIVER_DATABASE_URL": url, "ARCHIVER_HOME": home}
        head: list[str] = []
    else:
        head = (["--db", url] if url else []) + (["--home", home] if home else [])
    tail = {"articles": [], "archive": ["--offline", str(seed_path)],
            "detect": [str(seed_path)]}[command]
    result = world.run(*head, command, *tail, env=env, names=(url, url.removeprefix("sqlite:///"), home, str(seed_path)))
    if os.getuid() != 0 and home.startswith("read-only/"):
        assert result.exit_code != 0


SETTING_NAMES = st.sampled_from(sorted(n for n in SETTINGS_HELP if n != "database_url"))


@budget(40)
@given(values=st.dictionaries(SETTING_NAMES, st.one_of(OPTION_TEXT, st.sampled_from(
    ["nan", "inf", "-inf", "1e309", "0", "-5", "true", "maybe", "300000000000000000000",
     "*:443=127.0.0.1:9", "::1,[::1]:99999", "1", "syndication,,nobody", "0x10"])),
    min_size=1, max_size=3),
       command=st.sampled_from(["articles", "detect", "archive", "report"]))
@example(values={"timeout_read": "nan"}, command="detect")
@example(values={"connect_to": "garbage"}, command="detect")
def test_environment_values(world: World, seed_path: Path, values: dict[str, str],
                            command: str) -> None:
    _prepare_places(world)
    env = {f"ARCHIVER_{k.upper()}": v for k, v in values.items() if "\x00" not in v}
    tail = {"articles": [], "archive": ["--offline", str(seed_path)],
            "detect": [str(seed_path)], "report": ["--format", "json"]}[command]
    names = tuple(values) + tuple(values.values()) + tuple(env) + (str(seed_path),)
    world.run(command, *tail, env=env, names=names)


TOML_VALUES = st.recursive(
    st.one_of(st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(), st.text(max_size=20),
              st.dates(), st.datetimes()),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=5)


def _toml_value(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return value.isoformat()  # type: ignore[attr-defined]


@budget(40)
@given(content=st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.one_of(SETTING_NAMES, st.text(max_size=10)), TOML_VALUES, max_size=3)
    .map(lambda d: "\n".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in d.items())
         .encode("utf-8", "surrogatepass"))),
    command=st.sampled_from(["articles", "detect"]))
@example(content=b'home = "a-file"\n', command="articles")
@example(content=b"max_body_bytes = 1e400\n", command="detect")
@example(content=b"\xff\xfe", command="articles")
def test_settings_file(world: World, seed_path: Path, content: bytes, command: str) -> None:
    _prepare_places(world)
    toml = world.home / "archiver.toml"
    toml.write_bytes(content)
    tail = [str(seed_path)] if command == "detect" else []
    try:
        world.run(command, *tail, names=(str(toml), *SETTINGS_HELP))
    finally:
        toml.unlink()


# -- as a user runs it: child processes ------------------------------------------------------

@budget(2)
@given(data=st.one_of(html_documents(), st.binary(max_size=500)))
@example(data=DEEP)
def test_child_process_stdin_and_bad_settings(world: World, data: bytes) -> None:
    before = world.stored()
    proc = runs_helpers.subprocess.run(
        runs_helpers.cli_command("archive", "--offline", "-"), input=data,
        env=runs_helpers.cli_env(world.home, world.db_url, {"ARCHIVER_RETRIES": "0"}),
        capture_output=True, check=False, timeout=300)
    judge(("archive", "--offline", "-"), proc.returncode, proc.stdout.decode(errors="replace"),
          proc.stderr.decode(errors="replace"), ("-",))
    if proc.returncode != 0:
        assert world.stored() == before
    proc2 = runs_helpers.run(world.home, world.db_url, "detect", "http://[::1",
                             env={"ARCHIVER_TIMEOUT_READ": "soon"})
    judge(("detect", "http://[::1"), proc2.returncode, proc2.stdout, proc2.stderr,
          ("timeout_read", "soon"))
    assert proc2.returncode == 1
