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

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

# Refused unless a configured network lists them, even with "1" (lab mode).
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))


class BlockedAddressError(NewConnectionError):
    """urllib3-level signal that the guard refused; translated to BlockedAddress."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)  # type: ignore[arg-type]
        self.reason_text = message


class AddressPolicy:
    """Which resolved addresses may be fetched.

    Public addresses always; private, loopback, link-local and other special
    ones only when a configured network contains them (``allow`` is a comma
    separated list of networks, or ``1`` for every private network except the
    cloud metadata addresses)."""

    def __init__(self, allow: str = "") -> None:
        allow = allow.strip()
        self.allow_all_private = allow == "1"
        self.networks = [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in allow.split(",")
            if part.strip() and part.strip() != "1"
        ]

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip.version == net.version and ip in net for net in self.networks):
            return True
        if any(ip.version == net.version and ip in net for net in METADATA):
            return False
        if ip.is_global and not ip.is_multicast:
            return True
        return self.allow_all_private and (ip.is_private or ip.is_loopback or ip.is_link_local)


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


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass
class Guard:
    policy: AddressPolicy
    routes: dict[tuple[str, int], tuple[str, int]]

    def destinations(self, host: str, port: int) -> list[tuple[str, int]]:
        """The addresses to try for host:port, after rerouting, all of them allowed."""
        host = host.strip("[]").lower()
        route = self.routes.get((host, port))
        if route is None and not _is_ip(host):
            route = self.routes.get(("*", port))
        target_host, target_port = route or (host, port)
        try:
            infos = socket.getaddrinfo(target_host, target_port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise socket.gaierror(f"cannot resolve {host}: {exc}") from None
        found: list[tuple[str, int]] = []
        for info in infos:
            address = str(info[4][0])
            if not self.policy.allows(address):
                raise BlockedAddressError(
                    f"{host} resolves to {address}, a private or special address"
                )
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
                    (address, port), conn.timeout, source_address=conn.source_address  # type: ignore[arg-type]
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

        def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _tell(self.sock)  # a pooled connection, reused
            return super().request(*args, **kwargs)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = guard.connect(self)
            _tell(sock)
            return sock

        def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _tell(self.sock)
            return super().request(*args, **kwargs)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}
