"""`archiver serve`: the archive's reading room, as a Starlette app.

Every page is rendered on the server from the same read queries the CLI uses
(store/queries.py, store/tweet_queries.py, services/report.py, and
store/web_queries.py for what only pages need), and is also JSON at the same
path plus ``.json``.

Everything archived is hostile input. Templates autoescape; our pages carry a
strict Content-Security-Policy (no script at all, styles and images from our
origin only); archived bytes are served only as downloads
(``Content-Disposition: attachment``), as media of an allowed type with
``nosniff``, or for a sandboxed frame from ``/captures/ID/raw`` under
``Content-Security-Policy: sandbox``. The database is opened read-only.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archiver import __version__, report_html
from archiver.config import Settings
from archiver.errors import DatabaseError, NotFound
from archiver.services import report as report_service
from archiver.store import queries, web_queries
from archiver.store.blobs import BlobStore
from archiver.store.readonly import ReadOnlyDatabase
from archiver.store.warc_records import RecordError, record_bytes, warc_path

HERE = Path(__file__).resolve().parent
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
            "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
# For archived bytes shown in a frame: no script, no origin, nothing fetched from anywhere.
SANDBOX_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MEDIA_CSP = "sandbox; default-src 'none'"
INLINE_MEDIA = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4",
                          "video/webm"})
SHA256 = re.compile(r"[0-9a-f]{64}")
PER_PAGE = 50
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]


def create_app(settings: Settings, database_url: str | None = None, *,
               allowed_hosts: list[str] | None = None) -> Starlette:
    """The app over one archive. ``allowed_hosts`` guards against DNS rebinding
    (a page elsewhere pointing a name at our loopback port): None allows any."""
    db = ReadOnlyDatabase(database_url or settings.effective_database_url)
    site = Site(settings, db)
    routes = [
        Route("/", site.home),
        Route("/articles.json", site.articles, name="articles_json"),
        Route("/articles", site.articles, name="articles"),
        Route("/articles/{article_id:int}.json", site.article),
        Route("/articles/{article_id:int}/records.warc.gz", site.article_warc),
        Route("/articles/{article_id:int}", site.article),
        Route("/tweets/{tweet_id:str}", site.tweet),
        Route("/links/{link_id:int}.json", site.link),
        Route("/links/{link_id:int}", site.link),
        Route("/report.json", site.report),
        Route("/report", site.report),
        Route("/downloads.json", site.downloads),
        Route("/downloads", site.downloads),
        Route("/blobs/{sha256:str}", site.blob),
        Route("/media/{media_id:int}", site.media),
        Route("/warcs/{name:str}", site.warc),
        Route("/captures/{capture_id:int}/raw", site.capture_raw),
        Route("/captures/{capture_id:int}/download", site.capture_download),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(AllowedHosts, hosts=allowed_hosts))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: site.error,
                                        DatabaseError: site.database_error},
                    lifespan=_closing(db))
    app.state.db = db
    return app


def _closing(db: ReadOnlyDatabase) -> Callable[[Starlette], Any]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            db.dispose()

    return lifespan


def host_name(header: str) -> str:
    """The name in a Host header, without port: ``[::1]:8000`` -> ``::1``."""
    if header.startswith("["):
        return header[1:].partition("]")[0].lower()
    return header.rpartition(":")[0].lower() if header.count(":") == 1 else header.lower()


class AllowedHosts:
    """Answer only requests naming one of ``hosts`` (Starlette's TrustedHostMiddleware
    cuts ``[::1]:8000`` at its first colon)."""

    def __init__(self, app: Callable[..., Awaitable[None]], hosts: list[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
            if host_name(header) not in self.hosts:
                await PlainTextResponse("Invalid host header", 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Our pages' CSP and the headers every answer gets; answers that set their own
    CSP (sandboxed archived bytes) keep it."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"content-security-policy", PAGE_CSP.encode()),
                         (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"SAMEORIGIN"),
                         (b"cross-origin-resource-policy", b"same-origin")]
                headers += [(k, v) for k, v in extra if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def _int(value: str | None, default: int, low: int = 1, high: int = 10_000) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def paragraph_marks(citations: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Citation numbers by paragraph, as `archiver show` marks them."""
    marks: dict[int, list[int]] = {}
    for number, cite in enumerate(citations, start=1):
        pos = cite["position"]
        if pos["paragraph"] is None:
            continue
        last = pos["last_paragraph"] if pos["last_paragraph"] is not None else pos["paragraph"]
        for i in range(pos["paragraph"], last + 1):
            marks.setdefault(i, []).append(number)
    return marks


