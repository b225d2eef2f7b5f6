"""`archiver serve` in a real browser: a headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium) against the command started as a subprocess
on a loopback port, over an archive made on the fake web.

Skipped, with the reason, only where the browser is not installed; `.ci/run`
sets ARCHIVER_REQUIRE_BROWSER=1, which turns a missing browser into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakeweb import dataset as ds
from tests.web_helpers import XSS_ID, XSS_TEXT, Archive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-proxy-server", "--window-size=1100,900")
WAIT = 20.0  # seconds for the server to answer and a page element to appear


def _browser_or_skip() -> tuple[str, str]:
    if CHROMIUM and DRIVER:
        try:
            import selenium  # noqa: F401
        except ImportError:
            pass
        else:
            return CHROMIUM, DRIVER
    reason = ("browser tests need Debian's chromium and chromium-driver "
              "(apt-get install -y chromium chromium-driver) and selenium")
    if os.environ.get("ARCHIVER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; ARCHIVER_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module", autouse=True)
def _browser_installed() -> None:
    _browser_or_skip()  # before the archive is made: nothing to build for a skip


@pytest.fixture(scope="module")
def archive(web_archive: Archive) -> Archive:
    return web_archive


@pytest.fixture(scope="module")
def server(archive: Archive) -> Iterator[str]:
    """`archiver serve` as a user starts it, on a free loopback port."""
    port = _free_port()
    env = {**os.environ, "ARCHIVER_HOME": str(archive.home),
           "ARCHIVER_DATABASE_URL": archive.db_url}
    command = Path(sys.executable).with_name("archiver")  # the installed entry point
    log = archive.home.parent / f"serve-{port}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(command), "serve", "--port", str(port)],
                                env=env, stdout=sink, stderr=sink)
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with direct.open(base + "/articles.json", timeout=2) as r:
                assert r.status == 200
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                pytest.fail(f"archiver serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):  # type: ignore[no-untyped-def]
    chromium, driver_path = _browser_or_skip()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Screenshots of every page, kept as test artifacts in pytest's tmp folder."""
    return tmp_path_factory.mktemp("screenshots")


def _find(driver, css: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                                             css)))


def _loaded(driver) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def test_browse_article_tweet_photo_and_link_history(server, browser, shots, archive):
    browser.get(server + "/")
    _find(browser, "a.article-link")
    assert browser.current_url == server + "/articles"
    browser.save_screenshot(str(shots / "articles.png"))

    seed = [a for a in browser.find_elements("css selector", "a.article-link")
            if a.get_attribute("href").endswith(f"/articles/{archive.seed_id}")]
    assert seed, "the seed article is listed"
    seed[0].click()
    _find(browser, "section.citation")
    assert len(browser.find_elements("css selector", "section.citation")) == 4
    assert len(browser.find_elements("css selector", "p.cited a.mark")) >= 4
    browser.save_screenshot(str(shots / "article.png"))

    [to_tweet] = [a for a in browser.find_elements("css selector", "a.tweet-link")
                  if a.get_attribute("href").endswith(f"/tweets/{ds.SV_ID}")]
    to_tweet.click()
    photo = _find(browser, "img.photo")
    _loaded(browser)
    assert browser.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", photo) > 0
    assert "/media/" in photo.get_attribute("src")
    assert "S-300" in browser.find_element("css selector", "#tweet-text").text
    browser.save_screenshot(str(shots / "tweet.png"))

    browser.back()
    _find(browser, "a.link-link")
    [to_link] = [a for a in browser.find_elements("css selector", "a.link-link")
                 if a.text == ds.JPOST_URL]
    to_link.click()
    history = _find(browser, "#history")
    checks = history.find_elements("css selector", "li.check")
    assert len(checks) == 2
    assert "ok" in checks[0].text and "HTTP 404" in checks[-1].text
    frame = browser.find_element("css selector", "iframe.archived")
    assert frame.get_attribute("sandbox") == ""
    browser.save_screenshot(str(shots / "link.png"))

    for name in ("report", "downloads"):
        browser.get(f"{server}/{name}")
        _find(browser, "main h1")
        browser.save_screenshot(str(shots / f"{name}.png"))
    assert browser.find_elements("css selector", "a[href^='/warcs/']")
    assert all((shots / f"{n}.png").stat().st_size > 1000
               for n in ("articles", "article", "tweet", "link", "report", "downloads"))


PROBE = "return [window.__pwned === undefined ? null : window.__pwned, document.title]"


def test_the_probe_sees_a_payload_that_runs(browser):
    """The check below can fail: the same payload, unescaped, does run here."""
    browser.get("data:text/html;charset=utf-8,<title>t</title>" + XSS_TEXT.replace("#", "%23"))
    _loaded(browser)
    pwned, title = browser.execute_script(PROBE)
    assert pwned in (1, 2) and title == "pwned"


def test_archived_script_payloads_execute_nothing(server, browser, shots, archive):
    for path in (f"/tweets/{XSS_ID}", f"/articles/{archive.second_id}"):
        browser.get(server + path)
        _find(browser, ".tweet-text")
        _loaded(browser)
        pwned, title = browser.execute_script(PROBE)
        assert pwned is None and "pwned" not in title
        texts = [e.text for e in browser.find_elements("css selector", ".tweet-text")]
        assert any("<script>window.__pwned = 1" in t and "<img src=x onerror=" in t
                   for t in texts), texts  # shown as words, not run as markup
        assert browser.find_elements("css selector", "img[src='x']") == []
    browser.save_screenshot(str(shots / "hostile-tweet.png"))
