"""RFC 3161 trusted timestamps: asking an authority, and checking its token.

The token proves that a file with this sha256 existed at the authority's time;
anyone can check it with the file alone (``openssl ts -verify -in F.tsr -data F
-CAfile roots.pem``). The request is one POST of a TimeStampReq through the HTTP
client's guarded session (the address guard sees the connection: a TSA on a
private address must be allowed like any other), with its time-outs, and the
answer capped in size.

The request is built here (a fixed, tiny DER structure) rather than with
rfc3161-client's builder, which wants the whole file in memory to hash it; the
answer is parsed and verified with rfc3161-client (imported when used).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from archiver.config import Settings
from archiver.errors import ArchiverError
from archiver.net import errors
from archiver.net.http import HttpClient, _translate

if TYPE_CHECKING:
    from cryptography.x509 import Certificate


class TimestampError(ArchiverError):
    """A token that cannot be had or does not verify, in one line."""


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
            body: bytes = response.raw.read(MAX_RESPONSE + 1, decode_content=True)
            if len(body) > MAX_RESPONSE:
                raise errors.TooLarge(url, f"answer larger than {MAX_RESPONSE} bytes")
            return body
        except requests.exceptions.RequestException as exc:
            raise _translate(url, exc) from None
        finally:
            response.close()


SHA256_OID = bytes.fromhex("0609608648016503040201")  # 2.16.840.1.101.3.4.2.1, DER


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _integer(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=False)
    return _der(0x02, raw)


def request_der(digest: bytes, nonce: int) -> bytes:
    """TimeStampReq { version 1, messageImprint (sha256), nonce, certReq TRUE }."""
    algorithm = _der(0x30, SHA256_OID + b"\x05\x00")
    imprint = _der(0x30, algorithm + _der(0x04, digest))
    return _der(0x30, _integer(1) + imprint + _integer(nonce) + b"\x01\x01\xff")


@dataclass(frozen=True)
class Token:
    authority: str
    der: bytes
    gen_time: dt.datetime


def _roots(settings: Settings) -> list[Certificate]:
    from cryptography import x509

    try:
        data = Path(settings.timestamp_ca_file).expanduser().read_bytes()
        return x509.load_pem_x509_certificates(data)
    except (OSError, ValueError) as exc:
        raise TimestampError(f"setting timestamp_ca_file: {settings.timestamp_ca_file}: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None


def check(settings: Settings, der: bytes, digest: bytes, nonce: int | None = None) -> dt.datetime:
    """Verify a token against ``digest``; its time, or ``TimestampError`` saying why not.

    With ``timestamp_ca_file`` the signature and the TSA certificate's chain are
    verified too; without it, only that the token was granted for this digest
    (and nonce): a chain cannot be trusted without a root to trust."""
    from rfc3161_client import (
        PKIStatus,
        VerificationError,
        VerifierBuilder,
        decode_timestamp_response,
    )

    try:
        response = decode_timestamp_response(der)
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"not a time-stamp response: {exc}") from None
    if settings.timestamp_ca_file:
        builder = VerifierBuilder()
        for root in _roots(settings):
            builder = builder.add_root_certificate(root)
        if nonce is not None:
            builder = builder.nonce(nonce)
        try:
            builder.build().verify(response, digest)
        except VerificationError as exc:
            text = str(exc)
            if "verifying certificates" in text:
                text = "signature or certificate chain does not verify against " \
                       "timestamp_ca_file"
            raise TimestampError(text.splitlines()[0][:300]) from None
    else:
        if PKIStatus(response.status) != PKIStatus.GRANTED:
            raise TimestampError("the authority did not grant the time-stamp")
        if response.tst_info.message_imprint.message != digest:
            raise TimestampError("the token is for another sha256")
        if nonce is not None and response.tst_info.nonce != nonce:
            raise TimestampError("nonce mismatch")
    when = response.tst_info.gen_time
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def stamp(settings: Settings, sha256_hex: str) -> list[Token]:
    """A token from every configured authority (each verified on arrival); an
    authority that fails is an ``TimestampError`` naming it, after the others."""
    digest = bytes.fromhex(sha256_hex)
    tokens: list[Token] = []
    failures: list[str] = []
    for url in settings.timestamp_authority_urls:
        nonce = secrets.randbits(63)
        try:
            der = ask(settings, url, request_der(digest, nonce))
            when = check(settings, der, digest, nonce)
        except (errors.FetchError, TimestampError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        tokens.append(Token(url, der, when))
    if failures and not tokens:
        raise TimestampError("time-stamping failed: " + "; ".join(failures))
    return tokens
