"""A throw-away CA and one server certificate naming every fake host.

The client verifies TLS for real (``REQUESTS_CA_BUNDLE``), so the fake web must
present a certificate that validates for ``t.co``, ``web.archive.org`` and the
rest: a trustme CA signs one leaf with every host name as a SAN. The SNI the
client sends is recorded on the socket, so tests can check it matched the URL.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Iterable

import trustme


class Certs:
    """CA + leaf for ``hosts``; the CA PEM lives in a temp dir until ``cleanup``."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = sorted(set(hosts))
        self.ca = trustme.CA(organization_name="fakeweb test CA")
        self.leaf = self.ca.issue_cert(*self.hosts, "127.0.0.1")
        self._dir = tempfile.TemporaryDirectory(prefix="fakeweb-")
        self.ca_path = os.path.join(self._dir.name, "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_path)
        self._client_ctx: ssl.SSLContext | None = None

    def server_context(self) -> ssl.SSLContext:
        """Server-side context; records SNI as ``fakeweb_sni`` on each socket."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.leaf.configure_cert(ctx)
        ctx.set_alpn_protocols(["http/1.1"])
        ctx.sni_callback = _remember_sni
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """Client context trusting only the CA (for tests that use http.client directly).

        Built once: loading a default context's system CAs costs ~80 ms per call.
        """
        if self._client_ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self.ca.configure_trust(ctx)
            self._client_ctx = ctx
        return self._client_ctx

    def cleanup(self) -> None:
        self._dir.cleanup()


def _remember_sni(sock: ssl.SSLSocket | ssl.SSLObject, name: str | None,
                  _ctx: ssl.SSLContext) -> None:
    try:
        sock.fakeweb_sni = name  # type: ignore[union-attr]
    except AttributeError:  # an SSLObject without __dict__: SNI goes unrecorded
        pass