def bar(counts: dict[str, int]) -> Markup:
    """A stacked bar of the report's categories as SVG attributes (no inline style,
    which our CSP forbids)."""
    total = sum(counts.values())
    if not total:
        return Markup('<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none"></svg>')
    x, parts = 0.0, []
    for key, value in counts.items():
        if value:
            width = 100 * value / total
            parts.append(f'<rect x="{x:.2f}" y="0" width="{width:.2f}" height="10" '
                         f'fill="{report_html.COLORS.get(key, "#999")}"><title>{key}: {value}'
                         "</title></rect>")
            x += width
    return Markup('<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none">'
                  + "".join(parts) + "</svg>")


class Site:
    def __init__(self, settings: Settings, db: ReadOnlyDatabase) -> None:
        self.settings = settings
        self.db = db
        self.blobs = BlobStore(settings.blob_dir)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.globals.update(version=__version__, bar=bar,
                                pick=lambda row, keys: {k: row[k] for k in keys})

    # -- rendering -------------------------------------------------------------
    def page(self, request: Request, template: str, data: dict[str, Any],
             status: int = 200, **extra: Any) -> Response:
        if _wants_json(request):
            return JSONResponse(data, status_code=status)
        html = self.env.get_template(template).render(
            request=request, json_url=request.url.path + ".json"
            + (f"?{request.url.query}" if request.url.query else ""), **data, **extra)
        return HTMLResponse(html, status_code=status)

    async def error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        data = {"error": exc.detail, "status": exc.status_code}
        if _wants_json(request):
            return JSONResponse(data, status_code=exc.status_code)
        html = self.env.get_template("error.html").render(request=request, **data)
        return HTMLResponse(html, status_code=exc.status_code)

    async def database_error(self, request: Request, exc: Exception) -> Response:
        return await self.error(request, HTTPException(503, str(exc)))

    # -- pages -------------------------------------------------------------------
    def home(self, request: Request) -> Response:
        return RedirectResponse("/articles", status_code=303)

    def articles(self, request: Request) -> Response:
        p = request.query_params
        filters = {k: (p.get(k) or "").strip() or None
                   for k in ("q", "handle", "hashtag", "domain", "state")}
        if filters["state"] not in (None, *web_queries.ARTICLE_STATES):
            raise HTTPException(400, f"state {filters['state']!r}: one of "
                                     f"{', '.join(web_queries.ARTICLE_STATES)}")
        sort = p.get("sort") or "archived"
        if sort not in web_queries.ARTICLE_SORTS:
            raise HTTPException(400, f"sort {sort!r}: one of "
                                     f"{', '.join(web_queries.ARTICLE_SORTS)}")
        page, per_page = _int(p.get("page"), 1), _int(p.get("per_page"), PER_PAGE, 1, 500)
        with self.db.reader() as session:
            rows, total = web_queries.search_articles(session, **filters, sort=sort, page=page,
                                                      per_page=per_page)
        pages = max(1, -(-total // per_page))
        kept = {k: v for k, v in {**filters, "sort": sort}.items() if v}

        def page_url(n: int) -> str:
            return "/articles?" + urlencode({**kept, "page": n, "per_page": per_page})

        data = {"articles": rows, "total": total, "page": page, "per_page": per_page,
                "pages": pages, "filters": filters, "sort": sort}
        return self.page(request, "articles.html", data, page_url=page_url,
                         sorts=list(web_queries.ARTICLE_SORTS),
                         states=web_queries.ARTICLE_STATES)

    def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        with self.db.reader() as session:
            try:
                detail = queries.article_detail(session, str(article_id))
            except NotFound:
                raise HTTPException(404, f"no article {article_id}") from None
            if detail["id"] != article_id:
                raise HTTPException(404, f"no article {article_id}")
            versions = web_queries.article_versions(session, article_id)
            tweet_ids = list(dict.fromkeys(c["tweet_id"] for c in detail["citation_list"]
                                           if c["tweet_id"]))
            tweets = {t: web_queries.tweet(session, self.blobs, t) for t in tweet_ids}
            links = queries.links(session, article=str(article_id))
            media = {t: web_queries.media_ids(session, t) for t in tweet_ids}
        data = {"article": detail, "versions": versions, "tweets": tweets, "links": links}
        return self.page(request, "article.html", data,
                         marks=paragraph_marks(detail["citation_list"]), media_ids=media)

    def tweet(self, request: Request) -> Response:
        tweet_id = request.path_params["tweet_id"].removesuffix(".json")
        if not tweet_id.isdigit():
            raise HTTPException(404, "a tweet id is a number")
        with self.db.reader() as session:
            row = web_queries.tweet(session, self.blobs, tweet_id)
            if row is None:
                raise HTTPException(404, f"no tweet {tweet_id} in the archive")
            cites = web_queries.citations_of_tweet(session, tweet_id)
            urls = [link["url"] for c in cites for link in c["links"]]
            urls += [u["short"] for u in row["urls"] if u.get("short")]
            links = web_queries.links_by_url(session, list(dict.fromkeys(urls)))
            media = web_queries.media_ids(session, tweet_id)
        data = {"tweet": row, "citations": cites, "links": list(links.values())}
        return self.page(request, "tweet.html", data, media_ids=media)

    def link(self, request: Request) -> Response:
        link_id = request.path_params["link_id"]
        with self.db.reader() as session:
            detail = web_queries.link_detail(session, link_id)
            if detail is None:
                raise HTTPException(404, f"no link {link_id}")
            found = [r for r in queries.links(session) if r["id"] == link_id]
        data = {"link": found[0] if found else None, **detail}
        return self.page(request, "link.html", data, link_id=link_id)

    def report(self, request: Request) -> Response:
        with self.db.reader() as session:
            data = report_service.build(session)
        return self.page(request, "report.html", data,
                         chart=Markup(report_html._chart(data["timeline"])))

    def downloads(self, request: Request) -> Response:
        page = _int(request.query_params.get("page"), 1)
        with self.db.reader() as session:
            warcs = web_queries.published_warcs(session)
            blobs, total = web_queries.blobs_listing(session, PER_PAGE, (page - 1) * PER_PAGE)
            articles = queries.articles(session)
        for w in warcs:
            path = warc_path(self.settings.warc_dir, w["name"])
            w["size"] = path.stat().st_size if path else None
        data = {"warcs": warcs, "blobs": blobs, "blobs_total": total, "page": page,
                "pages": max(1, -(-total // PER_PAGE)),
                "articles": [{"id": a["id"], "title": a["title"], "identity": a["identity"]}
                             for a in articles]}
        return self.page(request, "downloads.html", data)

    # -- bytes -------------------------------------------------------------------
    def _blob_file(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise HTTPException(404, "not a sha256")
        path = self.blobs.path(sha256)
        if not path.is_file():
            raise HTTPException(404, f"blob {sha256} is not in the data folder")
        return path

    def blob(self, request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        with self.db.reader() as session:
            known = web_queries.blob_known(session, sha256) if SHA256.fullmatch(sha256) else None
        if known is None:
            raise HTTPException(404, f"no blob {sha256} in the archive")
        return _attachment(self._blob_file(sha256), f"{sha256}.bin")

    def media(self, request: Request) -> Response:
        with self.db.reader() as session:
            item = web_queries.media_item(session, request.path_params["media_id"])
        if item is None or not item["sha256"]:
            raise HTTPException(404, "no such media kept")
        path = self._blob_file(item["sha256"])
        mime = (item["mime"] or "").split(";")[0].strip().lower()
        if mime not in INLINE_MEDIA:
            return _attachment(path, f"{item['sha256']}.bin")
        return FileResponse(path, media_type=mime,
                            headers={"content-security-policy": MEDIA_CSP,
                                     "cache-control": "private, max-age=86400"})

    def warc(self, request: Request) -> Response:
        name = request.path_params["name"]
        path = warc_path(self.settings.warc_dir, name)
        with self.db.reader() as session:
            published = {w["name"] for w in web_queries.published_warcs(session)}
        if path is None or name not in published:
            raise HTTPException(404, f"no WARC {name}")
        return _attachment(path, name, "application/warc")

    def article_warc(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        with self.db.reader() as session:
            try:
                queries.find_article(session, str(article_id))
            except NotFound:
                raise HTTPException(404, f"no article {article_id}") from None
            captures = web_queries.article_captures(session, article_id)
        located = [(warc_path(self.settings.warc_dir, c["warc_file"]), c["warc_offset"])
                   for c in captures]
        missing = [c["warc_file"] for c, (p, _) in zip(captures, located, strict=True) if not p]
        if missing:
            raise HTTPException(404, f"WARC {missing[0]} is not in the data folder")
        if not located:
            raise HTTPException(404, f"article {article_id} has no WARC records")

        def chunks() -> Any:
            for path, offset in located:
                assert path is not None
                try:
                    yield from record_bytes(path, offset)
                except RecordError:
                    return  # the client sees a cut-short download; the WARC stays valid so far

        name = f"article-{article_id}.warc.gz"
        return StreamingResponse(chunks(), media_type="application/warc", headers={
            "content-disposition": f'attachment; filename="{name}"'})

    def _capture_file(self, capture_id: int) -> tuple[dict[str, Any], Path]:
        with self.db.reader() as session:
            found = web_queries.capture(session, capture_id)
        if found is None or not found["sha256"]:
            raise HTTPException(404, f"no bytes kept for capture {capture_id}")
        return found, self._blob_file(found["sha256"])

    def capture_raw(self, request: Request) -> Response:
        """An archived page for a sandboxed frame: its own CSP sandbox (a unique
        origin, no script, nothing fetched), and only HTML or text; the rest is a
        download."""
        found, path = self._capture_file(request.path_params["capture_id"])
        ctype = (found["content_type"] or "").split(";")[0].strip().lower()
        if ctype not in ("text/html", "text/plain", "application/xhtml+xml"):
            return _attachment(path, f"capture-{found['id']}.bin")
        charset = (found["content_type"] or "").partition("charset=")[2].strip() or None
        media = ctype + (f"; charset={charset}" if charset and re.fullmatch(r"[\w.:-]+", charset)
                         else "")
        return FileResponse(path, media_type=media,
                            headers={"content-security-policy": SANDBOX_CSP})

    def capture_download(self, request: Request) -> Response:
        found, path = self._capture_file(request.path_params["capture_id"])
        return _attachment(path, f"capture-{found['id']}.bin")


def _attachment(path: Path, filename: str,
                media_type: str = "application/octet-stream") -> FileResponse:
    """Archived bytes as a download: never rendered in our origin."""
    return FileResponse(path, media_type=media_type, filename=filename,
                        content_disposition_type="attachment",
                        headers={"content-security-policy": MEDIA_CSP})
