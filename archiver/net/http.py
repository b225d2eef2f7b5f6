"""The HTTP client: one place that holds the fetch policy.

- Redirects are followed by our code, hop by hop, so that the chain is data:
  every hop is an ``Exchange`` (request and response as sent and received).
- Every connection goes through the address guard (guard.py), at connect time.
- Bodies are streamed and cut off at the size cap *after* decompression, so a
  gzip bomb stops early.
- One total deadline covers everything a fetch does on the wire: connect, TLS,
  headers, body, every hop and retry. At the deadline the sockets in use are
  shut, so a server trickling headers or body a byte at a time cannot hold us.
- A body shorter than its Content-Length (or a chunked body without its last
  chunk) is an error (``BodyCutShort``), never a short answer.
- 429/502/503/504 and dropped connections are retried with exponential
  backoff, honouring Retry-After, up to ``retries`` times. Every attempt
  starts its sink afresh (``Sink.restart``): no retry appends to a failed one.
- At most ``per_host_concurrency`` fetches run at once against one host.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import heapq
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol, Self
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from archiver import __version__
from archiver.config import Settings
from archiver.net import errors
from archiver.net.guard import (
    AddressPolicy,
    BlockedAddressError,
    Guard,
    guarded_pool_classes,
    parse_connect_to,
    tracking,
)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
CHUNK = 64 * 1024
POOLS = 128  # hosts with a pool of idle connections kept open



class Sink(Protocol):
    """Receives a body chunk by chunk (to a blob file, say) instead of memory."""

    def write(self, chunk: bytes, /) -> None: ...

    def restart(self) -> None:
        """Drop everything written so far: called before every attempt's body."""
        ...


__all__ = ["AddressPolicy", "Exchange", "Fetch", "HttpClient", "Sink", "parse_connect_to",
           "user_agent"]


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as they crossed the wire."""

    url: str
    method: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]  # as received (before decompression)
    body: bytes | None  # decoded body; None when it went to a sink
    started_at: dt.datetime
    elapsed_ms: int
    # Where the answer came from: {"ip", "port", "tls_chain_sha256", "tls_version"}
    # (see ``_peer``); None when the connection could not be seen.
    peer: dict[str, object] | None = None

    @property
    def location(self) -> str | None:
        return self.header("location")

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")


@dataclass(frozen=True)
class Fetch:
    """A completed fetch: the final exchange and the redirect hops before it."""

    url: str
    final: Exchange
    hops: tuple[Exchange, ...] = field(default_factory=tuple)
    stopped_at: str | None = None  # a Location we were told not to follow

    @property
    def final_url(self) -> str:
        return self.final.url

    @property
    def status(self) -> int:
        return self.final.status

    @property
    def body(self) -> bytes:
        return self.final.body or b""

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return self.final.headers

    @property
    def content_type(self) -> str | None:
        return self.final.content_type

    @property
    def fetched_at(self) -> dt.datetime:
        return self.final.started_at

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (*self.hops, self.final)


class Budget:
    """The time one fetch may take, all hops and retries included."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds


