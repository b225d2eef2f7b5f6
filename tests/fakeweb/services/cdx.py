"""web.archive.org/cdx/search/cdx (reference 7.2, wayback-cdx-server README).

Order of operations as in the CDX server: match on the SURT key, sort by
urlkey then timestamp, from/to, filters, adjacent collapse, then offset/limit.
"""

from __future__ import annotations

import gzip
import re
from typing import Any

from tests.fakeweb.data import Capture, FakeData
from tests.fakeweb.surt import split_url, surt, surt_host
from tests.fakeweb.wire import Request, Response, json_body

FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


def row(capture: Capture) -> dict[str, str]:
    return {
        "urlkey": surt(capture.original), "timestamp": capture.timestamp,
        "original": capture.original,
        "mimetype": "warc/revisit" if capture.status is None else capture.mimetype,
        "statuscode": "-" if capture.status is None else str(capture.status),
        "digest": capture.digest, "length": str(capture.length),
    }


def _matcher(url: str, match_type: str | None) -> tuple[str, str]:
    """(matchType, key) with the URL shorthands: trailing ``/*`` = prefix, ``*.`` = domain."""
    if url.startswith("*."):
        return "domain", surt_host(split_url(url[2:])[0])
    if url.endswith("*"):
        return "prefix", surt(url[:-1])
    match_type = match_type or "exact"
    if match_type in ("host", "domain"):
        return match_type, surt_host(split_url(url)[0])
    return match_type, surt(url)


def _selected(key: str, match_type: str, target: str) -> bool:
    host = key.split(")", 1)[0]
    if match_type == "exact":
        return key == target
    if match_type == "prefix":
        # surt() adds ")/" for a bare host: "twitter.com/x/*" -> "com,twitter)/x/"
        return key.startswith(target)
    if match_type == "host":
        return host == target
    if match_type == "domain":
        return host == target or host.startswith(target + ",")
    raise ValueError(match_type)


def _filters(specs: list[str]) -> list[tuple[bool, str, re.Pattern[str]]]:
    out = []
    for spec in specs:
        negate = spec.startswith("!")
        name, _, pattern = spec.lstrip("!").partition(":")
        if name not in FIELDS:
            raise ValueError(f"unknown filter field {name}")
        out.append((negate, name, re.compile(pattern)))
    return out


def query(req: Request, data: FakeData) -> tuple[list[str], list[dict[str, str]]]:
    """The selected fields and rows for a CDX request (raises ValueError when bad)."""
    url = req.arg("url")
    if not url:
        raise ValueError("url is required")
    match_type, target = _matcher(url, req.arg("matchType"))
    rows = sorted((row(c) for c in data.captures), key=lambda r: (r["urlkey"], r["timestamp"]))
    rows = [r for r in rows if _selected(r["urlkey"], match_type, target)]
    low = (req.arg("from") or "").ljust(14, "0")
    high = (req.arg("to") or "").ljust(14, "9")
    rows = [r for r in rows if low <= r["timestamp"] <= high]
    for negate, name, pattern in _filters(req.args("filter")):
        # The Java server uses Matcher.matches(): the whole field must match.
        rows = [r for r in rows if bool(pattern.fullmatch(r[name])) != negate]
    for spec in req.args("collapse"):
        name, _, width = spec.partition(":")
        if name not in FIELDS:
            raise ValueError(f"unknown collapse field {name}")
        n = int(width) if width else None
        kept: list[dict[str, str]] = []
        for r in rows:
            if not kept or kept[-1][name][:n] != r[name][:n]:
                kept.append(r)
        rows = kept
    rows = rows[int(req.arg("offset") or 0):]
    limit = int(req.arg("limit") or 0)
    if limit > 0:
        rows = rows[:limit]
    elif limit < 0:
        rows = rows[limit:]
    fields = [f for f in (req.arg("fl") or "").split(",") if f] or list(FIELDS)
    for name in fields:
        if name not in FIELDS:
            raise ValueError(f"unknown field {name}")
    return fields, rows


def search(req: Request, data: FakeData) -> Response:
    try:
        fields, rows = query(req, data)
    except (ValueError, re.error) as exc:
        text = f"org.archive.wayback.exception.BadQueryException: {exc}\n"
        return Response(400, [("content-type", "text/plain")], text.encode())
    if req.arg("output") == "json":
        # No match -> "[]" without a header row: UNCONFIRMED by a capture, relied on widely.
        table: list[Any] = [fields] + [[r[f] for f in fields] for r in rows] if rows else []
        body = json_body(table).replace(b"],[", b"],\n[") + b"\n"
        ctype = "application/json"
    else:
        body = "".join(" ".join(r[f] for f in fields) + "\n" for r in rows).encode()
        ctype = "text/plain"
    headers = [("content-type", ctype), ("server", "nginx"), ("x-app-server", "wwwb-app220")]
    accepts = "gzip" in req.headers.get("accept-encoding", "")
    if accepts and req.arg("gzip") not in ("false", "0"):
        # gzip by default, as the real server does (transport-level; clients decode).
        headers.append(("content-encoding", "gzip"))
        body = gzip.compress(body, mtime=0)
    return Response(200, headers, body)
