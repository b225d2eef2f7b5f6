"""The address guard: which destinations may be connected to.

Private, loopback, link-local and metadata addresses are refused on the check
itself (never by connecting), including IPv6 forms that carry such an IPv4
address inside (NAT64, 6to4, Teredo, IPv4-compatible, -mapped, -translated).
The allow-list can name one port, so allowing a test server does not allow
every service on its address; that is shown over real sockets on 127.0.0.2.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.config import load_settings, parse_allow_list
from archiver.errors import ConfigError
from archiver.net import errors
from archiver.net.guard import AddressPolicy, embedded_ipv4
from archiver.net.http import HttpClient
from tests.cli_helpers import run
from tests.fakeweb.server import FakeWeb
from tests.localweb import reply, serve

FAKEWEB_ONLY = "127.0.0.1:8443,127.0.0.1:8080"  # what FakeWeb.env() allows, as it does

# IPv4 addresses the guard must never reach through an IPv6 disguise.
PRIVATE_V4 = ["127.0.0.2", "127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.5.4",
              "169.254.169.254", "100.64.0.1", "0.0.0.0"]


def _v6(value: int) -> str:
    return str(ipaddress.IPv6Address(value))


def _v4(address: str) -> int:
    return int(ipaddress.IPv4Address(address))


def disguises(v4: str) -> dict[str, str]:
    """``v4`` inside every IPv6 form that embeds an IPv4 address."""
    n = _v4(v4)
    return {
        "compatible": _v6(n),  # ::a.b.c.d
        "mapped": _v6(0xFFFF << 32 | n),  # ::ffff:a.b.c.d
        "translated": _v6(0xFFFF << 48 | n),  # ::ffff:0:a.b.c.d
        "nat64": _v6(0x0064FF9B << 96 | n),  # 64:ff9b::a.b.c.d
        "nat64-local/48": _v6(0x0064FF9B0001 << 80 | (n >> 16) << 64 | (n & 0xFFFF) << 40),
        "nat64-local/96": _v6(0x0064FF9B0001 << 80 | n),
        "6to4": _v6(0x2002 << 112 | n << 80 | 1),  # 2002:aabb:ccdd::1
        "teredo-server": _v6(0x20010000 << 96 | n << 64 | 0x8000_63BF_3FFF_FDD2),
        "teredo-client": _v6(0x20010000 << 96 | 0x4136E378 << 64 | 0x8000_63BF << 32
                             | (~n & 0xFFFFFFFF)),
    }


def _unspecified_or_loopback(form: str, v4: int) -> bool:
    """``::`` and ``::1`` are not IPv4-compatible addresses (refused on their own)."""
    return form == "compatible" and v4 <= 1


CASES = [(form, v4, address) for v4 in PRIVATE_V4 for form, address in disguises(v4).items()]


@pytest.mark.parametrize(("form", "v4", "address"), CASES,
                         ids=[f"{form}-{v4}" for form, v4, _ in CASES])
@pytest.mark.parametrize("allow", ["", FAKEWEB_ONLY, "1"], ids=["default", "fakeweb", "lab"])
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(form, v4, address, allow):
    if not _unspecified_or_loopback(form, _v4(v4)):
        assert ipaddress.IPv4Address(v4) in embedded_ipv4(ipaddress.IPv6Address(address))
    policy = AddressPolicy(allow)
    if allow == "1" and v4 != "169.254.169.254":
        return  # the lab mode allows private networks; only metadata stays refused
    for port in (80, 443, 8080, 8443, 5432):
        # an IPv4-mapped address is that IPv4 socket address itself, and goes as it does
        same = form == "mapped" and policy.allows(v4, port)
        assert policy.allows(address, port) == same, (form, address, port)


@pytest.mark.parametrize("address", [
    "::127.0.0.2", "::10.0.0.1", "::169.254.169.254",  # the issue's IPv4-compatible forms
    "64:ff9b::7f00:2", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1",
    "2002:7f00:2::", "2002:c0a8:101::1", "2002:a9fe:a9fe::",
    "::ffff:127.0.0.2", "::ffff:0:10.0.0.1",
])
def test_the_issue_s_addresses_are_refused(address):
    assert not AddressPolicy("").allows(address, 80)
    assert not AddressPolicy("127.0.0.1/32").allows(address, 80)


@pytest.mark.parametrize("address", [
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8: how an IPv6-only host reaches the IPv4 web
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
    "2606:2800:220:1:248:1893:25c8:1946",
    "93.184.216.34",
])
def test_public_destinations_in_any_form_stay_allowed(address):
    assert AddressPolicy("").allows(address, 443)


@pytest.mark.parametrize("address", ["64:ff9b:1::808:808", "3fff::1", "5f00::1"])
def test_ranges_newer_than_python_s_table_are_not_global(address):
    assert not AddressPolicy("").allows(address, 443)


int32 = st.integers(min_value=0, max_value=2**32 - 1)
FORMS = sorted(disguises("1.2.3.4"))


@given(v4=int32, form=st.sampled_from(FORMS),
       allow=st.sampled_from(["", "1", FAKEWEB_ONLY, "10.0.0.0/8", "127.0.0.0/8:8443"]),
       port=st.sampled_from([80, 443, 5432, 8443]))
def test_an_embedded_ipv4_is_never_a_way_around_the_check(v4, form, allow, port):
    inner = str(ipaddress.IPv4Address(v4))
    outer = disguises(inner)[form]
    if not _unspecified_or_loopback(form, v4):
        assert ipaddress.IPv4Address(v4) in embedded_ipv4(ipaddress.IPv6Address(outer))
    policy = AddressPolicy(allow)
    if policy.allows(outer, port):
        assert policy.allows(inner, port), (outer, inner)
    same = form == "mapped" and policy.allows(inner, port)  # the IPv4 socket address itself
    if not ipaddress.IPv4Address(v4).is_global and allow != "1" and not same:
        assert not policy.allows(outer, port), (outer, inner)


@given(v4=int32, subnet=st.integers(0, 2**80 - 1))
def test_6to4_with_any_subnet_and_interface_is_checked(v4, subnet):
    outer = _v6(0x2002 << 112 | v4 << 80 | subnet)
    inner = ipaddress.IPv4Address(v4)
    assert AddressPolicy("").allows(outer, 443) == AddressPolicy("").allows(str(inner), 443)


# -- the allow-list ------------------------------------------------------------

def test_an_address_and_port_allows_that_port_only():
    policy = AddressPolicy("127.0.0.1:8443,[::1]:8443")
    assert policy.allows("127.0.0.1", 8443) and policy.allows("::1", 8443)
    assert not policy.allows("127.0.0.1", 5432) and not policy.allows("::1", 5432)
    assert not policy.allows("127.0.0.1") and not policy.allows("127.0.0.2", 8443)
    assert policy.allows("::ffff:127.0.0.1", 8443)  # the same socket address


def test_networks_allow_every_port_and_may_name_one():
    assert AddressPolicy("127.0.0.0/8").allows("127.0.0.9", 5432)
    ported = AddressPolicy("10.0.0.0/8:443,[fd00::/8]:443")
    assert ported.allows("10.2.3.4", 443) and ported.allows("fd12::1", 443)
    assert not ported.allows("10.2.3.4", 80) and not ported.allows("fd12::1", 80)
    assert AddressPolicy(" ::1 , 10.0.0.0/8 ").allows("::1", 1)


def test_metadata_stays_refused_in_lab_mode_unless_listed():
    assert not AddressPolicy("1").allows("169.254.169.254", 80)
    assert AddressPolicy("169.254.169.254:80").allows("169.254.169.254", 80)
    assert not AddressPolicy("169.254.169.254:80").allows("169.254.169.254", 8080)


@pytest.mark.parametrize("entry", ["localhost:8443", "127.0.0.1:99999", "127.0.0.1:0",
                                   "[127.0.0.1]:80", "[::1]:", "10.0.0.0/33", "::1]:80",
                                   "127.0.0.1:80:80", "*"])
def test_a_bad_allow_list_entry_is_a_one_line_error_naming_it(entry, home, db_url):
    with pytest.raises(ConfigError, match="allow_private_networks: cannot read"):
        parse_allow_list(f"10.0.0.0/8,{entry}")
    with pytest.raises(ConfigError, match="allow_private_networks"):
        load_settings(env={}, allow_private_networks=entry)
    result = run(home, db_url, "links", env={"ARCHIVER_ALLOW_PRIVATE_NETWORKS": entry})
    assert result.exit_code == 1
    assert "allow_private_networks" in result.output and entry.strip() in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_allow_list_syntax_round_trips():
    parsed = parse_allow_list("1,127.0.0.1:8443,[::1]:8443,10.0.0.0/8,[fd00::/8]:443")
    assert parsed.all_private
    assert [(str(e.network), e.port) for e in parsed.entries] == [
        ("127.0.0.1/32", 8443), ("::1/128", 8443), ("10.0.0.0/8", None), ("fd00::/8", 443)]


# -- over real sockets: the guard refuses before connecting -----------------------

class _Listener:
    """A TCP listener on 127.0.0.2 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():  # type: ignore[no-untyped-def]
    found = _Listener()
    yield found
    found.close()


