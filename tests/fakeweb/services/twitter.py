"""twitter.com, mobile.twitter.com and x.com: redirects and the JavaScript app shell.

Status pages carry no tweet text for a non-browser client, so the client must not
learn anything from them; the shell below is what it gets (reference 2, 9).
"""

from __future__ import annotations

from tests.fakeweb.data import FakeData
from tests.fakeweb.wire import Request, Response, html, redirect

APP_SHELL = (
    '<!DOCTYPE html><html dir="ltr" lang="en"><head><meta charset="utf-8" />'
    '<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1,'
    'user-scalable=0,viewport-fit=cover" />'
    '<link rel="preconnect" href="//abs.twimg.com" />'
    '<meta property="og:site_name" content="X (formerly Twitter)" />'
    '<meta name="apple-mobile-web-app-title" content="X" />'
    "<title>X</title>"
    '<link rel="manifest" href="/manifest.json" crossorigin="use-credentials" />'
    "</head><body style=\"background-color: #FFFFFF;\"><noscript>"
    '<form action="https://x.com/?mx=2" method="POST" style="background-color: #fff;">'
    '<div class="errorContainer"><h1>JavaScript is not available.</h1>'
    "<p>We’ve detected that JavaScript is disabled in this browser. Please enable "
    "JavaScript or switch to a supported browser to continue using x.com. You can see "
    'a list of supported browsers in our Help Center.</p></div></form></noscript>'
    '<div id="react-root" style="height:100%;display:flex;"></div>'
    '<script type="text/javascript" charset="utf-8" nonce="ZmFrZXdlYg==" '
    'src="https://abs.twimg.com/responsive-web/client-web/main.4f0f1a5a.js"></script>'
    "</body></html>"
)

_SHELL_HEADERS = [
    ("cache-control", "no-cache, no-store, must-revalidate, pre-check=0, post-check=0"),
    ("pragma", "no-cache"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("strict-transport-security", "max-age=631138519"),
]


def to_x(req: Request, data: FakeData) -> Response:
    """Every twitter.com / mobile / www path -> 301 to the same path on x.com.

    The status code for status pages is UNCONFIRMED; 301 is the documented guess.
    """
    return redirect(f"https://x.com{req.target}", 301, [("cache-control", "no-cache")])


def app(req: Request, data: FakeData) -> Response:
    """x.com: the app shell for any page, tweet or not (no text, no 404)."""
    return html(200, APP_SHELL, _SHELL_HEADERS)


def widgets(req: Request, data: FakeData) -> Response:
    """platform.twitter.com/widgets.js, which embedded articles load."""
    body = b"/* fakeweb widgets.js */ window.twttr = window.twttr || {widgets: {}};\n"
    return Response(200, [("content-type", "application/javascript; charset=utf-8")], body)
