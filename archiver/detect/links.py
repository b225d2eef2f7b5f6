"""Find links in plain text and give each one a canonical identity.

Articles cite tweets through many spellings of the same thing: ``t.co``
shorteners, ``pic.twitter.com`` display links, status URLs on twitter.com,
x.com and their mirrors, and ordinary outbound links decorated with tracking
parameters. Detection, the store and the rot watcher must agree on *one*
identity per link, so everything here is a pure function of its input: no
network, no clock, standard library only.
"""

from __future__ import annotations

import ipaddress
import re
import string
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["TRACKING_PARAMS", "FoundLink", "classify_url", "find_links", "host_of",
           "normalize_url", "parse_status_url"]


@dataclass(frozen=True)
class FoundLink:
    """One link found in plain text; ``text[start:end] == url`` always holds."""

    url: str  # exactly as written (after trimming trailing punctuation)
    start: int
    end: int  # exclusive
    normalized: str
    kind: str  # "tco" | "pic" | "status" | "media" | "external"
    tweet_id: str | None = None
    handle: str | None = None  # as written; None for /i/web/status/ID


# Hosts that serve tweets at /<handle>/status/<id>. Mirrors are folded onto
# twitter.com so that a citation through nitter and one through x.com match.
TWITTER_HOSTS = frozenset({
    "twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com",
    "x.com", "www.x.com", "mobile.x.com",
})
# Mirrors, matched with any subdomain (d.fxtwitter.com); nitter.* is separate
# because its instances live under many unrelated domains.
MIRROR_DOMAINS = frozenset({
    "nitter.net", "xcancel.com", "fxtwitter.com", "fixupx.com", "vxtwitter.com",
    "fixvx.com", "twittpr.com",
})
# Query keys that select a different rendition of a media file, so they are
# part of its identity; every other key on these hosts is noise.
MEDIA_QUERY_KEYS = {"pbs.twimg.com": ("format", "name"), "video.twimg.com": ("tag",)}

# Query keys that only say how a reader arrived, never what they see. Compared
# case-insensitively; any key starting with "utm_" is also dropped.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
    "twclid", "ttclid", "li_fat_id", "mc_cid", "mc_eid", "igshid", "igsh", "mkt_tok",
    "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatrk", "_ga", "_gl",
    "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "wickedid",
    "ref_src", "ref_url", "xtor", "at_medium", "at_campaign", "ocid", "smid",
    "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee",
})
TRACKING_PREFIXES = ("utm_",)
# Share-sheet markers Twitter appends (?s=20&t=...); on other sites "s" and
# "t" are often real parameters (search terms, timestamps), so only here.
TWITTER_TRACKING_PARAMS = frozenset({"s", "t"})

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# An escape, or a character that may not appear raw in a URL (a lone "%" too).
_PCT_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^\x21-\x7e]|[%\"<>\\`]")
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_TWEET_ID = re.compile(r"[0-9]{1,20}")
_CODE = re.compile(r"/([A-Za-z0-9]+)/?")
_IDNA_DOTS = re.compile("[.\u3002\uff0e\uff61]")
_LABEL = re.compile(r"[a-z0-9_-]+")
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_OPAQUE = re.compile(r"(?i)(?:mailto|javascript|data|tel|sms|urn|about|blob|magnet):")
# RFC 3986 appendix B, which never fails to match (unlike urlsplit, which
# raises on malformed IPv6 brackets and some Unicode netlocs).
_URI = re.compile(r"(?s)(?:([A-Za-z][A-Za-z0-9+.\-]*):)?(?://([^/?#]*))?([^?#]*)"
                  r"(?:\?([^#]*))?(?:#(.*))?")

