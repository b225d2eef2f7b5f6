"""Every other host: articles, shortener hops, anything a test puts in ``data.pages``."""

from __future__ import annotations

from tests.fakeweb.data import FakeData
from tests.fakeweb.wire import Request, Response, not_found


def serve(req: Request, data: FakeData) -> Response:
    page = data.page(f"{req.host}{req.target}")
    if page is None:
        return not_found()
    headers = [("content-type", page.content_type), *page.headers]
    if page.location is not None:
        headers.append(("location", page.location))
    return Response(page.status, headers, page.body)
