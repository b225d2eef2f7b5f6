"""Settings: where the archive lives, which database, which endpoints and limits.

Settings are declared once, as a table of (name, default, help), in the way
datasette declares its settings: the table drives environment lookup, the TOML
file and the README. Nothing here is a module global that other code mutates;
callers build a ``Settings`` value and pass it down.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

ENV_PREFIX = "ARCHIVER_"


class ConfigError(ValueError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("archive")
    database_url: str | None = None
    user_agent_contact: str = ""
    timeout_connect: float = 5.0
    timeout_read: float = 15.0
    max_body_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 10
    total_timeout: float = 60.0
    retries: int = 3
    retry_max_wait: float = 30.0
    per_host_concurrency: int = 10
    per_host_delay: float = 0.05
    allow_private_networks: str = ""
    connect_to: str = ""
    providers: str = "syndication,fxtwitter,oembed,wayback"
    syndication_base: str = "https://cdn.syndication.twimg.com"
    oembed_base: str = "https://publish.twitter.com"
    fxtwitter_base: str = "https://api.fxtwitter.com"
    wayback_base: str = "https://web.archive.org"
    wayback_availability_base: str = "https://archive.org"
    match_threshold: float = 80.0
    match_margin: float = 5.0
    with_links: bool = False
    drift_threshold: float = 0.8
    dead_after_failures: int = 3
    dead_after_days: float = 2.0
    check_lease: float = 0.0
    worker_heartbeat: float = 10.0
    worker_stalled_after: float = 60.0
    job_attempts: int = 5
    job_retry_wait: float = 30.0

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def warc_dir(self) -> Path:
        return self.home / "warcs"

    @property
    def provider_order(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.providers.split(",") if p.strip())

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'archive.sqlite').resolve()}"


SETTINGS_HELP: dict[str, str] = {
    "home": "data folder: database (SQLite default), blobs, WARCs (env ARCHIVER_HOME)",
    "database_url": "SQLAlchemy URL; sqlite:///path or postgresql+psycopg://... "
    "(env ARCHIVER_DATABASE_URL)",
    "user_agent_contact": "contact (URL or e-mail) sent in the User-Agent",
    "timeout_connect": "seconds to wait for a connection",
    "timeout_read": "seconds to wait between bytes",
    "max_body_bytes": "largest body read, after decompression",
    "max_redirects": "most redirect hops followed",
    "total_timeout": "seconds one fetch may take in all, body included",
    "retries": "retries of a fetch answered 429/502/503/504 or cut off",
    "retry_max_wait": "longest wait before a retry, Retry-After included",
    "per_host_concurrency": "most fetches at once to one host",
    "per_host_delay": "least seconds between the starts of two fetches to one host",
    "allow_private_networks": "private/loopback destinations that may be fetched, comma-"
    "separated: networks (10.0.0.0/8, ::1) or one port of an address or network "
    "(127.0.0.1:8443, [::1]:8443); 1 = all private ones but cloud metadata, for a lab",
    "connect_to": "host:port=ip:port pairs, comma-separated (*:port for every host name): "
    "connect there instead, keeping the URL, Host and TLS name (like curl --connect-to)",
    "providers": "tweet data providers, in the order tried",
    "syndication_base": "X's syndication endpoint (tweet-result)",
    "oembed_base": "X's oEmbed endpoint",
    "fxtwitter_base": "FxTwitter API",
    "wayback_base": "Wayback Machine (CDX and replays)",
    "wayback_availability_base": "Wayback availability API",
    "match_threshold": "lowest text similarity (0-100) to accept a searched tweet",
    "match_margin": "a searched tweet is claimed only if every other candidate scores this "
    "many points less; closer ones make the citation ambiguous",
    "with_links": "archive: keep a copy of every outbound link by default (true/false)",
    "drift_threshold": "check: main-text similarity (0-1) below which a page has drifted",
    "dead_after_failures": "check: failed checks (404/410, soft 404, DNS) before a link is dead",
    "dead_after_days": "check: and over at least this many days",
    "check_lease": "check: seconds a batch's lease lasts between renewals "
    "(0 = sized from the batch's worst case)",
    "worker_heartbeat": "worker (PostgreSQL): seconds between a worker's heartbeats",
    "worker_stalled_after": "worker: seconds without a heartbeat after which a worker is "
    "taken for dead and its running jobs are queued again",
    "job_attempts": "worker: attempts of a job that fails on the network before it is failed",
    "job_retry_wait": "worker: seconds before the first retry of a job; doubles each time",
}


@dataclass(frozen=True)
class AllowEntry:
    """One allow-list entry: a network, and a port when the entry names one."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int | None = None

    def matches(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
                port: int | None) -> bool:
        return (ip.version == self.network.version and ip in self.network
                and (self.port is None or self.port == port))


