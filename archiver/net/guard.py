"""Where a connection may go: the address policy, checked at connect time.

The check runs inside urllib3's connection setup, on the address we actually
connect to, for every hop, retry and pooled connection: a name that resolves to
a public address when we look and to 10.0.0.1 when we connect (DNS rebinding)
cannot slip through, because we connect to the very address we checked.

``connect_to`` reroutes host names, as curl's --connect-to does: the URL, the
Host header and the TLS server name stay, only the socket goes elsewhere. Tests
point every host name at the fake web on loopback this way, so no packet can
leave the machine even when our code has a bug.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from archiver.config import AllowList, parse_allow_list

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused unless a configured network lists them, even with "1" (lab mode).
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))

# Not global although some Python versions call them so (the registry was updated
# after Python 3.11's table): local-use NAT64 (RFC 8215), documentation (RFC 9637),
# SRv6 SIDs (RFC 9602).
NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "3fff::/20", "5f00::/16"))

# IPv6 forms that carry an IPv4 address inside: the IPv4 is what the packets reach
# (through a translator, a relay or a tunnel), so it must pass the check too.
_COMPAT = ipaddress.ip_network("::/96")  # IPv4-compatible, ::a.b.c.d (RFC 4291, deprecated)
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT IPv4-translated (RFC 2765)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215)


def _rfc6052(ip: ipaddress.IPv6Address, prefix: int) -> ipaddress.IPv4Address:
    """The IPv4 address in an IPv4-embedded IPv6 address with a /``prefix`` (RFC 6052
    section 2.2: bits 64-71 are skipped)."""
    packed = ip.packed
    if prefix == 96:
        return ipaddress.IPv4Address(packed[12:16])
    start = prefix // 8
    before = packed[start:8]
    return ipaddress.IPv4Address(before + packed[9: 9 + 4 - len(before)])


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``ip`` may carry: IPv4-mapped, -compatible, -translated,
    NAT64 (each prefix length RFC 6052 allows inside the local-use /48), 6to4, Teredo."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _COMPAT and int(ip) > 1:  # :: and ::1 are not IPv4-compatible addresses
        found.append(_rfc6052(ip, 96))
    if ip in _TRANSLATED or ip in _NAT64:
        found.append(_rfc6052(ip, 96))
    if ip in _NAT64_LOCAL:
        found.extend(_rfc6052(ip, prefix) for prefix in (48, 56, 64, 96))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    return found


class BlockedAddressError(NewConnectionError):
    """urllib3-level signal that the guard refused; translated to BlockedAddress."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)  # type: ignore[arg-type]  # urllib3 wants the connection; the guard refuses before there is one
        self.reason_text = message


class AddressPolicy:
    """Which resolved addresses (and ports) may be connected to.

    Public addresses always; private, loopback, link-local and other special
    ones only when an allow-list entry covers them: a network (any port), or an
    address or network with one port, so that allowing a test server on
    127.0.0.1:8443 does not allow a database on 127.0.0.1:5432 (see
    ``config.parse_allow_list``). ``1`` allows every private network except the
    cloud metadata addresses. An IPv6 address that carries an IPv4 address
    (NAT64, 6to4, Teredo, IPv4-compatible or -translated) is allowed only if an
    entry names the IPv6 address itself, or if it and the IPv4 address inside
    are both public (or private in the lab mode, never metadata). IPv4-mapped
    addresses are the IPv4 address itself and are judged as such."""

    def __init__(self, allow: str | AllowList = "") -> None:
        self.allow = parse_allow_list(allow) if isinstance(allow, str) else allow

    @property
    def allow_all_private(self) -> bool:
        return self.allow.all_private

    def allows(self, address: str, port: int | None = None) -> bool:
        """May we connect to ``address`` (on ``port``; None: only entries without a port count)?"""
        ip: IP = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped  # the kernel connects to the IPv4 address itself
        if any(entry.matches(ip, port) for entry in self.allow.entries):
            return True
        return self._allowed_unlisted(ip)

    def _allowed_unlisted(self, ip: IP) -> bool:
        """Allowed without an entry naming it: public, or private in the lab mode.
        An IPv4 address inside an IPv6 one is judged so too: an entry for
        127.0.0.1:8443 is for this machine's loopback, which 64:ff9b::7f00:1 (a
        NAT64 gateway's) is not; list the IPv6 address itself to allow it."""
        if any(ip.version == net.version and ip in net for net in METADATA):
            return False
        if not self._kind_allowed(ip):
            return False
        if isinstance(ip, ipaddress.IPv6Address):
            return all(self._allowed_unlisted(inner) for inner in embedded_ipv4(ip))
        return True

    def _kind_allowed(self, ip: IP) -> bool:
        special = any(ip.version == net.version and ip in net for net in NOT_GLOBAL)
        if ip.is_global and not ip.is_multicast and not special:
            return True
        return self.allow.all_private and (ip.is_private or ip.is_loopback or ip.is_link_local
                                           or special)


