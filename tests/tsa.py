"""A small RFC 3161 time-stamping authority on loopback, for tests.

A test CA (made with cryptography) issues a TSA certificate with the critical
id-kp-timeStamping usage RFC 3161 asks for; each POSTed TimeStampReq is answered
with a TimeStampResp whose CMS SignedData (built with asn1crypto) is signed by
that certificate. Real bytes over a real socket: our client is not mocked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class TsaCA:
    ca_cert: x509.Certificate
    tsa_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey

    @classmethod
    def make(cls) -> TsaCA:
        now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        later = now + dt.timedelta(days=30)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = (x509.CertificateBuilder().subject_name(_name("archiver test TSA root"))
              .issuer_name(_name("archiver test TSA root")).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now)
              .not_valid_after(later)
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, key_cert_sign=True,
                                           crl_sign=True, encipher_only=False,
                                           decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name("archiver test TSA"))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(later)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                               critical=True)
                .sign(ca_key, hashes.SHA256()))
        return cls(ca, cert, key)

    def ca_pem(self, path: Path) -> Path:
        path.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        return path

    def respond(self, request_der: bytes, serial: int) -> bytes:
        request = tsp.TimeStampReq.load(request_der)
        info = {
            "version": "v1", "policy": "1.3.6.1.4.1.99999.1",
            "message_imprint": request["message_imprint"], "serial_number": serial,
            "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"].native
        tst_der = tsp.TSTInfo(info).dump()
        cert_der = self.tsa_cert.public_bytes(serialization.Encoding.DER)
        cert = ax509.Certificate.load(cert_der)
        attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest",
                              "values": [hashlib.sha256(tst_der).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [
                tsp.SigningCertificateV2({"certs": [
                    {"cert_hash": hashlib.sha256(cert_der).digest()}]})]}),
        ])
        signature = self.tsa_key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            "signature": signature,
        })
        signed = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": core.ParsableOctetString(tst_der)},
            "certificates": [cert],
            "signer_infos": [signer],
        })
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
        return tsp.TimeStampResp({"status": {"status": "granted"},
                                  "time_stamp_token": token}).dump()


@dataclass
class TSA:
    ca: TsaCA
    url: str
    requests: list[bytes] = field(default_factory=list)
    down: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    tsa: TSA


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    serials = itertools.count(1)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        tsa = self.server.tsa
        tsa.requests.append(body)
        if tsa.down or self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_response(503 if tsa.down else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = tsa.ca.respond(body, next(self.serials))
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_tsa(ca: TsaCA) -> Iterator[TSA]:
    server = _Server(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    server.tsa = TSA(ca, f"http://{host}:{port}/tsa")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.tsa
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m tests.tsa``: a test TSA for trying time-stamps by hand."""
    import tempfile
    import time

    ca = TsaCA.make()
    folder = Path(tempfile.mkdtemp(prefix="tsa-"))
    with serve_tsa(ca) as tsa:
        port = tsa.url.split(":")[2].split("/")[0]
        print(f"export ARCHIVER_TIMESTAMP_AUTHORITIES={tsa.url}")
        print(f"export ARCHIVER_TIMESTAMP_CA_FILE={ca.ca_pem(folder / 'tsa-root.pem')}")
        print(f"# and add 127.0.0.1:{port} to ARCHIVER_ALLOW_PRIVATE_NETWORKS", flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
