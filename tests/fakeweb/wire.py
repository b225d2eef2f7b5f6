"""Request and response values passed between the server and the services.

Services are pure functions ``(Request, FakeData) -> Response`` so they can be
read (and tested) without sockets; the server alone deals with bytes on the wire.
Header names are lower-case: X and the Internet Archive answer over HTTP/2, and
t.co sent lower-case names even over HTTP/1.1.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Hit:
    """One request as the fake web saw it (tests assert on these)."""

    host: str
    method: str
    path: str  # path with query, as sent
    headers: dict[str, str]  # lower-case names
    scheme: str = "https"
    sni: str | None = None
    status: int | None = None  # filled in once answered (None: hung or reset)
    fault: str | None = None  # fault kind applied, if any
    token_ok: bool | None = None  # syndication only: token matched react-tweet's algorithm


@dataclass
class Request:
    method: str
    scheme: str
    host: str  # lower-case, without port
    target: str  # path?query as sent
    headers: dict[str, str]
    hit: Hit

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def raw_query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.target}"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Iterable[bytes] | None = None  # used instead of body when set
    length: int | None = None  # declared length of a stream; None = read until close

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k != name] + [(name, value)]


def http_date(when: dt.datetime | None = None, zone: str = "GMT") -> str:
    """RFC 7231 date; t.co's 2015 capture says ``UTC`` where everyone else says ``GMT``."""
    when = when or dt.datetime.now(dt.UTC)
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)[:-3] + zone


def html(status: int, text: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("content-type", "text/html; charset=utf-8"), *headers],
                    text.encode())


def json_body(obj: Any, escape_slashes: bool = False) -> bytes:
    """Compact JSON as X serves it (UTF-8, no spaces); optionally ``\\/`` like old Twitter."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("/", "\\/") if escape_slashes else text).encode()


def json_response(status: int, obj: Any, headers: Iterable[tuple[str, str]] = (),
                  content_type: str = "application/json;charset=utf-8",
                  escape_slashes: bool = False) -> Response:
    return Response(status, [("content-type", content_type), *headers],
                    json_body(obj, escape_slashes))


def redirect(location: str, status: int = 301,
             headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("location", location), *headers])


def not_found(what: str = "Page not found") -> Response:
    """A generic HTML 404: the fake answers this whenever nothing is known."""
    return html(404, f"<!DOCTYPE html><html><head><title>{what}</title></head>"
                     f"<body><h1>{what}</h1></body></html>\n")
