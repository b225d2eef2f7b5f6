"""The asyncio HTTP client of ``check``: the fetch policy of http.py on aiohttp.

A link check is one or two small requests whose answer is mostly waiting; a
thread per request (requests/urllib3) cost about 1 ms of CPU per request under
the GIL and bound ``check`` to one core. aiohttp (C-accelerated HTTP parser,
keep-alive pools per host, one event loop) does the same work for a fraction.

The policy is http.py's, re-proven by the same kind of tests over real sockets
(tests/test_aio_client.py):

- Redirects are followed by our code, hop by hop; every hop is an ``Exchange``.
- The address guard decides where every connection goes: host names are
  resolved (and rerouted by ``connect_to``) by the guard, and the socket
  factory checks the very address each socket is about to connect to, IP
  literals included, at connect time, for every hop and new pooled connection.
- One total deadline (``total_timeout``) covers connect, TLS, headers, body,
  every hop and retry; waiting for a busy host's slot does not count.
- Bodies are read in chunks and cut off at ``max_body_bytes`` after decoding
  (aiohttp decompresses a chunk at a time, so a gzip bomb stops early); a
  body shorter than announced, or a chunked body without its last chunk, is
  ``BodyCutShort``.
- 429/502/503/504 and dropped connections are retried with backoff, honouring
  Retry-After, up to ``retries`` times.
- At most ``per_host_concurrency`` fetches at once per host, starting at least
  ``per_host_delay`` apart; a process-wide shared gate (the PostgreSQL workers'
  slots, http.share_host_slots) is held around each fetch too.

Exchanges carry no ``peer`` (the check keeps verdicts, not captures); archiving
still goes through http.py, whose captures do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import aiohttp

from archiver.config import Settings
from archiver.net import errors, http
from archiver.net.guard import BlockedAddressError, Guard, is_ip, refusal
from archiver.net.http import CHUNK, RETRY_STATUSES, Budget, Exchange, Fetch

__all__ = ["AsyncClient"]

KEEPALIVE = 5.0  # seconds an idle connection is kept for the next link of its host
FILES = 65536  # the open-file limit asked for (up to the hard limit)
GATE_THREADS = 256  # fetches that may wait on the workers' shared gate at once


class _Refused(OSError):
    """The guard refused an address (raised inside aiohttp's connection set-up)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Unresolved(OSError):
    """The host name could not be resolved."""


class _GuardedConnector(aiohttp.TCPConnector):
    """Host names resolved (and rerouted) by the guard, IP literals included.

    aiohttp hands IP literals straight to the socket, past any resolver; this
    connector sends every host through ``Guard.destinations`` so that
    ``connect_to`` routes and refusal messages are the same as http.py's. The
    socket factory below checks each address again as it is connected to."""

    def __init__(self, guard: Guard, resolving: ThreadPoolExecutor, **kwargs: Any) -> None:
        self._guard = guard
        self._resolving = resolving
        policy = guard.policy

        def guarded_socket(addr_info: Any) -> socket.socket:
            family, type_, proto, _, address = addr_info
            ip, port = str(address[0]), int(address[1])
            if not policy.allows(ip, port):
                raise _Refused(refusal(ip, ip, port))
            return socket.socket(family=family, type=type_, proto=proto)

        super().__init__(socket_factory=guarded_socket, **kwargs)

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[Any]:
        try:
            if is_ip(host.strip("[]")):  # nothing to look up: no thread hop (3 % of a check)
                found = self._guard.destinations(host, port)
            else:
                loop = asyncio.get_running_loop()
                found = await loop.run_in_executor(self._resolving, self._guard.destinations,
                                                   host, port)
        except BlockedAddressError as exc:
            raise _Refused(exc.reason_text) from None
        except (socket.gaierror, UnicodeError) as exc:
            raise _Unresolved(str(exc)) from None
        return [{"hostname": host, "host": address, "port": target_port,
                 "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}
                for address, target_port in found]


def _more_files() -> None:
    """Raise this process's open-file limit to its hard limit (at most FILES): one
    socket per check in flight plus idle keep-alive connections can pass the usual
    soft limit of 1,024, and a refused socket would read as a dead link."""
    try:
        import resource
    except ImportError:  # not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = FILES if hard == resource.RLIM_INFINITY else min(hard, FILES)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass


def _ssl_context() -> ssl.SSLContext:
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return ssl.create_default_context(cafile=bundle or None)


class AsyncClient:
    """Fetches under the policy in ``Settings`` from one event loop.

    Use as ``async with AsyncClient(settings) as client``: the connection pool
    lives inside the loop that runs the fetches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.guard = http.guard_for(settings)
        self._session: aiohttp.ClientSession | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        # Threads of our own: name look-ups, and the workers' shared gate, which
        # blocks until a slot is free. In the loop's default pool the one could
        # starve the other (every thread waiting on a gate whose holders wait for a
        # look-up); threads are started only as needed.
        self._resolving = ThreadPoolExecutor(max_workers=8, thread_name_prefix="aio-dns")
        self._gating = ThreadPoolExecutor(max_workers=GATE_THREADS,
                                          thread_name_prefix="aio-gate")

    async def __aenter__(self) -> Self:
        _more_files()
        # Idle connections are kept KEEPALIVE seconds: aiohttp bounds the connections
        # in use, not the idle ones, and a check over many hosts touches each one
        # briefly; a short keep-alive keeps the open files to about the hosts of the
        # last few seconds (with links interleaved over hosts, seconds apart).
        connector = _GuardedConnector(self.guard, self._resolving, limit=0, limit_per_host=0,
                                      ssl=_ssl_context(), enable_cleanup_closed=False,
                                      keepalive_timeout=KEEPALIVE)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": http.user_agent(self.settings),
                     # the bytes we compare are the bytes that crossed the wire
                     "Accept-Encoding": "identity"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.settings.timeout_connect,
                                          sock_read=self.settings.timeout_read),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no proxies from the environment: the guard must see all
            auto_decompress=True,
            read_bufsize=CHUNK,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._resolving.shutdown(wait=False, cancel_futures=True)
        self._gating.shutdown(wait=False, cancel_futures=True)

    # -- politeness -----------------------------------------------------------
    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(
                max(self.settings.per_host_concurrency, 1))
        async with slot:
            gate = http._shared_gate
            held = None
            if gate is not None:
                held = gate(host)
                loop = asyncio.get_running_loop()
                entering = loop.run_in_executor(self._gating, held.__enter__)
                try:
                    await asyncio.shield(entering)
                except asyncio.CancelledError:  # the slot, once taken, is given back
                    gating = self._gating
                    entering.add_done_callback(lambda done: None if done.exception() else (
                        gating.submit(held.__exit__, None, None, None)))
                    raise
            try:
                delay = self.settings.per_host_delay
                if delay > 0:
                    now = time.monotonic()
                    start = max(now, self._next_start.get(host, now))
                    self._next_start[host] = start + delay
                    if start > now:
                        await asyncio.sleep(start - now)
                yield
            finally:
                if held is not None:
                    await loop.run_in_executor(self._gating, held.__exit__, None, None, None)

    # -- fetching -------------------------------------------------------------
    async def head(self, url: str, *, follow: Callable[[str], bool] | None = None) -> Fetch:
        return await self.get(url, follow=follow, method="HEAD")

    async def get(self, url: str, *, headers: dict[str, str] | None = None,
                  follow: Callable[[str], bool] | None = None, method: str = "GET") -> Fetch:
        """``method`` ``url``, following redirects while ``follow(location)`` says so."""
        http._check_url(url)
        budget = Budget(self.settings.total_timeout)
        hops: list[Exchange] = []
        current = url
        for _ in range(self.settings.max_redirects + 1):
            exchange = await self._exchange(method, current, headers or {}, budget)
            location = exchange.location
            if exchange.status in (301, 302, 303, 307, 308) and location:
                target = urljoin(current, location)
                if follow is not None and not follow(target):
                    return Fetch(url, exchange, tuple(hops), stopped_at=target)
                hops.append(exchange)
                http._check_url(target)
                current = target
                continue
            return Fetch(url, exchange, tuple(hops))
        raise http.too_many_hops(url, hops, current, self.settings.max_redirects)

    async def _exchange(self, method: str, url: str, headers: dict[str, str],
                        budget: Budget) -> Exchange:
        attempt = 0
        while True:
            try:
                queued = time.monotonic()
                async with self._slot(url):
                    # Waiting our turn for a busy host is politeness, not the host's
                    # slowness: it does not count against the fetch's deadline.
                    budget.deadline += time.monotonic() - queued
                    exchange = await self._once(method, url, headers, budget.deadline)
            except errors.ConnectFailed as exc:
                if attempt >= self.settings.retries:
                    raise
                wait = self._backoff(attempt, None)
                if time.monotonic() + wait > budget.deadline:
                    raise errors.Timeout(
                        url, f"gave up after {attempt + 1} tries: {exc.message}") from None
            else:
                if exchange.status not in RETRY_STATUSES or attempt >= self.settings.retries:
                    return exchange
                wait = self._backoff(attempt, exchange.header("retry-after"))
                if time.monotonic() + wait > budget.deadline:
                    return exchange
            await asyncio.sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        return http.backoff(self.settings, attempt, retry_after)

    async def _once(self, method: str, url: str, headers: dict[str, str],
                    deadline: float) -> Exchange:
        assert self._session is not None, "use AsyncClient as an async context manager"
        started = dt.datetime.now(dt.UTC)
        clock = time.monotonic()
        late = errors.Timeout(url, f"took longer than {self.settings.total_timeout:g} s")
        try:
            async with asyncio.timeout_at(deadline):
                async with self._session.request(method, url, headers=headers,
                                                 allow_redirects=False) as response:
                    body = b"" if method == "HEAD" else await self._read(url, response)
                    return Exchange(
                        url=url, method=method,
                        request_headers=tuple(response.request_info.headers.items()),
                        status=response.status, reason=response.reason or "",
                        http_version=f"HTTP/{response.version.major}.{response.version.minor}"
                        if response.version else "HTTP/1.1",
                        headers=tuple((k.decode("latin-1"), v.decode("latin-1"))
                                      for k, v in response.raw_headers),
                        body=body, started_at=started,
                        elapsed_ms=int((time.monotonic() - clock) * 1000), peer=None)
        except TimeoutError:
            if time.monotonic() >= deadline - 0.001:
                raise late from None
            raise errors.Timeout(url, "timed out") from None
        except aiohttp.ClientError as exc:
            raise _translate(url, exc) from None

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> bytes:
        cap = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise errors.TooLarge(url, f"body larger than {cap} bytes (after decoding)")
                chunks.append(chunk)
        except aiohttp.ClientPayloadError as exc:
            raise errors.BodyCutShort(url, _cut_short(response, size, exc)) from None
        except aiohttp.ServerTimeoutError:
            raise errors.Timeout(url, "timed out while reading the body") from None
        announced = _announced_length(response)
        if announced is not None and size != announced and not _encoded(response):
            raise errors.BodyCutShort(
                url, f"body cut short: {size} of the {announced} bytes announced arrived")
        return b"".join(chunks)


def _encoded(response: aiohttp.ClientResponse) -> bool:
    return (response.headers.get("content-encoding") or "identity").lower() != "identity"


def _announced_length(response: aiohttp.ClientResponse) -> int | None:
    if response.status in (204, 304) or response.status < 200:
        return None
    if "chunked" in (response.headers.get("transfer-encoding") or "").lower():
        return None
    value = (response.headers.get("content-length") or "").strip()
    return int(value) if value.isdigit() else None


def _cut_short(response: aiohttp.ClientResponse, received: int, exc: BaseException) -> str:
    announced = _announced_length(response)
    if announced is not None:
        return f"body cut short: {received} of the {announced} bytes announced arrived"
    if "chunked" in (response.headers.get("transfer-encoding") or "").lower():
        return (f"body cut short: the chunked body stopped after {received} bytes, "
                "before its last chunk")
    return f"body cut short after {received} bytes: {http._reason(exc)}"


def _translate(url: str, exc: aiohttp.ClientError) -> errors.FetchError:
    """aiohttp errors -> our named errors, each naming the URL."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 8:
        if isinstance(cause, _Refused):
            return errors.BlockedAddress(url, cause.message)
        if isinstance(cause, _Unresolved):
            return errors.DNSFailure(url, f"cannot resolve {urlsplit(url).hostname}")
        inner = getattr(cause, "os_error", None)
        cause = inner if isinstance(inner, BaseException) else (cause.__cause__ or cause.__context__)
        seen += 1
    if isinstance(exc, (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError)):
        return errors.TLSFailure(url, f"TLS failed: {http._reason(exc)}")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return errors.Timeout(url, "timed out")
    if isinstance(exc, aiohttp.InvalidURL):
        return errors.InvalidURL(url, str(exc))
    if isinstance(exc, aiohttp.ClientPayloadError):
        return errors.BodyCutShort(url, f"body cut short: {http._reason(exc)}")
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientResponseError)):
        return errors.ConnectFailed(url, f"connection failed: {http._reason(exc)}")
    return errors.FetchError(url, http._reason(exc))
