"""SURT keys as the Wayback CDX server computes them (enough for our captures).

CDX rows are sorted and matched on this key, not on the URL as crawled, so
``http://twitter.com:80/X`` and ``https://www.twitter.com/x`` are one resource.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:/*", re.IGNORECASE)
_WWW = re.compile(r"^www\d*\.")


def split_url(url: str) -> tuple[str, str]:
    """(host[:port], path?query) of a URL with or without a scheme; no fragment."""
    rest = _SCHEME.sub("", url.strip(), count=1).split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    host, path = rest[:cut], rest[cut:]
    if not path.startswith("/"):
        path = "/" + path
    return host, path


def surt_host(host: str) -> str:
    """``www.Twitter.com:80`` -> ``com,twitter`` (default ports and www dropped)."""
    host = host.lower().rstrip(".")
    for port in (":80", ":443"):
        host = host.removesuffix(port)
    host = _WWW.sub("", host)
    return ",".join(reversed(host.split(".")))


def surt(url: str) -> str:
    """``https://twitter.com/SFrantzman/status/1?s=20`` -> ``com,twitter)/sfrantzman/status/1?s=20``.

    Lower-cased, query arguments sorted (the IA canonicaliser does both).
    """
    host, path = split_url(url)
    path, _, query = path.partition("?")
    key = surt_host(host) + ")" + path.lower()
    if query:
        key += "?" + "&".join(sorted(query.lower().split("&")))
    return key
