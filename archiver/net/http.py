"""The HTTP client: one place that holds the fetch policy.

Redirects are followed by our code, hop by hop, so that the chain is data and
every hop passes the address guard. Bodies are read as a stream and cut off at
the size cap *after* decompression, so a gzip bomb stops early.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from archiver import __version__
from archiver.config import Settings
from archiver.net import errors

# Refused unless a configured network lists them, even with "1" (lab mode):
# cloud metadata services.
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))


@dataclass(frozen=True)
class Hop:
    url: str
    status: int
    location: str | None


@dataclass(frozen=True)
class Fetch:
    """A completed fetch: the final response and the hops that led to it."""

    url: str
    final_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: dt.datetime
    elapsed_ms: int
    hops: tuple[Hop, ...] = field(default_factory=tuple)

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None


class AddressPolicy:
    """Which resolved addresses may be fetched.

    Public addresses always; private, loopback, link-local and other special
    ones only when a configured network contains them (``allow`` is a comma
    separated list, or ``1`` for every private network except metadata)."""

    def __init__(self, allow: str = "") -> None:
        allow = allow.strip()
        self.allow_all_private = allow == "1"
        self.networks = [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in allow.split(",")
            if part.strip() and part.strip() != "1"
        ]

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.networks):
            return True
        if any(ip in net for net in METADATA):
            return False
        if ip.is_global and not ip.is_multicast:
            return True
        return self.allow_all_private and (ip.is_private or ip.is_loopback or ip.is_link_local)

    def check(self, url: str) -> None:
        """Resolve the URL's host and refuse it unless every address is allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.InvalidURL(url, "only http and https URLs can be fetched")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise errors.InvalidURL(url, "bad port") from None
        try:
            infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise errors.DNSFailure(url, f"cannot resolve {parts.hostname}: {exc}") from None
        for info in infos:
            address = str(info[4][0])
            if not self.allows(address):
                raise errors.BlockedAddress(
                    url, f"{parts.hostname} resolves to {address}, a private or special address"
                )


def user_agent(settings: Settings) -> str:
    contact = f"; +{settings.user_agent_contact}" if settings.user_agent_contact else ""
    return f"archiver/{__version__} (web archiving{contact})"


class HttpClient:
    """Fetches with timeouts, a redirect cap, a body cap and the address guard."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = AddressPolicy(settings.allow_private_networks)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(settings)
        self.session.trust_env = True

    def close(self) -> None:
        self.session.close()

    def get(self, url: str) -> Fetch:
        hops: list[Hop] = []
        current = url
        started = time.monotonic()
        for _ in range(self.settings.max_redirects + 1):
            self.policy.check(current)
            response = self._send(current)
            try:
                location = response.headers.get("Location")
                if response.is_redirect and location:
                    hops.append(Hop(current, response.status_code, location))
                    current = urljoin(current, location)
                    continue
                body = self._read(current, response)
                return Fetch(
                    url=url,
                    final_url=current,
                    status=response.status_code,
                    headers=tuple(response.raw.headers.items()),
                    body=body,
                    fetched_at=dt.datetime.now(dt.UTC),
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                    hops=tuple(hops),
                )
            finally:
                response.close()
        raise errors.TooManyRedirects(url, f"more than {self.settings.max_redirects} redirects")

    def _send(self, url: str) -> requests.Response:
        timeout = (self.settings.timeout_connect, self.settings.timeout_read)
        try:
            return self.session.get(url, allow_redirects=False, stream=True, timeout=timeout)
        except requests.exceptions.SSLError as exc:
            raise errors.TLSFailure(url, f"TLS failed: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise errors.Timeout(url, "timed out") from None
        except requests.exceptions.InvalidURL as exc:
            raise errors.InvalidURL(url, str(exc)) from None
        except requests.exceptions.ConnectionError as exc:
            raise errors.ConnectFailed(url, f"connection failed: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise errors.FetchError(url, _reason(exc)) from None

    def _read(self, url: str, response: requests.Response) -> bytes:
        cap = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise errors.TooLarge(url, f"body larger than {cap} bytes (after decoding)")
                chunks.append(chunk)
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
            raise errors.Timeout(url, "timed out while reading the body") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise errors.ConnectFailed(url, f"body cut short: {_reason(exc)}") from None
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
