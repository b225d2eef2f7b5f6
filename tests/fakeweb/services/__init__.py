"""Virtual hosts: which service answers for which host name.

Hosts not listed here are served from ``FakeData.pages`` (articles, shortener
hops), so a test can put any page on the fake web without new code.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fakeweb.data import FakeData
from tests.fakeweb.services import (
    fxtwitter,
    media,
    oembed,
    pages,
    syndication,
    tco,
    twitter,
    wayback,
)
from tests.fakeweb.wire import Request, Response, redirect

Service = Callable[[Request, FakeData], Response]

ROUTES: dict[str, Service] = {
    "t.co": tco.shortener,
    "pic.twitter.com": tco.pic,
    "twitter.com": twitter.to_x,
    "www.twitter.com": twitter.to_x,
    "mobile.twitter.com": twitter.to_x,
    "mobile.x.com": twitter.to_x,
    "www.x.com": twitter.to_x,
    "x.com": twitter.app,
    "platform.twitter.com": twitter.widgets,
    "cdn.syndication.twimg.com": syndication.tweet_result,
    "publish.twitter.com": oembed.to_x,
    "publish.x.com": oembed.oembed,
    "api.fxtwitter.com": fxtwitter.api,
    "pbs.twimg.com": media.pbs,
    "video.twimg.com": media.video,
    "archive.org": wayback.availability,
    "web.archive.org": wayback.web,
}

# Names the certificate covers even when no page lives there yet.
HOSTS = (*ROUTES, "news.example", "www.jpost.com", "bit.ly", "example.com",
         "www.example.com", "blog.example")

# Over plain HTTP these hosts send the client to HTTPS first, as the real ones do
# (UNCONFIRMED per host; t.co and article sites answer on port 80 directly).
_HTTPS_ONLY = set(ROUTES) - {"t.co"}


def dispatch(req: Request, data: FakeData) -> Response:
    if req.scheme == "http" and req.host in _HTTPS_ONLY:
        return redirect(f"https://{req.host}{req.target}", 301)
    service = ROUTES.get(req.host, pages.serve)
    return service(req, data)
