"""One tree of fetch errors, rooted at ``FetchError``, each carrying its URL.

Lower-level errors (requests, urllib3, socket) are translated at the boundary
in http.py, so callers never see a library's exception and every message names
the URL a person asked for.
"""

from __future__ import annotations

# The root lives in archiver/errors.py, under ArchiverError; re-exported for net's callers.
from archiver.errors import FetchError as FetchError  # noqa: PLC0414


class BlockedAddress(FetchError):
    cause = "blocked_address"


class InvalidURL(FetchError):
    cause = "invalid_url"


class DNSFailure(FetchError):
    cause = "dns_error"


class ConnectFailed(FetchError):
    cause = "connection_error"


class BodyCutShort(ConnectFailed):
    """The body ended before the length the server announced (or before the last
    chunk): never stored; retried like a dropped connection."""

    cause = "body_cut_short"


class Timeout(FetchError):
    cause = "timeout"


class TLSFailure(FetchError):
    cause = "tls_error"


class TooLarge(FetchError):
    cause = "too_large"


class TooManyRedirects(FetchError):
    cause = "too_many_redirects"


class RedirectLoop(TooManyRedirects):
    """The hop budget ran out on a chain that came back to a URL it had visited."""

    cause = "redirect_loop"


# Why a link could not be followed, as kept in the database (``link.resolve_error``)
# and shown by ``links`` and ``citations``: the cause, with two renamed for people.
_REASONS = {"blocked_address": "refused_address", "too_many_redirects": "too_many_hops",
            "error": "fetch_error"}


def reason(exc: FetchError) -> str:
    """The stable reason code for ``exc`` (``refused_address``, ``timeout``, ...)."""
    return _REASONS.get(exc.cause, exc.cause)
