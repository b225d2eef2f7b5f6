"""archive.org/wayback/available and web.archive.org replays (reference 7.1, 7.3).

Replays distinguish the two redirects a client must tell apart: "closest capture"
(302 with ``x-archive-redirect-reason``) and "the capture itself was a redirect"
(302 with ``x-archive-src``). ``id_`` returns the archived bytes unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from tests.fakeweb.data import Capture, FakeData
from tests.fakeweb.services import cdx
from tests.fakeweb.surt import surt
from tests.fakeweb.wire import Request, Response, http_date, json_response, not_found

WEB = "https://web.archive.org/web"
_REPLAY = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$")
_FLAGS = {"id_", "if_", "js_", "cs_", "im_", "oe_", "fr_"}


def ts_datetime(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def pad(ts: str) -> str:
    """Partial timestamps as a moment: ``2020`` -> 20200101000000 (UNCONFIRMED choice)."""
    ts = ts[:14]
    filler = "00000101000000"  # a valid month/day where digits are missing
    return ts + filler[len(ts):]


def closest(captures: list[Capture], ts: str) -> Capture | None:
    """The capture nearest in time to ``ts`` (either direction; earlier wins ties)."""
    if not captures:
        return None
    try:
        want = ts_datetime(pad(ts))
    except ValueError:
        want = ts_datetime("20000101000000")
    return min(captures, key=lambda c: (abs((ts_datetime(c.timestamp) - want).total_seconds()),
                                        c.timestamp))


def availability(req: Request, data: FakeData) -> Response:
    if req.path.rstrip("/") != "/wayback/available":
        return not_found()
    url = req.arg("url") or ""
    ts = req.arg("timestamp")
    body: dict[str, object] = {"url": url}
    if ts is not None:
        body["timestamp"] = ts  # UNCONFIRMED: the echoed key when given
    found = closest([c for c in data.captures_of(surt(url)) if c.status == 200] if url else [],
                    ts or "99991231235959")
    snaps = {}
    if found is not None:
        snaps["closest"] = {"status": "200", "available": True,
                            "url": f"http://web.archive.org/web/{found.timestamp}/{found.original}",
                            "timestamp": found.timestamp}
    body["archived_snapshots"] = snaps
    return json_response(200, body, [("access-control-allow-origin", "*")],
                         content_type="application/json")


def web(req: Request, data: FakeData) -> Response:
    if req.path in ("/cdx/search/cdx", "/cdx/search/cdx/"):
        return cdx.search(req, data)
    if req.path.rstrip("/") == "/wayback/available":
        return availability(req, data)
    match = _REPLAY.match(req.target)
    if not match:
        return not_found()
    ts, flag, url = match.group(1), match.group(2) or "", match.group(3)
    if flag and flag not in _FLAGS:
        return not_found()
    return replay(data, ts, flag, url)


def _link_header(capture: Capture, all_caps: list[Capture]) -> str:
    first, last = all_caps[0], all_caps[-1]

    def memento(c: Capture, rel: str) -> str:
        when = http_date(ts_datetime(c.timestamp))
        return f'<{WEB}/{c.timestamp}/{c.original}>; rel="{rel}"; datetime="{when}"'

    parts = [f'<{capture.original}>; rel="original"',
             f'<{WEB}/timemap/link/{capture.original}>; rel="timemap"; type="application/link-format"',
             f'<{WEB}/{capture.original}>; rel="timegate"',
             memento(first, "first memento")]
    if capture is not first and capture is not last:
        parts.append(memento(capture, "memento"))
    parts.append(memento(last, "last memento"))
    return ", ".join(parts)


def _source(capture: Capture) -> str:
    if capture.source:
        return capture.source
    ts = capture.timestamp
    return f"spn2-{ts[:8]}/spn2-{ts}-wwwb-spn07.us.archive.org-8002.warc.gz"


def _payload(capture: Capture, data: FakeData) -> Capture:
    """A revisit row replays the earlier capture with the same digest."""
    if capture.status is not None:
        return capture
    key = surt(capture.original)
    earlier = [c for c in data.captures_of(key) if c.status is not None
               and c.digest == capture.digest and c.timestamp <= capture.timestamp]
    return earlier[-1] if earlier else capture


def _rewrite(body: bytes, ts: str) -> bytes:
    """The default replay: absolute links routed through the archive, toolbar inserted."""
    text = body.decode("utf-8", "replace")
    text = re.sub(r'(href|src)="(https?://[^"]+)"',
                  lambda m: f'{m.group(1)}="/web/{ts}{"im_" if m.group(1) == "src" else ""}/'
                            f'{m.group(2)}"', text)
    toolbar = ('<script src="//archive.org/includes/athena.js" type="text/javascript"></script>'
               "\n<!-- End Wayback Rewrite JS Include -->\n")
    text = text.replace("<head>", "<head>" + toolbar, 1)
    text = re.sub(r"<body[^>]*>", lambda m: m.group() + "<!-- BEGIN WAYBACK TOOLBAR INSERT -->"
                  '<div id="wm-ipp-base" lang="en" style="display:none;"></div>'
                  "<!-- END WAYBACK TOOLBAR INSERT -->", text, count=1)
    return (text + f"\n<!--\n     FILE ARCHIVED ON {ts} AND RETRIEVED FROM THE\n"
                   "     INTERNET ARCHIVE ON 20261101000000.\n-->\n").encode()


def replay(data: FakeData, ts: str, flag: str, url: str) -> Response:
    caps = sorted(data.captures_of(surt(url)), key=lambda c: c.timestamp)
    found = closest(caps, ts)
    if found is None:
        return not_found("Wayback Machine has not archived that URL.")
    if found.timestamp != ts:
        return Response(302, [("location", f"{WEB}/{found.timestamp}{flag}/{found.original}"),
                              ("x-archive-redirect-reason", f"found capture at {found.timestamp}"),
                              ("server", "nginx"), ("cache-control", "private")])
    payload = _payload(found, data)
    headers = [("server", "nginx"), ("x-app-server", "wwwb-app212"),
               ("memento-datetime", http_date(ts_datetime(found.timestamp))),
               ("link", _link_header(found, caps)), ("x-archive-src", _source(found)),
               ("x-ts", str(payload.status or 200)),
               ("server-timing", "captures_list;dur=12.3, load_resource;dur=45.6")]
    headers += [(f"x-archive-orig-{k.lower()}", v) for k, v in payload.headers]
    if payload.location is not None:
        target = quote(payload.location, safe=":/?&=%#+,;@!$'()*~")
        return Response(302, [("location", f"{WEB}/{found.timestamp}{flag}/{target}"), *headers])
    body = payload.body
    if not flag and payload.mimetype == "text/html":
        body = _rewrite(body, found.timestamp)
    ctype = payload.mimetype + ("; charset=utf-8" if payload.mimetype.startswith("text/") else "")
    headers = [("content-type", ctype), ("cache-control", "max-age=1800"), *headers]
    # Archived errors replay with their own status (a captured 404 stays a 404).
    status = payload.status if payload.status and payload.status >= 400 else 200
    return Response(status, headers, body)
