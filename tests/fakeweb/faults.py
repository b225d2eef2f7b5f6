"""Misbehaviour on demand, per host + path: what the real web does on a bad day.

A test registers ``fault(host, path, kind, **params)``; the next matching request
gets the fault instead of (or wrapped around) the normal answer. ``path`` is an
exact path (query ignored) or a prefix of path?query ending with ``*``; ``host``
may be ``*``. The newest matching fault wins. ``times=N`` limits any fault to N
requests, after which the service behaves normally again (429 twice, then 200).
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.fakeweb.wire import Request, Response, html, redirect

REQUIRED = object()
MAX_HANG = 30.0  # a hung request still ends, so server threads never pile up

# kind -> {param: default}. "times" is accepted by every kind.
KINDS: dict[str, dict[str, Any]] = {
    "slow_body": {"delay": 0.2, "seconds": 2.0},  # headers now, body spread over `seconds`
    "hang": {"seconds": MAX_HANG},  # read the request, never answer, close after `seconds`
    "reset": {"when": "before"},  # "before" headers, or "after" headers + half the body
    # The full headers (Content-Length of the whole body, or chunked framing), the
    # first `after` body bytes, then the connection ends: FIN, or RST if `rst`.
    # Chunked with `after` >= the body: every chunk but the terminating one.
    "cut": {"after": 1000, "chunked": False, "rst": False},
    # The status line at once, then the headers one byte every `delay` seconds,
    # padded (x-padding) to take `seconds`, then the body; the server gives up
    # (closes) at MAX_HANG.
    "trickle_headers": {"delay": 1.0, "seconds": MAX_HANG},
    "status": {"code": 503, "retry_after": None, "body": None, "content_type": None},
    "redirect_loop": {"code": 302},  # /p -> /p?_loop=1 -> /p -> ...
    "redirect_to": {"url": REQUIRED, "code": 302},
    "oversized": {"size": 20 * 1024 * 1024, "content_type": "text/html; charset=utf-8",
                  "declare_length": True},
    "gzip_bomb": {"size": 64 * 1024 * 1024, "content_type": "text/html; charset=utf-8"},
    "content_type": {"value": REQUIRED},
    "malformed_json": {},
}


@dataclass
class Fault:
    host: str
    path: str
    kind: str
    params: dict[str, Any]
    remaining: int | None = None

    def matches(self, host: str, target: str) -> bool:
        if self.host not in ("*", host):
            return False
        if self.path.endswith("*"):
            return target.startswith(self.path[:-1])
        return target.split("?", 1)[0] == self.path or target == self.path


@dataclass
class Plan:
    """How the server delivers one answer (or fails to)."""

    response: Response | None  # None: no answer at all
    hang: float = 0.0  # hold the connection this long, then close it
    reset: bool = False  # close with RST instead of FIN
    reset_after_body: int | None = None  # send headers + this many body bytes, then RST
    chunks: int = 1
    delay: float = 0.0  # sleep before each chunk
    cut_after: int | None = None  # send headers + this many body bytes, then end
    chunked: bool = False  # frame the body with Transfer-Encoding: chunked
    head_delay: float = 0.0  # trickle the header block, one byte per head_delay seconds,
    head_seconds: float = 0.0  # padded (x-padding) to last about this long


@dataclass
class Faults:
    """The registry; thread-safe because handler threads consume ``times``."""

    items: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, host: str, path: str, kind: str, **params: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        times = params.pop("times", None)
        unknown = set(params) - set(KINDS[kind])
        if unknown:
            raise ValueError(f"{kind}: unknown params {sorted(unknown)}")
        merged = {**KINDS[kind], **params}
        missing = [k for k, v in merged.items() if v is REQUIRED]
        if missing:
            raise ValueError(f"{kind}: missing params {missing}")
        fault = Fault(host.lower(), path, kind, merged, times)
        with self.lock:
            self.items.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def take(self, host: str, target: str) -> Fault | None:
        """The newest matching fault, counting one use against ``times``."""
        with self.lock:
            for fault in reversed(self.items):
                if fault.matches(host, target):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.items.remove(fault)
                    return fault
        return None


def plan(fault: Fault, req: Request, normal: Callable[[], Response]) -> Plan:
    """Turn a fault into a delivery plan; ``normal`` computes the usual answer."""
    p = fault.params
    kind = fault.kind
    if kind == "hang":
        return Plan(None, hang=min(float(p["seconds"]), MAX_HANG))
    if kind == "reset":
        if p["when"] == "before":
            return Plan(None, reset=True)
        resp = normal()
        return Plan(resp, reset=True, reset_after_body=len(resp.body) // 2)
    if kind == "status":
        return Plan(_status(p))
    if kind == "redirect_loop":
        return Plan(redirect(_loop_target(req), p["code"]))
    if kind == "redirect_to":
        return Plan(redirect(p["url"], p["code"]))
    if kind == "oversized":
        size = int(p["size"])
        resp = Response(200, [("content-type", p["content_type"])], stream=_filler(size),
                        length=size if p["declare_length"] else None)
        return Plan(resp)
    if kind == "gzip_bomb":
        body = gzip_zeros(int(p["size"]))
        return Plan(Response(200, [("content-type", p["content_type"]),
                                   ("content-encoding", "gzip")], body))
    resp = normal()
    if kind == "cut":
        return Plan(resp, reset=bool(p["rst"]), cut_after=max(int(p["after"]), 0),
                    chunked=bool(p["chunked"]))
    if kind == "trickle_headers":
        return Plan(resp, head_delay=max(float(p["delay"]), 0.001),
                    head_seconds=min(float(p["seconds"]), MAX_HANG))
    if kind == "slow_body":
        chunks = max(1, round(float(p["seconds"]) / float(p["delay"])))
        return Plan(resp, chunks=chunks, delay=float(p["delay"]))
    if kind == "content_type":
        resp.set_header("content-type", p["value"])
        return Plan(resp)
    if kind == "malformed_json":
        body = resp.body if resp.body.lstrip()[:1] in (b"{", b"[") else _FAKE_JSON
        cut = Response(200, [("content-type", "application/json;charset=utf-8")],
                       body[: max(1, len(body) // 2)])
        return Plan(cut)
    raise AssertionError(kind)


_FAKE_JSON = b'{"__typename":"Tweet","lang":"en","id_str":"1311714411264032768","text":"B'


def _status(p: dict[str, Any]) -> Response:
    code = int(p["code"])
    if p["body"] is None:
        resp = html(code, f"<html><head><title>{code}</title></head>"
                          f"<body><h1>Error {code}</h1></body></html>\n")
    else:
        body = p["body"] if isinstance(p["body"], bytes) else str(p["body"]).encode()
        resp = Response(code, [("content-type", "text/plain; charset=utf-8")], body)
    if p["content_type"]:
        resp.set_header("content-type", p["content_type"])
    if p["retry_after"] is not None:
        resp.headers.append(("retry-after", str(p["retry_after"])))
    return resp


def _loop_target(req: Request) -> str:
    """Alternate between the URL with and without ``_loop=1``: a two-URL cycle."""
    parts = urlsplit(req.url)
    args = [a for a in parts.query.split("&") if a and a != "_loop=1"]
    if "_loop=1" not in parts.query.split("&"):
        args.append("_loop=1")
    query = "&".join(args)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")


def _filler(size: int) -> Iterator[bytes]:
    block = (b"<p>" + b"x" * 1017 + b"</p>\n") * 64  # 64 KiB of HTML-ish text
    sent = 0
    while sent < size:
        part = block[: size - sent]
        sent += len(part)
        yield part


@functools.lru_cache(maxsize=8)
def gzip_zeros(size: int) -> bytes:
    """gzip of ``size`` zero bytes: about 1/1000 of that on the wire."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1024 * 1024)
    out = []
    left = size
    while left > 0:
        out.append(comp.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    out.append(comp.flush())
    return b"".join(out)
