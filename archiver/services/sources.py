"""Reading a source (URL, file or standard input) into bytes and detecting it.

Every failure becomes a ``SourceError`` whose message names the source, so the
CLI can print it as one line.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from archiver.config import Settings
from archiver.detect.decoding import decode, utf16_without_bom
from archiver.detect.document import detect, sniff_format
from archiver.detect.values import Detection
from archiver.errors import SourceError
from archiver.net.errors import FetchError

if TYPE_CHECKING:
    from archiver.net.http import Fetch

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    given: str  # as the user typed it
    url: str | None  # http(s) URL, final after redirects
    capture_url: str  # what the capture row records: URL, file URI or "stdin:"
    data: bytes
    content_type: str | None
    fetched_at: dt.datetime
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    fetch: Fetch | None = None  # every exchange, for the WARC

    @property
    def is_file(self) -> bool:
        return self.url is None


def read_source(given: str, settings: Settings, stdin: BinaryIO | None = None) -> Source:
    now = dt.datetime.now(dt.UTC)
    if given.startswith(("http://", "https://")):
        try:
            parts = urlsplit(given)
            host, _port = parts.hostname, parts.port
        except ValueError as exc:  # "http://[::1": an unclosed IPv6 bracket, a bad port
            raise SourceError(f"{given}: not a valid URL ({exc})") from None
        if not host:
            raise SourceError(f"{given}: not a valid URL (no host)")
        return _fetch(given, settings)
    if "://" in given:
        raise SourceError(f"{given}: only http(s) URLs, files and - are supported")
    if given == "-":
        stream = stdin or sys.stdin.buffer
        data = stream.read(MAX_FILE_BYTES + 1)
        return Source(given, None, "stdin:", _capped(given, data), None, now)
    path = Path(given)
    if not path.exists():
        raise SourceError(f"{given}: no such file")
    if not path.is_file():
        raise SourceError(f"{given}: not a file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"{given}: cannot read: {exc.strerror or exc}") from None
    return Source(given, None, path.resolve().as_uri(), _capped(given, data), None, now)


def _capped(given: str, data: bytes) -> bytes:
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"{given}: larger than {MAX_FILE_BYTES} bytes")
    return data


def _fetch(url: str, settings: Settings) -> Source:
    from archiver.net.http import HttpClient  # requests and urllib3: only for a URL

    client = HttpClient(settings)
    try:
        fetch = client.get(url)
    except FetchError as exc:
        raise SourceError(str(exc)) from None
    finally:
        client.close()
    if fetch.status >= 400:
        raise SourceError(f"{url}: HTTP {fetch.status}")
    return Source(
        given=url,
        url=fetch.final_url,
        capture_url=fetch.final_url,
        data=fetch.body,
        content_type=fetch.content_type,
        fetched_at=fetch.fetched_at,
        status=fetch.status,
        headers=fetch.headers,
        fetch=fetch,
    )


def detect_source(source: Source) -> Detection:
    """Decode and detect; refuses what is not an article."""
    if (b"\x00" in source.data[:8192] and not source.data.startswith((b"\xff\xfe", b"\xfe\xff"))
            and not utf16_without_bom(source.data)):
        raise SourceError(f"{source.given}: not HTML or text (binary content)")
    text, _encoding = decode(source.data, source.content_type)
    # A NUL is no character of an article (UTF-16 text may decode to some), and
    # PostgreSQL's text columns refuse it: it reads as the replacement character.
    text = text.replace("\x00", "\ufffd")
    name = source.url or source.given
    fmt = sniff_format(name if source.given != "-" else None, source.content_type, text)
    if fmt is None:
        ctype = (source.content_type or "").split(";")[0]
        raise SourceError(f"{source.given}: not HTML or text ({ctype})")
    detection = detect(text, fmt, source_url=source.url)
    if not any(p.strip() for p in detection.article.paragraphs):
        raise SourceError(f"{source.given}: no article text found")
    return detection
