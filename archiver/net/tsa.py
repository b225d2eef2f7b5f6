"""Asking an RFC 3161 time-stamping authority: one POST of a TimeStampReq.

Through the HTTP client's guarded session (the address guard sees the
connection: a TSA on a private address must be allowed like any other), with
its time-outs, and the answer capped in size. Parsing and verification of the
answer belong to evidence/timestamps.py.
"""

from __future__ import annotations

import requests

from archiver.config import Settings
from archiver.net import errors
from archiver.net.http import HttpClient, _translate

MAX_RESPONSE = 256 * 1024
CONTENT_TYPE = "application/timestamp-query"


def ask(settings: Settings, url: str, query: bytes) -> bytes:
    """POST ``query`` (DER) to ``url``; the DER TimeStampResp, or a ``FetchError``."""
    with HttpClient(settings) as client:
        try:
            response = client.session.post(
                url, data=query, headers={"Content-Type": CONTENT_TYPE},
                timeout=(settings.timeout_connect, settings.timeout_read),
                allow_redirects=False, stream=True)
        except requests.exceptions.RequestException as exc:
            raise _translate(url, exc) from None
        try:
            if response.status_code != 200:
                raise errors.FetchError(url, f"time-stamping authority answered "
                                             f"{response.status_code}")
            body = response.raw.read(MAX_RESPONSE + 1, decode_content=True)
            if len(body) > MAX_RESPONSE:
                raise errors.TooLarge(url, f"answer larger than {MAX_RESPONSE} bytes")
            return body
        except requests.exceptions.RequestException as exc:
            raise _translate(url, exc) from None
        finally:
            response.close()
