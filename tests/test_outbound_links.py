"""Every outbound link of an article, kept and preserved (--with-links), on the fake web."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archiver.detect.document import detect
from archiver.store import models as m
from tests.cli_helpers import run, run_json
from tests.fakeweb.data import Page

ARTICLE_URL = "https://news.example/2024/05/floods.html"
HOSTS = ("example.com", "www.example.com", "blog.example")


def warcio_check(path):  # type: ignore[no-untyped-def]
    code = "import sys; from warcio.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "check", str(path)],
                          capture_output=True, text=True, check=False)


def warcio_index(path) -> list[str]:  # type: ignore[no-untyped-def]
    code = "import sys; from warcio.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "index", str(path)],
                          capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if '"response"' in line]


def body_links() -> list[tuple[str, str, str | None]]:
    """(href as written, anchor text, rel) of the 50 links the author put in the story."""
    links: list[tuple[str, str, str | None]] = []
    for i in range(40):
        host = HOSTS[i % len(HOSTS)]
        rel = ("nofollow", "sponsored", "ugc", None)[i % 4]
        links.append((f"https://{host}/report/{i}?utm_source=tw&id={i}", f"source {i}", rel))
    for i in range(6):  # relative links resolve against <base>: the site's own pages
        links.append((f"/2024/05/background-{i}.html", f"background {i}", None))
    for i in range(4):  # bare URLs in the text
        links.append((f"https://blog.example/bare/{i}", f"https://blog.example/bare/{i}", None))
    return links


def boilerplate_links() -> list[str]:
    return [f"https://example.com/chrome/{i}" for i in range(30)]


def article_html() -> str:
    chrome = boilerplate_links()
    parts = ["<html lang='en'><head><title>Floods</title>",
             f"<link rel='canonical' href='{ARTICLE_URL}'><base href='https://news.example/'>",
             "</head><body><header><nav>"]
    parts += [f"<a href='{u}'>menu {i}</a>" for i, u in enumerate(chrome[:8])]
    parts.append("</nav></header><main><article><h1>Floods</h1>")
    for i, (href, text, rel) in enumerate(body_links()):
        if href.startswith("https://blog.example/bare/"):
            parts.append(f"<p>Data at {href} for paragraph {i}.</p>")
            continue
        rel_attr = f" rel='{rel}'" if rel else ""
        parts.append(f"<p>Paragraph {i} cites <a href='{href}'{rel_attr}>{text}</a> today."
                     " <a href='mailto:desk@news.example'>mail</a> <a href='#top'>top</a>"
                     " <a href='javascript:void(0)'>js</a></p>")
    parts.append("<div class='share-bar'>")
    parts += [f"<a href='{u}'>share {i}</a>" for i, u in enumerate(chrome[8:13])]
    parts.append("</div><aside class='related-articles'>")
    parts += [f"<a href='{u}'>related {i}</a>" for i, u in enumerate(chrome[13:20])]
    parts.append("</aside></article><section id='comments'>")
    parts += [f"<p>Comment <a href='{u}'>link</a></p>" for u in chrome[20:25]]
    parts.append("</section><div class='ad-slot advertisement'>")
    parts += [f"<a href='{u}'>ad</a>" for u in chrome[25:28]]
    parts.append("</div></main><footer>")
    parts += [f"<a href='{u}'>footer</a>" for u in chrome[28:30]]
    parts.append("</footer></body></html>")
    return "".join(parts)


def test_detection_keeps_exactly_the_story_links():
    result = detect(article_html(), "html", source_url=ARTICLE_URL)
    outbound = [r for r in result.links if r.kind in ("external", "internal")]
    assert len(outbound) == 50
    expected = body_links()
    assert [r.anchor_text if not r.url.startswith("https://blog.example/bare/") else r.url
            for r in outbound] == [text for _, text, _ in expected]
    assert all("utm_source" not in r.normalized for r in outbound)
    assert {r.rel for r in outbound} == {"nofollow", "sponsored", "ugc", None}
    internal = [r for r in outbound if r.kind == "internal"]
    assert [r.normalized for r in internal] == [
        f"https://news.example/2024/05/background-{i}.html" for i in range(6)]
    paragraphs = result.article.paragraphs
    for ref in outbound:
        assert paragraphs[ref.position.paragraph][ref.position.start:ref.position.end] in (
            ref.anchor_text or "", ref.url)
    assert not any("chrome" in r.normalized for r in result.links)


def _serve_article(web, broken: set[int]) -> None:  # type: ignore[no-untyped-def]
    web.data.add_page(Page(ARTICLE_URL, article_html().encode()))
    for i, (href, _, _) in enumerate(body_links()):
        url = href if href.startswith("http") else "https://news.example" + href
        url = url.replace("utm_source=tw&", "")  # what archiver asks for: tracking removed
        if i in broken:
            continue
        web.data.add_page(Page(url, f"<html><body><article><p>Target page {i} with its own "
                                    "long enough text to be the main text.</p></article>"
                                    "</body></html>".encode()))


def test_with_links_keeps_one_capture_per_link(home, db_url, fakeweb):
    _serve_article(fakeweb, broken={3, 7})
    fakeweb.fault("example.com", "/report/9*", "hang", seconds=8)
    env = {**fakeweb.env(), "ARCHIVER_TOTAL_TIMEOUT": "3", "ARCHIVER_RETRY_MAX_WAIT": "0.01"}
    result = run(home, db_url, "archive", "--with-links", ARTICLE_URL, env=env)
    assert result.exit_code == 0, result.output
    assert "outbound links kept: 47, failed: 3" in result.stdout
    links = run_json(home, db_url, "links", "--article", ARTICLE_URL)
    outbound = [link for link in links if link["kind"] in ("external", "internal")]
    assert len(outbound) == 50
    failed = {link["url"]: link["snapshot_error"] for link in outbound if link["snapshot_error"]}
    assert len(failed) == 3
    assert any(err.startswith("http_404") for err in failed.values())
    assert any(err.startswith("timeout") for err in failed.values())
    assert [link["kind"] for link in links].count("article") == 1  # the article itself

    engine = create_engine(db_url)
    with Session(engine) as session:
        kept = session.scalars(select(m.Link).where(m.Link.snapshot_text_sha256.is_not(None)))
        texts = {(home / "blobs" / s[:2] / s[2:4] / s).read_text() for s in
                 (link.snapshot_text_sha256 for link in kept)}
    engine.dispose()
    assert len(texts) == 47 and all(t.startswith("Target page") for t in texts)

    [warc] = list((home / "warcs").glob("*.warc.gz"))
    check = warcio_check(warc)
    assert check.returncode == 0, check.stdout + check.stderr
    targets = [link["url"] for link in outbound if not link["snapshot_error"]]
    index = warcio_index(warc)
    assert all(any(u in entry for entry in index) for u in targets)  # one record per link

    again = run(home, db_url, "archive", "--with-links", ARTICLE_URL, env=env)
    assert again.exit_code == 0
    assert len(run_json(home, db_url, "links", "--article", ARTICLE_URL)) == len(links)


def test_links_filters(home, db_url, fakeweb):
    _serve_article(fakeweb, broken=set())
    run(home, db_url, "archive", "--offline", ARTICLE_URL, env=fakeweb.env())
    assert len(run_json(home, db_url, "links", "--kind", "internal")) == 6
    blog = run_json(home, db_url, "links", "--domain", "blog.example")
    assert blog and all(link["domain"] == "blog.example" for link in blog)
    www = run_json(home, db_url, "links", "--domain", "example.com")
    assert {link["domain"] for link in www} == {"example.com", "www.example.com"}
    assert all(link["last_check"] is None for link in www)
    out = run(home, db_url, "links", "--kind", "external", "--format", "csv").stdout.splitlines()
    assert out[0].startswith("id,url,kind,domain,state") and len(out) == 1 + 44
    [detected] = json.loads(run(home, db_url, "detect", "--format", "json", ARTICLE_URL,
                                env=fakeweb.env()).stdout)
    assert sum(1 for link in detected["links"] if link["kind"] != "status") == 50
