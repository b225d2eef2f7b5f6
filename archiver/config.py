"""Settings: where the archive lives, which database, which endpoints and limits.

Settings are declared once, as a table of (name, default, help), in the way
datasette declares its settings: the table drives environment lookup, the TOML
file and the README. Nothing here is a module global that other code mutates;
callers build a ``Settings`` value and pass it down.
"""

from __future__ import annotations

import os
import tomllib
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
    allow_private_networks: str = ""

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

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
    "allow_private_networks": "comma-separated networks that may be fetched although "
    "private/loopback (1 = all private ones, for a lab)",
}


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind in ("Path",):
            return Path(str(raw)).expanduser()
        if kind == "float":
            return float(raw)  # type: ignore[arg-type]
        if kind == "int":
            return int(raw)  # type: ignore[arg-type]
        return None if raw in (None, "") and "None" in str(kind) else str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name}: cannot use {raw!r}") from None


def load_settings(
    env: dict[str, str] | None = None, **overrides: object
) -> Settings:
    """Settings from, in rising order: defaults, ``$ARCHIVER_HOME/archiver.toml``,
    ``ARCHIVER_*`` environment variables, then explicit overrides (CLI flags)."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    home = env.get(ENV_PREFIX + "HOME") or overrides.get("home") or "archive"
    toml_path = Path(str(home)).expanduser() / "archiver.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
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
    return replace(settings, **coerced)  # type: ignore[arg-type]
