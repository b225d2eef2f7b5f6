"""t.co and pic.twitter.com (reference sections 1 and 2).

t.co answers a plain client with a bare 301 (lower-case headers, empty body) and a
browser with a 200 page that redirects in script, so a resolver that sends a
browser User-Agent must read the URL out of the HTML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import uuid

from tests.fakeweb.data import FakeData
from tests.fakeweb.wire import Request, Response, html, http_date, not_found, redirect

_CODE = re.compile(r"^/([A-Za-z0-9]{1,15})/?$")
_counter = itertools.count(1)


def _is_browser(user_agent: str) -> bool:
    # The exact rule is UNCONFIRMED; "Mozilla" is in every browser UA and in no
    # library default (python-requests, curl, Go-http-client).
    return "mozilla" in user_agent.lower()


def _common_headers(code: str) -> list[tuple[str, str]]:
    """The 2015 header set: cache-control, UTC date, expires, cookie, tsa_a, hashes."""
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(minutes=5)
    cookie = f"muc={uuid.uuid4()}; Expires={http_date(later + dt.timedelta(days=730))}; Domain=t.co"
    conn_hash = hashlib.md5(f"{code}:{next(_counter)}".encode()).hexdigest()
    return [
        ("cache-control", "private,max-age=300"),
        ("date", http_date(now, "UTC")),
        ("expires", http_date(later, "GMT")),
        ("server", "tsa_a"),
        ("set-cookie", cookie),
        ("x-connection-hash", conn_hash),
        ("x-response-time", str(3 + int(conn_hash[:2], 16) % 9)),
    ]


def browser_page(target: str) -> str:
    """Section 1.2 verbatim: META refresh, title, and ``location.replace`` with ``\\/``."""
    escaped = json.dumps(target, ensure_ascii=False)[1:-1].replace("/", "\\/")
    return ('<head><meta name="referrer" content="always"><noscript>'
            f'<META http-equiv="refresh" content="0;URL={target}"></noscript>'
            f"<title>{target}</title></head>"
            f'<script>window.opener = null; location.replace("{escaped}")</script>')


def shortener(req: Request, data: FakeData) -> Response:
    match = _CODE.match(req.path)
    target = data.tco.get(match.group(1)) if match else None
    if target is None:
        # UNCONFIRMED: an unknown code is a plain HTML 404 without a location.
        return not_found("Sorry, that page doesn’t exist")
    code = match.group(1) if match else ""
    headers = _common_headers(code)
    if _is_browser(req.user_agent):
        resp = html(200, browser_page(target), headers)
        resp.headers = [("content-type", "text/html; charset=utf-8"), *headers]
        return resp
    return Response(301, [*headers[:1], ("content-length", "0"), *headers[1:],
                          ("location", target)])


def pic(req: Request, data: FakeData) -> Response:
    """pic.twitter.com/<code>: same target as t.co/<code>.

    UNCONFIRMED: 301 (not 302), and the target keeps twitter.com and the handle at
    posting time because it is the stored t.co mapping.
    """
    match = _CODE.match(req.path)
    target = data.tco.get(match.group(1)) if match else None
    if target is None:
        return not_found()
    return redirect(target, 301, [("cache-control", "private,max-age=300"),
                                  ("server", "tsa_a")])
