"""A bare HTTP client for tests of the fake web itself (and for quick probes).

It connects to the fake web's address but sends the URL's host name in SNI and
in the Host header, and neither follows redirects nor decodes bodies, so tests
see exactly the bytes a service produced.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from tests.fakeweb.server import FakeWeb
from tests.fakeweb.syndtoken import syndication_token

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
PLAIN_UA = "archiver-test/1.0"


@dataclass
class Resp:
    status: int
    raw_headers: list[tuple[str, str]]  # names as sent
    body: bytes

    def h(self, name: str) -> str:
        """A header value by lower-case name, or ``""`` when absent."""
        return next((v for k, v in self.raw_headers if k.lower() == name), "")

    def json(self) -> Any:
        return json.loads(self.body)


class _SNIConnection(http.client.HTTPSConnection):
    """Connect to the fake web's address but present ``sni`` as the TLS server name."""

    def __init__(self, addr: str, port: int, sni: str, ctx: ssl.SSLContext,
                 timeout: float) -> None:
        super().__init__(addr, port, context=ctx, timeout=timeout)
        self.sni, self.ctx = sni, ctx

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.ctx.wrap_socket(sock, server_hostname=self.sni)


def fetch(web: FakeWeb, url: str, ua: str = PLAIN_UA, timeout: float = 5.0,
          headers: dict[str, str] | None = None, method: str = "GET") -> Resp:
    """One request for ``url`` (https or http) answered by ``web``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https":
        assert web.certs is not None, "start() the fake web first"
        conn: http.client.HTTPConnection = _SNIConnection(
            web.host, web.https_port, host, web.certs.client_context(), timeout)
    else:
        conn = http.client.HTTPConnection(web.host, web.http_port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, target, headers={"Host": host, "User-Agent": ua, **(headers or {})})
        resp = conn.getresponse()
        return Resp(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def synd(web: FakeWeb, tweet_id: str, token: str | None = None) -> Resp:
    """The syndication answer for ``tweet_id`` (with react-tweet's token unless given)."""
    token = token or syndication_token(tweet_id)
    return fetch(web, f"https://cdn.syndication.twimg.com/tweet-result?id={tweet_id}"
                      f"&lang=en&token={token}")


def oembed(web: FakeWeb, url: str) -> Resp:
    return fetch(web, f"https://publish.x.com/oembed?url={quote(url, safe='')}")


def cdx(web: FakeWeb, query: str) -> Resp:
    return fetch(web, f"https://web.archive.org/cdx/search/cdx?{query}")