def parse_connect_to(spec: str) -> dict[tuple[str, int], tuple[str, int]]:
    """``host:port=ip:port,*:443=127.0.0.1:8443`` -> {(host, port): (ip, port)}."""
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            source, target = item.split("=", 1)
            s_host, s_port = source.rsplit(":", 1)
            t_host, t_port = target.rsplit(":", 1)
            routes[(s_host.strip("[]").lower(), int(s_port))] = (t_host.strip("[]"), int(t_port))
        except ValueError:
            raise ValueError(f"connect_to: cannot read {item!r} (want host:port=ip:port)") from None
    return routes


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def refusal(host: str, address: str, port: int) -> str:
    """Why a connection to ``address``:``port`` (for ``host``) is refused, in one line."""
    where = f"{address} port {port}"
    return ((where if host == address else f"{host} resolves to {where}")
            + ": a private or special address that allow_private_networks does not list")


@dataclass
class Guard:
    policy: AddressPolicy
    routes: dict[tuple[str, int], tuple[str, int]]

    def destinations(self, host: str, port: int) -> list[tuple[str, int]]:
        """The addresses to try for host:port, after rerouting, all of them allowed."""
        host = host.strip("[]").lower()
        route = self.routes.get((host, port))
        if route is None and not is_ip(host):
            route = self.routes.get(("*", port))
        target_host, target_port = route or (host, port)
        try:
            infos = socket.getaddrinfo(target_host, target_port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise socket.gaierror(f"cannot resolve {host}: {exc}") from None
        found: list[tuple[str, int]] = []
        for info in infos:
            address = str(info[4][0])
            if not self.policy.allows(address, target_port):
                raise BlockedAddressError(refusal(host, address, target_port))
            if (address, target_port) not in found:
                found.append((address, target_port))
        return found

    def connect(self, conn: HTTPConnection) -> socket.socket:
        try:
            destinations = self.destinations(conn.host, conn.port or 80)
        except socket.gaierror as exc:
            raise NameResolutionError(conn.host, conn, exc) from exc
        last: OSError | None = None
        for address, port in destinations:
            try:
                sock = socket.create_connection(
                    (address, port), conn.timeout, source_address=conn.source_address
                )
            except OSError as exc:
                last = exc
                continue
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            return sock
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(conn, f"connection to {conn.host} timed out")
        raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


# Who wants to know about the sockets this thread's requests use (see ``tracking``).
_socket_watcher: ContextVar[Callable[[socket.socket], None] | None] = ContextVar(
    "socket_watcher", default=None)


@contextmanager
def tracking(watcher: Callable[[socket.socket], None]) -> Iterator[None]:
    """Hand ``watcher`` every socket a request in this block connects or reuses, so
    that it can shut them (the HTTP client's deadline over connect, TLS, headers, body)."""
    token = _socket_watcher.set(watcher)
    try:
        yield
    finally:
        _socket_watcher.reset(token)


def _tell(sock: socket.socket | None) -> None:
    watcher = _socket_watcher.get()
    if watcher is not None and sock is not None:
        watcher(sock)


def guarded_pool_classes(guard: Guard) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections go through ``guard``."""

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = guard.connect(self)
            _tell(sock)  # before the TLS handshake, which a slow server can trickle too
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            _tell(self.sock)  # a pooled connection, reused
            super().request(*args, **kwargs)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = guard.connect(self)
            _tell(sock)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            _tell(self.sock)
            super().request(*args, **kwargs)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}
