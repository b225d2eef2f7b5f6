"""Archiving a URL over real HTTP on loopback, and the fetch bounds around it."""

from __future__ import annotations

import gzip
import ipaddress

import pytest

from archiver.config import load_settings
from archiver.net import errors
from archiver.net.http import AddressPolicy, HttpClient
from tests.cli_helpers import run, run_json
from tests.localweb import base_url, reply, serve

ALLOW = {"ARCHIVER_ALLOW_PRIVATE_NETWORKS": "127.0.0.1/32"}
ARTICLE = (
    b'<html lang="en"><head><meta charset="utf-8"><title>Story</title>'
    b'<meta property="og:title" content="Rockets over the capital">'
    b'<meta name="author" content="Ann Reporter">'
    b'<meta property="article:published_time" content="2020-10-02T08:00:00Z"></head><body>'
    b"<article><p>Overnight the capital heard sirens.</p>"
    b'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Missiles intercepted '
    b'<a href="https://t.co/QDhfkrnCsP">pic.twitter.com/QDhfkrnCsP</a></p>&mdash; SV News '
    b'(@SVNewsAlerts) <a href="https://twitter.com/SVNewsAlerts/status/1311714411264032768">'
    b"October 1, 2020</a></blockquote><p>More later.</p></article></body></html>"
)


def _client(**overrides: object) -> HttpClient:
    return HttpClient(load_settings(env={}, allow_private_networks="127.0.0.1/32", **overrides))


def test_archive_a_url_through_a_redirect(home, db_url):
    routes = {"/story": reply(200, ARTICLE, {"Content-Type": "text/html; charset=utf-8"}),
              "/s": reply(301, b"", {"Location": "/story"})}
    with serve(routes) as server:
        url = base_url(server) + "/s"
        summary = run_json(home, db_url, "archive", "--offline", url, env=ALLOW)
    assert summary[0]["identity"] == base_url(server) + "/story"
    assert summary[0]["title"] == "Rockets over the capital"
    assert summary[0]["handles"] == ["SVNewsAlerts"]
    [article] = run_json(home, db_url, "articles")
    assert article["authors"] == ["Ann Reporter"] and article["published"] == "2020-10-02"


@pytest.mark.parametrize(
    ("path", "route", "needle"),
    [
        ("/gone", reply(404, b"nope"), "HTTP 404"),
        ("/pdf", reply(200, b"%PDF-1.4 binary", {"Content-Type": "application/pdf"}),
         "not HTML or text (application/pdf)"),
        ("/loop", reply(302, b"", {"Location": "/loop"}), "more than 10 redirects"),
    ],
)
def test_bad_urls_fail_with_one_line_and_store_nothing(home, db_url, path, route, needle):
    with serve({path: route}) as server:
        result = run(home, db_url, "archive", base_url(server) + path, env=ALLOW)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and needle in result.stderr
    assert path in result.stderr
    assert run_json(home, db_url, "articles") == []


def test_private_address_is_refused_before_any_connection(home, db_url):
    with serve({"/story": reply(200, ARTICLE)}, host="127.0.0.2") as server:
        result = run(home, db_url, "archive", base_url(server) + "/story", env=ALLOW)
        assert server.hits == []  # the guard refused before a single byte was sent
    assert result.exit_code == 1 and "private or special address" in result.stderr


def test_redirect_to_a_refused_address_is_stopped_at_that_hop():
    with serve({"/story": reply(200, ARTICLE)}, host="127.0.0.2") as inner:
        target = base_url(inner) + "/story"
        with serve({"/hop": reply(302, b"", {"Location": target})}) as outer:
            client = _client()
            with pytest.raises(errors.BlockedAddress):
                client.get(base_url(outer) + "/hop")
        assert inner.hits == []


def test_body_cap_applies_after_decompression():
    bomb = gzip.compress(b"<p>" + b"a" * 5_000_000 + b"</p>")
    routes = {"/bomb": reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}),
              "/big": reply(200, b"x" * 3_000_000, {"Content-Type": "text/html"})}
    with serve(routes) as server:
        client = _client(max_body_bytes=1_000_000)
        assert len(bomb) < 1_000_000
        with pytest.raises(errors.TooLarge):
            client.get(base_url(server) + "/bomb")
        with pytest.raises(errors.TooLarge):
            client.get(base_url(server) + "/big")


def test_user_agent_names_archiver_and_contact():
    seen: dict[str, str] = {}

    def capture(req):  # type: ignore[no-untyped-def]
        seen["ua"] = req.headers["User-Agent"]
        reply(200, b"ok")(req)

    with serve({"/ua": capture}) as server:
        client = HttpClient(load_settings(env={}, allow_private_networks="127.0.0.1/32",
                                          user_agent_contact="https://news.example/archive"))
        client.get(base_url(server) + "/ua")
    assert seen["ua"].startswith("archiver/") and "https://news.example/archive" in seen["ua"]


@pytest.mark.parametrize("address", [
    "169.254.169.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "192.168.1.1", "127.0.0.1",
    "127.0.0.2", "::1", "fd00:ec2::254", "fe80::1", "0.0.0.0", "100.64.0.1", "::ffff:10.0.0.1",
    "224.0.0.1",
])
def test_private_and_special_addresses_are_refused_by_default(address):
    assert not AddressPolicy("").allows(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address):
    assert AddressPolicy("").allows(address)


def test_allow_list_is_exact_and_metadata_stays_refused_in_lab_mode():
    policy = AddressPolicy("127.0.0.1/32")
    assert policy.allows("127.0.0.1") and not policy.allows("127.0.0.2")
    assert not policy.allows("::1")
    lab = AddressPolicy("1")
    assert lab.allows("10.1.2.3") and lab.allows("127.0.0.5")
    assert not lab.allows("169.254.169.254") and not lab.allows("fd00:ec2::254")
    assert AddressPolicy("169.254.169.254/32").allows("169.254.169.254")
    assert ipaddress.ip_address("169.254.169.254").is_link_local