def test_only_the_allowed_port_of_an_address_is_reached(listener):
    with serve({"/x": reply(200, b"allowed")}, host="127.0.0.2") as server:
        port = server.server_address[1]
        http = HttpClient(load_settings(env={}, allow_private_networks=f"127.0.0.2:{port}",
                                        retries=0))
        assert http.get(f"http://127.0.0.2:{port}/x").body == b"allowed"
        with pytest.raises(errors.BlockedAddress, match="127.0.0.2"):
            http.get(f"http://127.0.0.2:{listener.port}/x")
        routed = HttpClient(load_settings(
            env={}, allow_private_networks=f"127.0.0.2:{port}", retries=0,
            connect_to=f"db.internal:80=127.0.0.2:{listener.port}"))
        with pytest.raises(errors.BlockedAddress, match="db.internal"):
            routed.get("http://db.internal/")
    assert listener.accepted == 0


def test_a_link_to_another_port_of_the_fake_web_s_address_is_refused(home, db_url, tmp_path,
                                                                     listener):
    # The fake web on 127.0.0.2 (the SSRF address), allowed by host:port as its env()
    # does; a page links to 127.0.0.2:<another port>, where something listens.
    with FakeWeb(host="127.0.0.2") as web:
        env = {**web.env(), "ARCHIVER_RETRY_MAX_WAIT": "0.01", "ARCHIVER_TOTAL_TIMEOUT": "5"}
        assert env["ARCHIVER_ALLOW_PRIVATE_NETWORKS"] == (
            f"127.0.0.2:{web.https_port},127.0.0.2:{web.http_port}")
        story = tmp_path / "story.txt"
        story.write_text("A story.\n\nThe database console is at "
                         f"http://127.0.0.2:{listener.port}/admin and the report at "
                         "https://example.com/report/1 as published.\n", encoding="utf-8")
        result = run(home, db_url, "archive", "--with-links", str(story), env=env)
        assert result.exit_code == 0, result.output
        assert (f"problem: http://127.0.0.2:{listener.port}/admin: 127.0.0.2 port "
                f"{listener.port}: a private or special address that allow_private_networks "
                "does not list") in " ".join(result.stdout.split())
        assert web.hits_for("example.com", "/report/1")  # the fake web itself was reached
    assert listener.accepted == 0