# Where a link may start. Bare hosts (no scheme, no www.) are only taken for
# Twitter's own hosts, and never right after a word character, "@", "#", ".",
# "-" or "/", so emails, hashtags and longer hostnames do not match.
_NOT_AFTER = r"(?<![A-Za-z0-9_@#.\-/])"
_START = re.compile(
    r"(?P<scheme>https?://)"
    rf"|{_NOT_AFTER}(?P<www>www\.)"
    # pic.twitter.com is often glued to the tweet's last word when scraped
    # ("escalation.pic.twitter.com/..."), and no real host ends that way.
    r"|(?<![@#/\-_])(?P<pic>pic\.twitter\.com(?=/[^\s/]))"
    rf"|{_NOT_AFTER}(?P<bare>(?:t\.co|(?:www\.|mobile\.|m\.)?(?:twitter|x)\.com"
    r"|nitter(?:\.[A-Za-z0-9-]+)+"
    r"|(?:[A-Za-z0-9-]+\.)?(?:xcancel|fxtwitter|fixupx|vxtwitter|fixvx|twittpr)\.com"
    r"|(?:pbs|video)\.twimg\.com)(?=/[^\s/]))",
    re.IGNORECASE,
)
# Characters a URL in prose never runs through: whitespace, controls and
# invisible format characters, characters that are invalid in URLs, the
# ellipsis of truncated display URLs, typographic quotes and dashes, and CJK,
# fullwidth, Arabic and Devanagari punctuation (Asian prose has no spaces).
_STOP_CHARS = (
    "\\s\x00-\x1f\x7f-\x9f<>\"`\\\\\u2026\u2014\u2018\u2019\u201a\u201c\u201d\u201e"
    "\u00ab\u00bb\u2039\u203a\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
    "\u3000-\u303f\ufe30-\ufe6f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
    "\u060c\u061b\u061f\u06d4\u0964\u0965"
)
_STOP = re.compile(f"[{_STOP_CHARS}]")
_AUTHORITY_STOP = re.compile(f"[/?#{_STOP_CHARS}]")
# Longer than any real host (253) plus user and port: refusing such runs early
# keeps find_links linear on adversarial text.
_MAX_AUTHORITY = 300
# Inside a Twitter URL, where the next link begins when two are glued together
# ("https://t.co/abcpic.twitter.com/xyz") or where prose resumes: Twitter URLs
# are plain ASCII, so the first other character ends them.
_TWITTER_STOP = re.compile(f"[{_STOP_CHARS}]|[^\\x21-\\x7e]|https?://|pic\\.twitter\\.com/",
                           re.IGNORECASE)
# A token glued before a URL that makes it part of a non-link URI.
_OPAQUE_TOKEN = re.compile(r"(?i)(?:mailto:|javascript:|data:[a-z]+/)")
_TRAILING = ".,;:!?*'"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


class _Parts(NamedTuple):
    scheme: str
    userinfo: str | None
    host: str  # normalized: lower-case, IDNA-encoded
    port: str | None
    path: str  # percent-normalized
    query: str | None
    fragment: str | None


def _pct(s: str) -> str:
    """Normalize percent-encoding so equal URLs compare equal.

    Escapes of unreserved characters are decoded, other escapes get upper-case
    hex, a stray "%" becomes "%25", and characters that may not appear raw in
    a URL (non-ASCII, spaces, quotes...) are encoded as UTF-8. Reserved
    characters are left alone either way, since encoding them changes meaning.
    """
    return _PCT_TOKEN.sub(_pct_token, s)


def _pct_token(m: re.Match[str]) -> str:
    token = m.group()
    if len(token) == 3 and token[0] == "%":
        ch = chr(int(token[1:], 16))
        return ch if ch in _UNRESERVED else token.upper()
    return "".join(f"%{b:02X}" for b in token.encode("utf-8", "surrogatepass"))


def _idna_label(label: str) -> str:
    """ASCII form of one host label.

    It never fails and its result is plain ASCII, so normalizing twice gives
    the same host. Results with URL delimiters are refused: NFKC maps e.g. a
    fullwidth solidus to "/", which would move the host/path boundary.
    """
    if label.isascii():
        return label.lower()
    for codec, prefix in (("idna", ""), ("punycode", "xn--")):  # punycode if nameprep refuses
        try:
            ascii_label = prefix + label.lower().encode(codec).decode("ascii").lower()
        except (UnicodeError, ValueError):
            continue
        if _LABEL.fullmatch(ascii_label):
            return ascii_label
    return _pct(label).lower()


def _norm_host(host: str) -> str:
    if host.isascii():
        return host.lower()
    return ".".join(_idna_label(label) for label in _IDNA_DOTS.split(host))


def _split(url: str) -> _Parts | None:
    """Split a URL, scheme-less ones included; None for mailto:, data: etc."""
    url = url.strip()
    if not _HAS_SCHEME.match(url):
        if _OPAQUE.match(url):
            return None
        url = "//" + url.lstrip("/")
    m = _URI.fullmatch(url)
    assert m is not None  # every group is optional
    scheme, authority, path, query, fragment = m.groups()
    userinfo, at, hostport = (authority or "").rpartition("@")
    port: str | None = None
    if hostport.startswith("["):  # IPv6 literal: the port follows "]:"
        host, sep, tail = hostport.partition("]:")
        host += "]"
    else:  # a colon inside the host means there is no port to split off
        host, sep, tail = hostport.rpartition(":")
        sep = "" if ":" in host else sep
    if sep and tail.isascii() and (tail.isdigit() or not tail):
        port = tail
    else:
        host = hostport
    host = _norm_host(host)
    if scheme is None:  # Twitter is HTTPS-only; elsewhere http is what
        bare = host.rstrip(".")  # linkifiers assume for a scheme-less "www."
        scheme = "https" if _is_twitterish(bare) else "http"
    return _Parts(scheme.lower(), _pct(userinfo) if at else None, host, port, _pct(path),
                  query, fragment)


