"""A local web of rotting links for the link-checker benchmark.

One asyncio HTTP/1.1 server (raw ``asyncio.Protocol``, keep-alive, no
dependencies) listens on one shared port of 100 loopback addresses,
127.0.1.1 ... 127.0.1.100 (Linux routes all of 127.0.0.0/8 to ``lo``), and
serves N links spread over the hosts, each of a class drawn with a fixed seed:

    class            share  what the link answers in the "check" phase
    ok               55 %   200, its page
    redirected       10 %   301/302 to /moved/<slug> on the same host, which is 200
    not_found        10 %   404/410 (only on hosts that answer 404 for unknown paths)
    soft_404          5 %   200 with the host's "Page not found" page, byte-identical to
                            what that host answers for any unknown path (20 % of the
                            hosts are such hosts)
    server_error      5 %   500/503
    timeout           5 %   the answer (a 200 page) comes after 3 s
    connection_error  3 %   the connection is reset (RST) or closed without an answer
    blocked           5 %   403, or 429 with Retry-After: 1
    drifted           2 %   200, but its main text is not the text it had when archived

Two phases, switched with ``/__linkweb/set?phase=check``: in the "archive" phase every
link answers 200 with its original page fast (the web as it was when the articles were
written and archived); in the "check" phase the classes above apply (the web after rot).

Every host serves ``/`` (an index of its own links) and ``/robots.txt`` (allow all);
the first host serves ``/all``, one page linking every link (the start page for
crawlers with recursion off; ``/all?limit=K`` lists the first K, a seeded sample). ``/__linkweb/`` holds the controls: ``set?phase=..&
lcheader=0|1`` (send a ``LinkChecker`` response header, which lifts LinkChecker's
per-host rate limit), ``stats`` (requests served since the last ``stats?reset=1``),
``quit``.

The ground truth (url -> expected outcome, in archiver's outcome names) is written to
``--truth``; with ``--timeout`` >= 3 the slow links are expected to be ``ok``.

The server stops by itself: after ``--max-seconds``, on ``/__linkweb/quit``, or when
its standard input closes (``--stdin-watch``, how run.py ties it to its own life).
Loops are bounded: idle connections close after 30 s, one connection serves at most
100,000 requests, a request head is at most 16 KiB. It binds loopback addresses only.

    python benchmarks/linkweb.py --links 10000 --hosts 100 --truth /tmp/truth.json
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import json
import os
import random
import resource
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

SEED = 20261125
SLOW_SECONDS = 3.0
IDLE_SECONDS = 30.0
MAX_REQUESTS_PER_CONNECTION = 100_000
MAX_HEAD_BYTES = 16 * 1024
SOFT_HOST_SHARE = 0.2

# (class, share); the class names are archiver's outcome names ("timeout" is the slow
# class, which is a timeout only when the checker's timeout is below SLOW_SECONDS).
SHARES: tuple[tuple[str, float], ...] = (
    ("ok", 0.55),
    ("redirected", 0.10),
    ("not_found", 0.10),
    ("soft_404", 0.05),
    ("server_error", 0.05),
    ("timeout", 0.05),
    ("connection_error", 0.03),
    ("blocked", 0.05),
    ("drifted", 0.02),
)
CLASSES = tuple(name for name, _ in SHARES)

_WORDS = (
    "council budget river bridge election harbour minister vaccine school drought "
    "festival court ruling strike museum railway energy price summit refugee border "
    "wildfire storm reactor satellite archive library census coalition protest treaty "
    "inflation market tariff harvest orchard glacier coast ferry airport tunnel metro "
    "hospital nurse doctor teacher student league final stadium coach record vote "
    "mayor governor senate parliament report inquiry audit contract tender witness "
    "police mountain village valley island forest desert ocean lake canal dam pipeline"
)
WORDS = tuple(_WORDS.split())


def host_ip(index: int) -> str:
    """Host 0 -> 127.0.1.1, ..., host 99 -> 127.0.1.100 (up to 254 hosts)."""
    if not 0 <= index < 254:
        raise ValueError("at most 254 hosts")
    return f"127.0.1.{index + 1}"


@dataclass
class Link:
    host: int
    slug: str
    klass: str
    variant: int  # 0/1: which of the two answers of the class (301 or 302, 404 or 410, ...)

    def path(self) -> str:
        return f"/p/{self.slug}"


@dataclass
class Plan:
    links: list[Link]
    hosts: int
    soft_hosts: frozenset[int]
    port: int = 0
    by_host: dict[int, list[Link]] = field(default_factory=dict)

    def url(self, link: Link) -> str:
        return f"http://{host_ip(link.host)}:{self.port}{link.path()}"

    def truth(self, timeout: float) -> dict[str, str]:
        """url -> expected outcome for a checker with this timeout."""
        out = {}
        for link in self.links:
            klass = link.klass
            if klass == "timeout" and timeout >= SLOW_SECONDS:
                klass = "ok"
            out[self.url(link)] = klass
        return out


def _counts(n: int) -> dict[str, int]:
    """Class counts summing to n (largest remainder)."""
    raw = {name: share * n for name, share in SHARES}
    counts = {name: int(v) for name, v in raw.items()}
    left = n - sum(counts.values())
    for name in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[:left]:
        counts[name] += 1
    return counts


def make_plan(n_links: int = 10_000, n_hosts: int = 100, seed: int = SEED) -> Plan:
    """Deterministic: the same arguments give the same links, classes and slugs."""
    if n_hosts < 2 or n_links < n_hosts:
        raise ValueError("need at least 2 hosts and one link per host")
    rng = random.Random(seed)
    counts = _counts(n_links)
    n_soft = max(1, round(n_hosts * SOFT_HOST_SHARE))
    soft_hosts = frozenset(rng.sample(range(n_hosts), n_soft))
    normal_hosts = [h for h in range(n_hosts) if h not in soft_hosts]
    # Slots: links spread evenly over hosts (host of slot i is i % n_hosts).
    slots: dict[int, list[int]] = {h: [] for h in range(n_hosts)}
    for i in range(n_links):
        slots[i % n_hosts].append(i)
    klass: dict[int, str] = {}

    def place(name: str, hosts: list[int]) -> None:
        free = [i for h in hosts for i in slots[h] if i not in klass]
        rng.shuffle(free)
        if len(free) < counts[name]:
            raise ValueError(f"not enough room for {name}")
        for i in free[: counts[name]]:
            klass[i] = name

    # soft_404 lives on soft hosts (which answer 200 for unknown paths), not_found on
    # the others (which answer 404): a host behaves one way for its missing pages.
    place("soft_404", sorted(soft_hosts))
    place("not_found", normal_hosts)
    rest = [i for i in range(n_links) if i not in klass]
    rng.shuffle(rest)
    pos = 0
    for name in CLASSES:
        if name in ("soft_404", "not_found"):
            continue
        for i in rest[pos: pos + counts[name]]:
            klass[i] = name
        pos += counts[name]
    seen_slugs: set[str] = set()
    links = []
    for i in range(n_links):
        while True:
            slug = f"{rng.getrandbits(40):010x}"
            if slug not in seen_slugs:
                seen_slugs.add(slug)
                break
        links.append(Link(host=i % n_hosts, slug=slug, klass=klass[i], variant=rng.getrandbits(1)))
    rng.shuffle(links)  # the order of /all and of the articles: hosts interleaved at random
    plan = Plan(links=links, hosts=n_hosts, soft_hosts=soft_hosts)
    for link in links:
        plan.by_host.setdefault(link.host, []).append(link)
    return plan


# ---------------------------------------------------------------- pages

def _text(seed: str, paragraphs: int = 4) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(9, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def _title(seed: str) -> str:
    rng = random.Random("title" + seed)
    return " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()


def article_page(host: str, title: str, paragraphs: list[str]) -> tuple[bytes, bytes]:
    """(head, tail) of an article page; the server puts a time stamp between them, in
    the footer, as real pages do (drift is about the main text, not the bytes)."""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    head = (
        f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title} | {host} news</title></head>\n<body>\n"
        f"<nav><a href=\"/\">{host} news</a> <a href=\"/\">Home</a></nav>\n"
        f"<main><article><h1>{title}</h1>\n{body}</article></main>\n<footer>Rendered "
    )
    return head.encode(), b"</footer>\n</body></html>\n"


def soft_404_page(host: str) -> bytes:
    return (
        f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Page not found | {host} news</title></head>\n<body>\n"
        f"<nav><a href=\"/\">{host} news</a></nav>\n"
        f"<main><h1>Oops! Page not found</h1>\n<p>Sorry, the page you are looking for "
        f"does not exist, has been moved or is temporarily unavailable. Try the search "
        f"box or go back to the <a href=\"/\">home page</a>.</p></main>\n"
        f"<footer>{host} news</footer>\n</body></html>\n"
    ).encode()


def error_page(status: int, reason: str) -> bytes:
    return (f"<!doctype html>\n<html><head><title>{status} {reason}</title></head>"
            f"<body><h1>{status} {reason}</h1></body></html>\n").encode()


def listing_page(title: str, urls: list[str]) -> bytes:
    items = "".join(f"<li><a href=\"{u}\">{u}</a></li>\n" for u in urls)
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"</head><body><h1>{title}</h1>\n<ul>\n{items}</ul></body></html>\n").encode()


REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden",
           404: "Not Found", 410: "Gone", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}


# ---------------------------------------------------------------- server

class State:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.phase = "archive"
        self.lcheader = False
        self.requests = 0
        self.by_method: dict[str, int] = {}
        self.paths: dict[str, int] = {"link": 0, "moved": 0, "other": 0}
        self.started = time.monotonic()
        self.routes: dict[tuple[str, str], Link] = {}
        self.moved: dict[tuple[str, str], Link] = {}
        self.pages: dict[str, tuple[bytes, bytes]] = {}
        self.drifted_pages: dict[str, tuple[bytes, bytes]] = {}
        self.soft: dict[str, bytes] = {}
        self.index: dict[str, bytes] = {}
        self.all_page = b""
        self.soft_ips = frozenset(host_ip(h) for h in plan.soft_hosts)
        self.limited: dict[int, bytes] = {}
        self.build()

    def all_links(self, target: str) -> bytes:
        """/all, or /all?limit=K: the first K links of it (a seeded random sample)."""
        query = parse_qs(urlsplit(target).query)
        try:
            limit = int(query.get("limit", ["0"])[-1])
        except ValueError:
            limit = 0
        if limit <= 0 or limit >= len(self.plan.links):
            return self.all_page
        if limit not in self.limited:
            self.limited[limit] = listing_page(
                f"The first {limit} links", [self.plan.url(x) for x in self.plan.links[:limit]])
        return self.limited[limit]

    def build(self) -> None:
        plan = self.plan
        for link in plan.links:
            ip = host_ip(link.host)
            self.routes[(ip, link.path())] = link
            self.moved[(ip, f"/moved/{link.slug}")] = link
            self.pages[link.slug] = article_page(ip, _title(link.slug), _text(link.slug))
            if link.klass == "drifted":
                self.drifted_pages[link.slug] = article_page(
                    ip, _title(link.slug), _text("drifted" + link.slug))
        for h in range(plan.hosts):
            ip = host_ip(h)
            self.soft[ip] = soft_404_page(ip)
            self.index[ip] = listing_page(
                f"{ip} news: all stories", [plan.url(x) for x in plan.by_host.get(h, [])])
        self.all_page = listing_page("All links", [plan.url(x) for x in plan.links])


_clock: list = [0, ("", b"")]


def _now() -> tuple[str, bytes]:
    """(HTTP date, footer time stamp), formatted once a second."""
    second = int(time.time())
    if _clock[0] != second:
        _clock[0] = second
        _clock[1] = (email.utils.formatdate(second, usegmt=True),
                     time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second)).encode())
    return _clock[1]


class HttpProtocol(asyncio.Protocol):
    def __init__(self, state: State, stop: asyncio.Event) -> None:
        self.state = state
        self.stop = stop
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.ip = ""
        self.served = 0
        self.busy = False  # a delayed answer is pending: later requests wait
        self.closed = False
        self.idle: asyncio.TimerHandle | None = None

    # -- connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.ip = transport.get_extra_info("sockname")[0]
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.idle:
            self.idle.cancel()

    def _arm_idle(self) -> None:
        if self.idle:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(IDLE_SECONDS, self._close)

    def _close(self) -> None:
        if not self.closed and self.transport:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > MAX_HEAD_BYTES + 1024 and b"\r\n\r\n" not in self.buf:
            self._send_simple(431, b"", close=True)
            return
        self._arm_idle()
        self._pump()

    def _pump(self) -> None:
        while not self.busy and not self.closed:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self._send_simple(400, b"", close=True)
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length:  # a body we do not need (bounded by what has arrived)
                self.buf = self.buf[length:]
            conn = headers.get("connection", "").lower()
            close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
            self.served += 1
            if self.served >= MAX_REQUESTS_PER_CONNECTION:
                close = True
            self.handle(method, target, close)

    # -- answers
    def _write(self, status: int, headers: list[tuple[str, str]], body: bytes, head_only: bool,
               close: bool) -> None:
        if self.closed or self.transport is None:
            return
        st = self.state
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
                 f"Date: {_now()[0]}",
                 "Server: linkweb",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers]
        if st.lcheader:
            lines.append("LinkChecker: benchmark")
        if close:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if not head_only:
            data += body
        self.transport.write(data)
        if close:
            self.transport.close()
            self.closed = True

    def _send_simple(self, status: int, body: bytes, close: bool = False) -> None:
        self._write(status, [("Content-Type", "text/plain")], body, False, close)

    def _page(self, pages: dict[str, tuple[bytes, bytes]], link: Link) -> bytes:
        head, tail = pages[link.slug]
        return head + _now()[1] + tail

    def handle(self, method: str, target: str, close: bool) -> None:
        st = self.state
        st.requests += 1
        st.by_method[method] = st.by_method.get(method, 0) + 1
        head_only = method == "HEAD"
        html = [("Content-Type", "text/html; charset=utf-8")]
        path = target.split("?", 1)[0] if not target.startswith("http") else urlsplit(target).path
        if path.startswith("/__linkweb/"):
            self.control(path, target, close)
            return
        link = st.routes.get((self.ip, path))
        if link is None:
            moved = st.moved.get((self.ip, path))
            if moved is not None and moved.klass == "redirected" and st.phase == "check":
                st.paths["moved"] += 1
                self._write(200, html, self._page(st.pages, moved), head_only, close)
                return
            st.paths["other"] += 1
            if path == "/":
                self._write(200, html, st.index[self.ip], head_only, close)
            elif path == "/all" and self.ip == host_ip(0):
                self._write(200, html, st.all_links(target), head_only, close)
            elif path == "/robots.txt":
                self._write(200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n",
                            head_only, close)
            elif self.ip in st.soft_ips:
                self._write(200, html, st.soft[self.ip], head_only, close)
            else:
                self._write(404, html, error_page(404, "Not Found"), head_only, close)
            return
        st.paths["link"] += 1
        if st.phase != "check":
            self._write(200, html, self._page(st.pages, link), head_only, close)
            return
        k, v = link.klass, link.variant
        if k == "ok":
            self._write(200, html, self._page(st.pages, link), head_only, close)
        elif k == "drifted":
            self._write(200, html, self._page(st.drifted_pages, link), head_only, close)
        elif k == "redirected":
            status = 301 if v == 0 else 302
            self._write(status, html + [("Location", f"/moved/{link.slug}")],
                        error_page(status, REASONS[status]), head_only, close)
        elif k == "not_found":
            status = 404 if v == 0 else 410
            self._write(status, html, error_page(status, REASONS[status]), head_only, close)
        elif k == "soft_404":
            self._write(200, html, st.soft[self.ip], head_only, close)
        elif k == "server_error":
            status = 500 if v == 0 else 503
            self._write(status, html, error_page(status, REASONS[status]), head_only, close)
        elif k == "blocked":
            if v == 0:
                self._write(403, html, error_page(403, "Forbidden"), head_only, close)
            else:
                self._write(429, html + [("Retry-After", "1")],
                            error_page(429, "Too Many Requests"), head_only, close)
        elif k == "timeout":
            self.busy = True
            body = self._page(st.pages, link)

            def later() -> None:
                self.busy = False
                self._write(200, html, body, head_only, close)
                self._pump()

            asyncio.get_running_loop().call_later(SLOW_SECONDS, later)
        elif k == "connection_error":
            assert self.transport is not None
            if v == 0:  # reset: RST instead of FIN
                sock = self.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.transport.abort()
            else:  # dropped: closed without an answer
                self.transport.close()
            self.closed = True

    def control(self, path: str, target: str, close: bool) -> None:
        st = self.state
        query = {k: v[-1] for k, v in parse_qs(urlsplit(target).query).items()}
        if path == "/__linkweb/set":
            if query.get("phase") in ("archive", "check"):
                st.phase = query["phase"]
            if "lcheader" in query:
                st.lcheader = query["lcheader"] == "1"
        elif path == "/__linkweb/quit":
            asyncio.get_running_loop().call_soon(self.stop.set)
        answer = {"phase": st.phase, "lcheader": st.lcheader, "requests": st.requests,
                  "by_method": st.by_method, "paths": st.paths, "port": st.plan.port,
                  "uptime": round(time.monotonic() - st.started, 1)}
        if path == "/__linkweb/stats" and query.get("reset") == "1":
            st.requests = 0
            st.by_method = {}
            st.paths = {"link": 0, "moved": 0, "other": 0}
        self._write(200, [("Content-Type", "application/json")], json.dumps(answer).encode(),
                    False, close)


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _bind_all(n_hosts: int, port: int) -> tuple[list[socket.socket], int]:
    """One listening socket per host address, all on one port (a free one if 0)."""
    for _ in range(50):
        socks: list[socket.socket] = []
        chosen = port
        try:
            for h in range(n_hosts):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host_ip(h), chosen))
                chosen = s.getsockname()[1]
                s.listen(4096)
                s.setblocking(False)
                socks.append(s)
            return socks, chosen
        except OSError:
            for s in socks:
                s.close()
            if port:
                raise
    raise OSError("no port free on every host address")


async def serve(plan: Plan, port: int, max_seconds: float,
                ready: Callable[[Plan], None] | None = None, stdin_watch: bool = False,
                phase: str = "archive") -> None:
    _raise_fd_limit()
    socks, plan.port = _bind_all(plan.hosts, port)
    state = State(plan)
    state.phase = phase
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(lambda: HttpProtocol(state, stop), sock=s, backlog=4096)
               for s in socks]
    if ready:
        ready(plan)
    loop.call_later(max_seconds, stop.set)
    if stdin_watch:
        fd = sys.stdin.fileno()

        def watch() -> None:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                stop.set()

        loop.add_reader(fd, watch)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--port", type=int, default=0, help="0: a free port, the same on every host")
    ap.add_argument("--timeout", type=float, default=2.0,
                    help="the checkers' timeout, for the ground truth of slow links")
    ap.add_argument("--truth", help="write the ground truth JSON (url -> outcome) here")
    ap.add_argument("--phase", choices=("archive", "check"), default="archive")
    ap.add_argument("--max-seconds", type=float, default=1800.0, help="stop after this long")
    ap.add_argument("--stdin-watch", action="store_true", help="stop when stdin closes")
    args = ap.parse_args(argv)
    plan = make_plan(args.links, args.hosts, args.seed)

    def ready(plan: Plan) -> None:
        if args.truth:
            tmp = f"{args.truth}.tmp"
            with open(tmp, "w") as f:
                json.dump(plan.truth(args.timeout), f, indent=0)
            os.replace(tmp, args.truth)
        print(json.dumps({"port": plan.port, "hosts": plan.hosts, "links": len(plan.links),
                          "all": f"http://{host_ip(0)}:{plan.port}/all",
                          "control": f"http://{host_ip(0)}:{plan.port}/__linkweb/"}), flush=True)

    asyncio.run(serve(plan, args.port, args.max_seconds, ready, args.stdin_watch, args.phase))

if __name__ == "__main__":
    main()