class _Watchdog:
    """One thread that expires every watch at its deadline (a ``threading.Timer``
    per attempt started a thread per request: 4 % of the GIL in a 10,000-link check)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = 0
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, watch: _Watch) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (deadline, self._seq, watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is watch:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait(5.0)
                        if not self._heap:
                            self._thread = None
                            return
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        due = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(wait)
            due.expire()


_WATCHDOG = _Watchdog()


class _Watch:
    """Shuts every socket one attempt uses when the deadline passes.

    Read time-outs bound the wait for each byte, not the whole: a server that
    sends one header or body byte a second never trips them. Shutting the socket
    ends whatever read is blocked on it (TLS handshake, status line, headers,
    body), in the thread doing it."""

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False
        self.cancelled = False
        _WATCHDOG.add(deadline, self)

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True


def user_agent(settings: Settings) -> str:
    contact = f"; +{settings.user_agent_contact}" if settings.user_agent_contact else ""
    return f"archiver/{__version__} (web archiving{contact})"


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: Guard, pool_maxsize: int) -> None:
        self._guard = guard
        # Hosts whose idle connections are kept: a check spreads its links over many
        # hosts, and with fewer pools than hosts every request evicted another host's
        # pool and opened a new connection (no keep-alive at all on 100 hosts).
        super().__init__(pool_connections=POOLS, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = guarded_pool_classes(self._guard)


# Slots shared with other processes (the PostgreSQL workers install one, see
# archiver/jobs/): ``gate(host)`` is held around each fetch, inside this process's
# own slot, so that N workers together still keep a host to its limit.
HostGate = Callable[[str], AbstractContextManager[None]]
_shared_gate: HostGate | None = None


def share_host_slots(gate: HostGate | None) -> None:
    """Hold ``gate(host)`` around every fetch of this process (None: stop)."""
    global _shared_gate
    _shared_gate = gate


def guard_for(settings: Settings) -> Guard:
    """The address guard of ``settings`` (allow-list and connect_to routes); a bad
    setting is an InvalidURL naming "settings"."""
    try:
        routes = parse_connect_to(settings.connect_to)
        policy = AddressPolicy(settings.allow_private_networks)
    except ValueError as exc:
        raise errors.InvalidURL("settings", str(exc)) from None
    return Guard(policy, routes)


def backoff(settings: Settings, attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before try ``attempt + 1``: Retry-After when the server gave
    one we can read, else doubling with jitter; never more than retry_max_wait."""
    cap = settings.retry_max_wait
    if retry_after:
        seconds = _retry_after_seconds(retry_after)
        if seconds is not None:
            return min(max(seconds, 0.0), cap)
    return float(min(cap, 0.5 * (2**attempt)) * (0.5 + random.random() / 2))


def too_many_hops(url: str, hops: list[Exchange], current: str,
                  limit: int) -> errors.TooManyRedirects:
    """The error for a chain longer than ``limit``: a loop when it came back to a URL."""
    visited = [hop.url for hop in hops] + [current]
    if len(set(visited)) < len(visited):  # a cycle, not merely a long chain
        return errors.RedirectLoop(url, f"redirect loop: more than {limit} redirects, "
                                        f"back to {_repeated(visited)}")
    return errors.TooManyRedirects(url, f"more than {limit} redirects")