def _is_status_host(host: str) -> bool:
    if host in TWITTER_HOSTS or (host.startswith("nitter.") and len(host) > 7):
        return True
    return any(host == d or host.endswith("." + d) for d in MIRROR_DOMAINS)


def _is_twitterish(host: str) -> bool:
    special = host in ("t.co", "pic.twitter.com") or host in MEDIA_QUERY_KEYS
    return special or _is_status_host(host)


def _status_path(path: str, fragment: str | None) -> tuple[str | None, str] | None:
    """(handle, id) from a path, or from a 2010-era "#!/" fragment."""
    if path in ("", "/") and fragment and fragment.startswith("!/"):
        m = _URI.fullmatch(fragment[1:])
        path = _pct(m.group(3)) if m else ""
    segs = path.split("/")[1:]
    low = [s.lower() for s in segs[:4]]
    handle: str | None = None
    if low[:3] == ["i", "web", "status"] and len(segs) > 3:
        tweet_id = segs[3]
    elif low[:2] == ["i", "status"] and len(segs) > 2:
        tweet_id = segs[2]
    elif len(segs) > 2 and low[1] in ("status", "statuses") and _HANDLE.fullmatch(segs[0]):
        handle, tweet_id = segs[0], segs[2]
    else:
        return None
    return (handle, tweet_id) if _TWEET_ID.fullmatch(tweet_id) else None


def _clean_query(query: str | None, host: str, keep: tuple[str, ...] | None = None) -> str:
    """The query without tracking keys (or with only ``keep``), order kept."""
    kept = []
    for part in _pct(query or "").split("&"):
        if not part:
            continue
        key = part.partition("=")[0]
        low = key.lower()
        if keep is not None:
            if key in keep:
                kept.append(part)
        elif not (low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)
                  or (low in TWITTER_TRACKING_PARAMS and _is_status_host(host))):
            kept.append(part)
    return "?" + "&".join(kept) if kept else ""


def _analyze(url: str) -> tuple[str, str | None, str | None, str]:
    """(kind, tweet_id, handle, normalized) — the single place URLs are judged."""
    p = _split(url)
    if p is None:
        return "external", None, None, url.strip()
    host = p.host.rstrip(".")
    if p.scheme in _DEFAULT_PORTS:
        code = _CODE.fullmatch(p.path)
        if host == "t.co" and code:
            return "tco", None, None, "https://t.co/" + code.group(1)
        if host == "pic.twitter.com" and code:
            return "pic", None, None, "https://pic.twitter.com/" + code.group(1)
        if host in MEDIA_QUERY_KEYS:
            query = _clean_query(p.query, host, MEDIA_QUERY_KEYS[host])
            return "media", None, None, f"https://{host}{p.path or '/'}{query}"
        status = _status_path(p.path, p.fragment) if _is_status_host(host) else None
        if status:
            handle, tweet_id = status
            who = handle.lower() if handle else "i/web"
            return "status", tweet_id, handle, f"https://twitter.com/{who}/status/{tweet_id}"
    port = p.port
    if not port or port.lstrip("0") == _DEFAULT_PORTS.get(p.scheme):
        port = None
    userinfo = "" if p.userinfo is None else p.userinfo + "@"
    netloc = f"{userinfo}{p.host}{':' + port if port else ''}"
    query = _clean_query(p.query, host)
    return "external", None, None, f"{p.scheme}://{netloc}{p.path or '/'}{query}"


def classify_url(url: str) -> tuple[str, str | None, str | None]:
    """(kind, tweet_id, handle) for an absolute or scheme-less URL.

    Profile, intent, search and hashtag pages on Twitter hosts are "external":
    they are links, but they do not identify a tweet.
    """
    kind, tweet_id, handle, _ = _analyze(url)
    return kind, tweet_id, handle