@dataclass(frozen=True)
class AllowList:
    """``allow_private_networks``, read: entries, and whether ``1`` (lab mode) was given."""

    entries: tuple[AllowEntry, ...] = ()
    all_private: bool = False


_BRACKETED = re.compile(r"\[([^\]]+)\](?::(\d{1,5}))?")
_IPV4_PORT = re.compile(r"([0-9./]+):(\d{1,5})")


def parse_allow_list(spec: str) -> AllowList:
    """``10.0.0.0/8,127.0.0.1:8443,[::1]:8443,fd00::/8`` -> AllowList.

    An entry is a network or address (any port), or an address or network with
    one port: ``127.0.0.1:8443``; an IPv6 one in brackets, ``[::1]:8443``. ``1``
    allows every private network except cloud metadata (a lab)."""
    entries: list[AllowEntry] = []
    all_private = False
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if item == "1":
            all_private = True
            continue
        bracketed = _BRACKETED.fullmatch(item)
        with_port = _IPV4_PORT.fullmatch(item)
        if bracketed:
            net, port = bracketed.group(1), bracketed.group(2)
        elif with_port:
            net, port = with_port.group(1), with_port.group(2)
        else:
            net, port = item, None
        try:
            network = ipaddress.ip_network(net, strict=False)
            if bracketed and network.version != 6:
                raise ValueError(item)
            number = int(port) if port is not None else None
            if number is not None and not 0 < number < 65536:
                raise ValueError(item)
        except ValueError:
            raise ConfigError(
                f"setting allow_private_networks: cannot read {item!r} (want a network such "
                "as 10.0.0.0/8, an address and port such as 127.0.0.1:8443 or [::1]:8443, "
                "or 1)") from None
        entries.append(AllowEntry(network, number))
    return AllowList(tuple(entries), all_private)


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind in ("Path",):
            return Path(str(raw)).expanduser()
        if kind == "float":
            return float(raw if isinstance(raw, int | float) else str(raw))
        if kind == "int":
            return int(raw if isinstance(raw, int | float) else str(raw))
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(text)
            return text in ("1", "true", "yes", "on")
        return None if raw in (None, "") and "None" in str(kind) else str(raw)
    # OverflowError: int(inf) from TOML; RuntimeError: "~nobody" for a path
    except (TypeError, ValueError, OverflowError, RuntimeError):
        raise ConfigError(f"setting {name}: cannot use {raw!r}") from None


def _looks(path: Path, test: Callable[[Path], bool]) -> bool:
    """``test(path)``, or a one-line ConfigError for a path the system cannot look at
    (a name too long, a NUL byte)."""
    try:
        return test(path)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"{path}: cannot use this path: {reason}") from None


def load_settings(
    env: dict[str, str] | None = None, **overrides: object
) -> Settings:
    """Settings from, in rising order: defaults, ``$ARCHIVER_HOME/archiver.toml``,
    ``ARCHIVER_*`` environment variables, then explicit overrides (CLI flags)."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    home = env.get(ENV_PREFIX + "HOME") or overrides.get("home") or "archive"
    try:
        toml_path = Path(str(home)).expanduser() / "archiver.toml"
    except RuntimeError:  # "~nobody/x": no such user to take the home folder of
        raise ConfigError(f"{home}: cannot find the home folder of that user") from None
    if _looks(toml_path, Path.is_file):
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{toml_path}: {exc}") from None
        for key, value in data.items():
            if key not in SETTINGS_HELP:
                raise ConfigError(f"{toml_path}: unknown setting {key!r}")
            values[key] = value
    for name in SETTINGS_HELP:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw not in (None, ""):
            values[name] = raw
    for name, value in overrides.items():
        if value is not None:
            values[name] = value
    settings = Settings()
    coerced = {name: _coerce(name, value) for name, value in values.items()}
    settings = replace(settings, **coerced)  # type: ignore[arg-type]  # each value coerced to its field's type above
    parse_allow_list(settings.allow_private_networks)  # a bad entry fails here, in one line
    if _looks(settings.home, Path.exists) and not settings.home.is_dir():
        raise ConfigError(f"{settings.home}: the data folder (home) is not a folder")
    return settings
