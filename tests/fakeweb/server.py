"""One virtual-hosting server (HTTPS + plain HTTP on loopback) that plays the web.

The client keeps real URLs and maps ``host:port`` to our ports (like curl's
``--connect-to``), so a single server must answer for every host name: it
dispatches on the Host header (SNI when there is none) and presents one
certificate naming every fake host. Bytes cross real sockets: timeouts, resets,
slow bodies and gzip bombs reach the client exactly as from a bad server.
"""

from __future__ import annotations

import copy
import select
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tests.fakeweb import services
from tests.fakeweb.data import FakeData, default_data
from tests.fakeweb.faults import MAX_HANG, Faults, Plan, plan
from tests.fakeweb.tls import Certs
from tests.fakeweb.wire import Hit, Request, Response, http_date

_NET_ERRORS = (ConnectionError, TimeoutError, ssl.SSLError, OSError)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, addr: tuple[str, int], web: FakeWeb, scheme: str,
                 ctx: ssl.SSLContext | None) -> None:
        self.web, self.scheme, self.ctx = web, scheme, ctx
        super().__init__(addr, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ctx is not None:  # handshake later, in the handler thread
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], _NET_ERRORS):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection frees its thread after this
    server: _Server

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except _NET_ERRORS:  # e.g. a client that refused our certificate
                return
        try:
            super().handle()
        except _NET_ERRORS:
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except _NET_ERRORS:
            pass

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        web = self.server.web
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "content-length" in headers:  # drain a request body so keep-alive stays in sync
            self.rfile.read(int(headers["content-length"] or 0))
        sni = getattr(self.connection, "fakeweb_sni", None)
        host = (headers.get("host") or sni or "").lower()
        if host.startswith("["):
            host = host.split("]")[0] + "]"
        else:
            host = host.split(":")[0]
        hit = Hit(host, self.command, self.path, headers, self.server.scheme, sni)
        web._record(hit)
        req = Request(self.command, self.server.scheme, host, self.path, headers, hit)

        def normal() -> Response:
            try:
                return services.dispatch(req, web.data)
            except Exception:  # noqa: BLE001 - a bug in the fake: say so loudly, answer 500
                traceback.print_exc()
                return Response(500, [("content-type", "text/plain")], b"fakeweb error\n")

        # Counted from the request read to before the first byte of the answer: a
        # client holds its slot for the host at least that long, so two requests
        # counted at once were surely in flight at once (see FakeWeb.peak).
        web._enter(host)
        try:
            if web.hold:
                time.sleep(web.hold)
            fault = web.faults.take(host, self.path)
            if fault is None:
                todo = Plan(normal())
            else:
                hit.fault = fault.kind
                todo = plan(fault, req, normal)
        finally:
            web._leave(host)
        self._deliver(todo, hit)

    def _deliver(self, todo: Plan, hit: Hit) -> None:
        stopping = self.server.web._stopping
        if todo.response is None:
            self.close_connection = True
            if todo.reset:
                self._rst()
            else:
                self._hang(todo.hang)
            return
        resp = todo.response
        hit.status = resp.status
        head = self._head(resp)
        body = b"" if self.command == "HEAD" or resp.stream is not None else resp.body
        try:
            if todo.head_delay:
                if not self._trickle(head, todo.head_delay, todo.head_seconds):
                    return
                head = b""
            if todo.cut_after is not None:
                self._cut(resp, body, todo)
                return
            if todo.reset_after_body is not None:
                self.wfile.write(head + body[: todo.reset_after_body])
                self.wfile.flush()
                self._rst()
                return
            if resp.stream is not None or (todo.chunks == 1 and not todo.delay):
                self.wfile.write(head + body)  # one write: no Nagle/delayed-ACK stall
                if resp.stream is not None and self.command != "HEAD":
                    for part in resp.stream:
                        self.wfile.write(part)
                return
            self.wfile.write(head)  # slow_body: headers now, the body in timed pieces
            n = todo.chunks
            for i in range(n):
                if todo.delay and stopping.wait(todo.delay):
                    break
                self.wfile.write(body[i * len(body) // n: (i + 1) * len(body) // n])
                self.wfile.flush()
        except _NET_ERRORS:
            self.close_connection = True

    def _trickle(self, head: bytes, delay: float, seconds: float) -> bool:
        """The status line now, then the rest of ``head`` (padded to last about
        ``seconds``) a byte at a time; False when the client left, the server is
        stopping or MAX_HANG is up."""
        stopping = self.server.web._stopping
        deadline = time.monotonic() + MAX_HANG
        line_end = head.index(b"\r\n") + 2
        pad = max(1, int(seconds / delay) - (len(head) - line_end) - 13)
        head = head[:line_end] + b"x-padding: " + b"p" * pad + b"\r\n" + head[line_end:]
        self.wfile.write(head[:line_end])
        self.wfile.flush()
        for i in range(line_end, len(head)):
            if stopping.wait(delay) or time.monotonic() > deadline:
                self.close_connection = True
                return False
            self.wfile.write(head[i: i + 1])
            self.wfile.flush()
        return True

    def _cut(self, resp: Response, body: bytes, todo: Plan) -> None:
        """Headers promising the whole body, part of it, then the end of the connection."""
        self.close_connection = True
        if resp.stream is not None:
            body = b"".join(resp.stream)
        after = todo.cut_after or 0
        if todo.chunked:
            head = self._head(Response(resp.status, [(k, v) for k, v in resp.headers
                                                     if k != "content-length"]
                                       + [("transfer-encoding", "chunked")], b""),
                              framed=False)
            sent, out = body[:after], []
            for i in range(0, len(sent), 4096):
                piece = sent[i: i + 4096]
                out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
            # a cut inside a chunk: announce the whole chunk, send only its start
            if after < len(body):
                rest = body[after: after + 4096]
                out.append(b"%x\r\n" % len(rest))
            self.wfile.write(head + b"".join(out))
        else:
            head = self._head(Response(resp.status, resp.headers, body))
            self.wfile.write(head + body[:after])
        self.wfile.flush()
        if todo.reset:
            self._rst()
        else:
            self.connection.shutdown(socket.SHUT_RDWR)

    def _hang(self, seconds: float) -> None:
        """Say nothing until the client gives up (closes), the server stops, or time is up."""
        stopping = self.server.web._stopping
        deadline = time.monotonic() + seconds
        while not stopping.is_set() and time.monotonic() < deadline:
            try:
                readable, _, _ = select.select([self.connection], [], [], 0.05)
                if readable and not self.connection.recv(1024):
                    return  # EOF: the client closed its end
            except (OSError, ValueError):
                return

    def _head(self, resp: Response, framed: bool = True) -> bytes:
        """Status line + headers exactly as the service gave them (lower-case names);
        ``framed=False``: the caller frames the body itself (no Content-Length added)."""
        try:
            reason = HTTPStatus(resp.status).phrase
        except ValueError:
            reason = "Unknown"
        names = {k for k, _ in resp.headers}
        headers = list(resp.headers)
        if "date" not in names:
            headers.append(("date", http_date()))
        if "content-length" not in names and framed:
            if resp.stream is None:
                headers.append(("content-length", str(len(resp.body))))
            elif resp.length is not None:
                headers.append(("content-length", str(resp.length)))
        if resp.stream is not None and resp.length is None:
            headers.append(("connection", "close"))
            self.close_connection = True
        lines = [f"HTTP/1.1 {resp.status} {reason}"] + [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def _rst(self) -> None:
        """Abort the TCP connection (RST, no TLS close_notify)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class FakeWeb:
    """The fake Internet: start it, point the client at ``env()``, inspect ``hits``."""

    def __init__(self, data: FakeData | None = None, host: str = "127.0.0.1",
                 extra_hosts: tuple[str, ...] = ()) -> None:
        self.data: FakeData = copy.deepcopy(data) if data is not None else default_data()
        self.host = host
        self.extra_hosts = extra_hosts
        self.hits: list[Hit] = []
        self.faults = Faults()
        self.https_port = 0
        self.http_port = 0
        self.ca_path = ""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers: list[_Server] = []
        self.certs: Certs | None = None
        self.hold = 0.0  # seconds every request is held before it is answered
        self._active: dict[str, int] = {}
        self.peak: dict[str, int] = {}  # most requests in flight at once, per host

    def start(self) -> Self:
        page_hosts = {key.split("/", 1)[0] for key in self.data.pages}
        self.certs = Certs(set(services.HOSTS) | page_hosts | set(self.extra_hosts))
        self.ca_path = self.certs.ca_path
        self._stopping.clear()
        https = _Server((self.host, 0), self, "https", self.certs.server_context())
        http = _Server((self.host, 0), self, "http", None)
        self._servers = [https, http]
        self.https_port = https.server_address[1]
        self.http_port = http.server_address[1]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                             name=f"fakeweb-{server.scheme}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []
        if self.certs is not None:
            self.certs.cleanup()
            self.certs = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """What the archiver needs to reach the fake web instead of the real one."""
        return {
            "ARCHIVER_CONNECT_TO": f"*:443={self.host}:{self.https_port},"
                                   f"*:80={self.host}:{self.http_port}",
            "REQUESTS_CA_BUNDLE": self.ca_path,
            # its two ports only: not every service that listens on its address
            "ARCHIVER_ALLOW_PRIVATE_NETWORKS": f"{self._hostport(self.https_port)},"
                                               f"{self._hostport(self.http_port)}",
        }

    def _hostport(self, port: int) -> str:
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    def fault(self, host: str, path: str, kind: str, **params: Any) -> None:
        """Misbehave on ``host`` + ``path`` (``*`` suffix = prefix); see faults.KINDS."""
        self.faults.add(host, path, kind, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def clear_hits(self) -> None:
        with self._lock:
            self.hits.clear()
            self.peak.clear()
        self.hold = 0.0

    def _enter(self, host: str) -> None:
        with self._lock:
            now = self._active.get(host, 0) + 1
            self._active[host] = now
            self.peak[host] = max(self.peak.get(host, 0), now)

    def _leave(self, host: str) -> None:
        with self._lock:
            self._active[host] -= 1

    def hits_for(self, host: str, prefix: str = "") -> list[Hit]:
        """Hits on ``host`` whose path?query starts with ``prefix``."""
        with self._lock:
            return [h for h in self.hits if h.host == host and h.path.startswith(prefix)]

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)