class HttpClient:
    """Fetches under the policy in ``Settings``; thread-safe for concurrent gets."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.guard = guard_for(settings)
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: the guard must see all
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE") or True
        self.session.headers["User-Agent"] = user_agent(settings)
        # Identity, so that the bytes we keep are the bytes that crossed the wire
        # (see store/warc.py); a server that compresses anyway is still decoded.
        self.session.headers["Accept-Encoding"] = "identity"
        adapter = _GuardedAdapter(self.guard, max(settings.per_host_concurrency, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._sleep = sleep
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _slot(self, url: str) -> Iterator[None]:
        """At most ``per_host_concurrency`` requests at once to a host, starting at
        least ``per_host_delay`` seconds apart (lychee's defaults: 10, 50 ms)."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = threading.BoundedSemaphore(max(self.settings.per_host_concurrency, 1))
                self._host_slots[host] = slot
        gate = _shared_gate
        with slot, (gate(host) if gate is not None else nullcontext()):
            delay = self.settings.per_host_delay
            if delay > 0:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next_start.get(host, now))
                    self._next_start[host] = start + delay
                if start > now:
                    time.sleep(start - now)
            yield

    def head(self, url: str, *, follow: Callable[[str], bool] | None = None) -> Fetch:
        """HEAD ``url``: status and headers without a body, following redirects."""
        return self.get(url, follow=follow, method="HEAD")

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        follow: Callable[[str], bool] | None = None,
        sink: Sink | None = None,
        method: str = "GET",
    ) -> Fetch:
        """GET ``url``, following redirects while ``follow(location)`` says so.

        Redirect bodies are kept in memory (they are small and capped); the final
        body goes to ``sink`` when one is given."""
        _check_url(url)
        budget = Budget(self.settings.total_timeout)
        hops: list[Exchange] = []
        current = url
        for _ in range(self.settings.max_redirects + 1):
            exchange = self._exchange(method, current, headers or {}, budget, sink)
            location = exchange.location
            if exchange.status in (301, 302, 303, 307, 308) and location:
                target = urljoin(current, location)
                if follow is not None and not follow(target):
                    return Fetch(url, exchange, tuple(hops), stopped_at=target)
                hops.append(exchange)
                _check_url(target)
                current = target
                continue
            return Fetch(url, exchange, tuple(hops))
        raise too_many_hops(url, hops, current, self.settings.max_redirects)

    def _exchange(self, method: str, url: str, headers: dict[str, str], budget: Budget,
                  sink: Sink | None) -> Exchange:
        attempt = 0
        while True:
            try:
                queued = time.monotonic()
                with self._slot(url):
                    # Waiting our turn for a busy host is politeness, not the host's
                    # slowness: it does not count against the fetch's deadline.
                    budget.deadline += time.monotonic() - queued
                    deadline = budget.deadline
                    exchange = self._once(method, url, headers, deadline, sink)
            except errors.ConnectFailed as exc:
                if attempt >= self.settings.retries:
                    raise
                wait = self._backoff(attempt, None)
                if time.monotonic() + wait > budget.deadline:
                    raise errors.Timeout(url, f"gave up after {attempt + 1} tries: {exc.message}") from None
            else:
                if exchange.status not in RETRY_STATUSES or attempt >= self.settings.retries:
                    return exchange
                wait = self._backoff(attempt, exchange.header("retry-after"))
                if time.monotonic() + wait > budget.deadline:
                    return exchange
            self._sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        return backoff(self.settings, attempt, retry_after)

    def _once(self, method: str, url: str, headers: dict[str, str], deadline: float,
              sink: Sink | None) -> Exchange:
        """One attempt, every socket it uses watched by the deadline."""
        watch = _Watch(deadline)
        try:
            with tracking(watch.add):
                return self._attempt(method, url, headers, watch, deadline, sink)
        finally:
            watch.cancel()

    def _attempt(self, method: str, url: str, headers: dict[str, str], watch: _Watch,
                 deadline: float, sink: Sink | None) -> Exchange:
        started = dt.datetime.now(dt.UTC)
        clock = time.monotonic()
        remaining = max(deadline - clock, 0.001)
        timeout = (min(self.settings.timeout_connect, remaining),
                   min(self.settings.timeout_read, remaining))
        try:
            response = self.session.request(method, url, headers=headers,
                                            allow_redirects=False, stream=True, timeout=timeout,
                                            hooks={"response": _note_peer})
        except requests.exceptions.RequestException as exc:
            if watch.expired or time.monotonic() >= deadline:
                raise self._late(url) from None
            raise _translate(url, exc) from None
        try:
            if watch.expired:  # headers cut by the deadline can parse as complete ones
                raise self._late(url)
            to_sink = sink if sink is not None and 200 <= response.status_code < 300 else None
            peer = getattr(response, "archiver_peer", None)
            body = b"" if method == "HEAD" else self._read(url, response, watch, deadline,
                                                           to_sink)
            raw = response.raw
            version = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(
                getattr(raw, "version", 11), "HTTP/1.1")
            return Exchange(
                url=url,
                method=method,
                request_headers=tuple((k, v if isinstance(v, str) else v.decode("latin-1"))
                                      for k, v in response.request.headers.items()),
                status=response.status_code,
                reason=response.reason or "",
                http_version=version,
                headers=tuple(raw.headers.items()),
                body=body,
                started_at=started,
                elapsed_ms=int((time.monotonic() - clock) * 1000),
                peer=peer,
            )
        finally:
            response.close()

    def _late(self, url: str) -> errors.Timeout:
        return errors.Timeout(url, f"took longer than {self.settings.total_timeout:g} s")

    def _read(self, url: str, response: requests.Response, watch: _Watch, deadline: float,
              sink: Sink | None) -> bytes | None:
        """The decoded body, or None when it was handed chunk by chunk to ``sink``.

        The whole body or an error: a body cut short raises ``BodyCutShort``, so
        neither memory nor ``sink`` ever holds a partial answer as if it were all."""
        cap = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        if sink is not None:
            sink.restart()
        try:
            for chunk in response.raw.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise errors.TooLarge(url, f"body larger than {cap} bytes (after decoding)")
                if time.monotonic() > deadline:
                    raise self._late(url)
                if sink is None:
                    chunks.append(chunk)
                else:
                    sink.write(chunk)
        except urllib3.exceptions.ReadTimeoutError:
            raise errors.Timeout(url, "timed out while reading the body") from None
        except urllib3.exceptions.DecodeError as exc:
            raise errors.FetchError(url, f"cannot decode the body: {_reason(exc)}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired or time.monotonic() >= deadline:
                raise self._late(url) from None
            raise errors.BodyCutShort(url, _cut_short(response, exc)) from None
        if watch.expired:  # a body read until close ends "cleanly" when we shut it
            raise self._late(url)
        announced = _announced_length(response)
        received = response.raw.tell()
        if announced is not None and received != announced:
            raise errors.BodyCutShort(
                url, f"body cut short: {received} of the {announced} bytes announced arrived")
        return None if sink is not None else b"".join(chunks)


def _note_peer(response: requests.Response, *args: object, **kwargs: object) -> None:
    """A requests response hook: it runs before requests reads a redirect's body and
    releases its connection, so the socket can still be asked who it talks to."""
    response.archiver_peer = _peer(response)  # type: ignore[attr-defined]  # our own attribute on requests' Response, read back with getattr


def _peer(response: requests.Response) -> dict[str, object] | None:
    """The remote address we connected to and, over TLS, the sha256 of the
    certificate chain it presented (DER certificates concatenated, leaf first;
    the leaf alone where Python cannot give the chain, before 3.13)."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is None:
        return None
    try:
        address = sock.getpeername()
    except OSError:
        return None
    peer: dict[str, object] = {"ip": address[0], "port": address[1]}
    if hasattr(sock, "getpeercert"):
        try:
            chain_of = getattr(sock, "get_unverified_chain", None)  # Python 3.13+
            chain = [c for c in (chain_of() or []) if isinstance(c, bytes)] if chain_of else []
            if not chain:
                chain = [sock.getpeercert(binary_form=True) or b""]
            peer["tls_version"] = sock.version()
        except (OSError, ValueError):  # shut by the deadline meanwhile: the caller says so
            return peer
        peer["tls_chain_sha256"] = hashlib.sha256(b"".join(chain)).hexdigest()
        peer["tls_chain_certificates"] = len(chain)
    return peer


def _announced_length(response: requests.Response) -> int | None:
    """Content-Length when it binds the body (not for 1xx/204/304, not when chunked)."""
    if response.status_code in (204, 304) or response.status_code < 200:
        return None
    if "chunked" in (response.raw.headers.get("transfer-encoding") or "").lower():
        return None
    value = (response.raw.headers.get("content-length") or "").strip()
    return int(value) if value.isdigit() else None


def _cut_short(response: requests.Response, exc: BaseException) -> str:
    received = response.raw.tell()
    announced = _announced_length(response)
    if announced is not None:
        return f"body cut short: {received} of the {announced} bytes announced arrived"
    if "chunked" in (response.raw.headers.get("transfer-encoding") or "").lower():
        return f"body cut short: the chunked body stopped after {received} bytes, " \
               "before its last chunk"
    return f"body cut short after {received} bytes: {_reason(exc)}"


def _shut(sock: socket.socket) -> None:
    """Shut ``sock`` down so that a read blocked on it returns at once. The plain
    socket method, even for a TLS socket: ``SSLSocket.shutdown`` would also drop
    its SSL object under the feet of the thread reading it."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _repeated(urls: list[str]) -> str:
    seen: set[str] = set()
    for url in urls:
        if url in seen:
            return url
        seen.add(url)
    return urls[-1]


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidURL(url, "only http and https URLs can be fetched")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise errors.InvalidURL(url, "bad port") from None


def _retry_after_seconds(value: str) -> float | None:
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit, not to float
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every cause inside it (requests wraps urllib3 wraps socket)."""
    seen: list[BaseException] = []
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None),
                 *(a for a in current.args if isinstance(a, BaseException))]
        stack.extend(e for e in inner if isinstance(e, BaseException))
    return seen


def _translate(url: str, exc: requests.exceptions.RequestException) -> errors.FetchError:
    """requests/urllib3 errors -> our named errors, each naming the URL."""
    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, BlockedAddressError):
            return errors.BlockedAddress(url, cause.reason_text)
    for cause in chain:
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return errors.DNSFailure(url, f"cannot resolve {urlsplit(url).hostname}")
    if isinstance(exc, requests.exceptions.SSLError):
        return errors.TLSFailure(url, f"TLS failed: {_reason(exc)}")
    if isinstance(exc, requests.exceptions.Timeout):
        return errors.Timeout(url, "timed out")
    if isinstance(exc, requests.exceptions.InvalidURL):
        return errors.InvalidURL(url, str(exc))
    if isinstance(exc, requests.exceptions.ConnectionError):
        return errors.ConnectFailed(url, f"connection failed: {_reason(exc)}")
    return errors.FetchError(url, _reason(exc))


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
