"""The HTTP client's policy over real sockets on loopback: routing, retries, bounds."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from archiver.config import load_settings
from archiver.net import errors
from archiver.net.http import HttpClient
from tests.localweb import base_url, reply, serve


def client(**overrides: object) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    settings = load_settings(env={}, allow_private_networks="127.0.0.1/32", **overrides)
    return HttpClient(settings, sleep=waits.append), waits


def test_connect_to_routes_a_host_name_keeping_url_and_host_header():
    seen: list[str] = []

    def capture(req):  # type: ignore[no-untyped-def]
        seen.append(req.headers["Host"])
        reply(200, b"hello")(req)

    with serve({"/x": capture}) as server:
        port = server.server_address[1]
        http, _ = client(connect_to=f"*:80=127.0.0.1:{port}")
        fetch = http.get("http://news.example/x")
    assert fetch.status == 200 and fetch.body == b"hello"
    assert fetch.final_url == "http://news.example/x" and seen == ["news.example"]


def test_a_name_routed_to_another_loopback_address_is_refused():
    with serve({"/x": reply(200, b"secret")}, host="127.0.0.3") as server:
        port = server.server_address[1]
        http, _ = client(connect_to=f"evil.test:80=127.0.0.3:{port}")
        with pytest.raises(errors.BlockedAddress, match="evil.test resolves to 127.0.0.3"):
            http.get("http://evil.test/x")
        assert server.hits == []


def test_every_hop_is_recorded():
    routes = {"/a": reply(301, b"", {"Location": "/b"}), "/b": reply(302, b"", {"Location": "/c"}),
              "/c": reply(200, b"done", {"Content-Type": "text/plain"})}
    with serve(routes) as server:
        http, _ = client()
        fetch = http.get(base_url(server) + "/a")
    assert [(e.url.rsplit("/", 1)[1], e.status) for e in fetch.exchanges] == [
        ("a", 301), ("b", 302), ("c", 200)]
    assert fetch.hops[0].location == "/b" and fetch.content_type == "text/plain"
    assert any(k.lower() == "user-agent" for k, _ in fetch.final.request_headers)


def test_follow_can_stop_at_a_location():
    routes = {"/t": reply(301, b"", {"Location": "https://twitter.com/a/status/20/photo/1"})}
    with serve(routes) as server:
        http, _ = client()
        fetch = http.get(base_url(server) + "/t", follow=lambda url: "/status/" not in url)
    assert fetch.status == 301 and fetch.stopped_at == "https://twitter.com/a/status/20/photo/1"


def test_429_is_retried_honouring_retry_after():
    calls = {"n": 0}

    def flaky(req):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] < 3:
            reply(429, b"slow down", {"Retry-After": "7"})(req)
        else:
            reply(200, b"ok")(req)

    with serve({"/r": flaky}) as server:
        http, waits = client(retries=3)
        fetch = http.get(base_url(server) + "/r")
    assert fetch.status == 200 and waits == [7.0, 7.0]


def test_retries_give_up_and_return_the_last_answer():
    with serve({"/r": reply(503, b"down")}) as server:
        http, waits = client(retries=2, retry_max_wait=0.5)
        fetch = http.get(base_url(server) + "/r")
    assert fetch.status == 503 and len(waits) == 2 and all(w <= 0.5 for w in waits)


def _raw_server(handler):  # type: ignore[no-untyped-def]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return listener, stop


def test_reset_connections_are_retried_then_reported():
    def reset(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    listener, stop = _raw_server(reset)
    try:
        http, waits = client(retries=2, total_timeout=10)
        with pytest.raises(errors.ConnectFailed):
            http.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        assert len(waits) == 2
    finally:
        stop.set()
        listener.close()


def test_a_slow_trickle_is_cut_by_the_total_deadline():
    def trickle(conn: socket.socket) -> None:
        conn.recv(1024)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(40):
                conn.sendall(b"x")
                time.sleep(0.1)
        except OSError:
            pass
        conn.close()

    listener, stop = _raw_server(trickle)
    try:
        http, _ = client(total_timeout=1.0, timeout_read=5, retries=0)
        # The server would send 40 bytes over 4 s, then close early (a cut-short
        # body): only the deadline makes this a Timeout.
        with pytest.raises(errors.Timeout, match="longer than 1 s"):
            http.get(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        stop.set()
        listener.close()


class ListSink:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.restarts = 0

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def restart(self) -> None:
        self.chunks.clear()
        self.restarts += 1


def test_sink_receives_the_body_instead_of_memory():
    body = bytes(range(256)) * 1000
    with serve({"/m": reply(200, body, {"Content-Type": "image/jpeg"})}) as server:
        http, _ = client()
        got = ListSink()
        fetch = http.get(base_url(server) + "/m", sink=got)
    assert fetch.final.body is None and b"".join(got.chunks) == body and len(got.chunks) > 1


def test_bad_connect_to_setting_is_a_clear_error():
    with pytest.raises(errors.InvalidURL, match="connect_to"):
        client(connect_to="nonsense")