def normalize_url(url: str) -> str:
    """The canonical identity of a link; idempotent.

    Twitter forms collapse to one spelling (t.co and pic codes keep their
    case; status URLs become twitter.com/<handle lower-cased>/status/<id>).
    Other URLs only lose what cannot change the resource: scheme and host
    case, IDNA, default ports, the fragment, tracking parameters and
    percent-encoding differences. Paths and query order are left alone
    because servers may treat them as significant.
    """
    return _analyze(url)[3]


def parse_status_url(url: str) -> tuple[str | None, str] | None:
    """(handle as written or None, tweet_id) if ``url`` names a tweet, else None."""
    kind, tweet_id, handle, _ = _analyze(url)
    return (handle, tweet_id) if kind == "status" and tweet_id else None


def host_of(url: str) -> str:
    """The lower-case host name of ``url`` (urlsplit's ``hostname``), "" when it has
    none, is longer than a DNS name can be, or cannot be split: urlsplit raises on "http://[::1" and the like, which
    an article's links may hold."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host if len(host) <= 253 else ""  # longer is no DNS name (and no domain column fits)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _valid_host(host: str) -> bool:
    """Whether a host found in prose is a plausible Internet host name."""
    host = host.rstrip(".")
    if host.startswith("["):
        return host.endswith("]") and ":" in host and _is_ip(host[1:-1])
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return not labels[-1].isdigit() or _is_ip(host)


def _trim(url: str) -> str:
    """Drop trailing prose punctuation and brackets that close outside the URL."""
    end, excess = len(url), {}
    while end:
        c = url[end - 1]
        if c in _CLOSERS:
            if c not in excess:  # count once: linear even for "...)))))"
                excess[c] = url.count(c, 0, end) - url.count(_CLOSERS[c], 0, end)
            if excess[c] <= 0:
                break
            excess[c] -= 1
        elif c not in _TRAILING:
            break
        end -= 1
    return url[:end]


def _link_at(text: str, m: re.Match[str]) -> FoundLink | None:
    """The link starting at match ``m``, or None; host checks come first so a
    rejected start costs O(_MAX_AUTHORITY), not O(len(text))."""
    start, group = m.start(), m.lastgroup
    before = text[max(0, start - 200):start].split()
    if before and not text[start - 1].isspace() and _OPAQUE_TOKEN.match(before[-1]):
        return None  # inside a mailto:/javascript:/data: token
    host_from = m.end() if group == "scheme" else start
    limit = host_from + _MAX_AUTHORITY
    stop = _AUTHORITY_STOP.search(text, host_from, limit)
    if stop is None and limit < len(text):
        return None
    authority_end = stop.start() if stop else len(text)
    p = _split(_trim(text[start:authority_end]))
    if p is None or not _valid_host(p.host):
        return None
    host = p.host.rstrip(".")
    if group == "www" and host.count(".") < 2:
        return None  # "www.example" is a word, not a host
    stop = (_TWITTER_STOP if _is_twitterish(host) else _STOP).search(text, authority_end)
    url = _trim(text[start:stop.start() if stop else len(text)])
    if group in ("bare", "pic") and len(url) <= authority_end - start + 1:
        return None  # a bare "x.com" or "x.com/" names no page
    kind, tweet_id, handle, normalized = _analyze(url)
    return FoundLink(url, start, start + len(url), normalized, kind, tweet_id, handle)


def find_links(text: str) -> list[FoundLink]:
    """Every link in plain text, in order and without overlaps.

    Recognized: anything starting with http:// or https://, hosts starting
    with "www.", and Twitter's own hosts without a scheme when a path follows
    (t.co/..., pic.twitter.com/..., twitter.com/..., x.com/..., mirrors,
    twimg). A URL ends at whitespace, an ellipsis or CJK punctuation, and
    loses trailing sentence punctuation and unbalanced closing brackets.
    """
    links: list[FoundLink] = []
    pos = 0
    while m := _START.search(text, pos):
        link = _link_at(text, m)
        if link is None:
            pos = m.start() + 1
        else:
            links.append(link)
            pos = link.end
    return links


def is_entity_link(href: str) -> bool:
    """Hashtag and mention links of a rendered tweet are entities, not cited links."""
    try:
        parts = urlsplit(href if "//" in href else "https://" + href)
    except ValueError:  # "https://[::1" and the like: not a Twitter link either
        return False
    host = (parts.hostname or "").lower()
    if host.endswith(("twitter.com", "x.com")):
        path = parts.path.strip("/")
        if path.startswith("hashtag/") or (path and "/" not in path):
            return True
    return False
