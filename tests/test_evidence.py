"""Evidence that holds: WACZ export, fixity and trusted timestamps, end to end over
the fake web, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import ssl
import zipfile
from pathlib import Path

from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response
from warcio.archiveiterator import ArchiveIterator

from archiver.evidence.records import spans
from archiver.store import models as m
from tests.cli_helpers import run, run_json
from tests.fakeweb import dataset as ds
from tests.fakeweb.articles import SEED_URL
from tests.test_resolve import rows, web_env
from tests.tsa import TsaCA, serve_tsa

SEED_HANDLES = {"SVNewsAlerts", "NikolPashinyan", "Pres_Artsakh", "sfrantzman"}


def wacz_validate(path: Path) -> tuple[int, str]:
    """py-wacz's own validator, in-process (a subprocess pays its imports each time)."""
    from wacz.main import main as wacz_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = wacz_main(["validate", "-f", str(path)])
    return code, out.getvalue()


def assert_valid(path: Path) -> None:
    code, output = wacz_validate(path)
    assert code == 0 and "Validation succeeded" in output, output


def pages(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("pages/pages.jsonl").decode().splitlines()
    return [json.loads(line) for line in lines]


def warc_records(path: Path) -> list[tuple[str, str | None]]:
    """(type, target URI) of every record of every WARC inside a package."""
    found = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("archive/"):
                with zf.open(name) as fh:
                    for record in ArchiveIterator(fh):
                        found.append((record.rec_type,
                                      record.rec_headers.get_header("WARC-Target-URI")))
    return found


def _headers(fh):  # type: ignore[no-untyped-def]
    """Each record's WARC headers, and a warcinfo record's fields, as one dict."""
    for record in ArchiveIterator(fh):
        found = dict(record.rec_headers.headers)
        if record.rec_type == "warcinfo":
            for line in record.content_stream().read().decode().splitlines():
                key, _, value = line.partition(": ")
                found[key] = value
        yield found


def archive(home: Path, db_url: str, web, *sources: str) -> None:  # type: ignore[no-untyped-def]
    result = run(home, db_url, "archive", *sources, env=web_env(web))
    assert result.exit_code == 0, result.output


def test_export_of_the_seed_article_is_a_valid_wacz(home, db_url, fakeweb, tmp_path):
    archive(home, db_url, fakeweb, SEED_URL)
    out = tmp_path / "seed.wacz"
    result = run(home, db_url, "export", "--wacz", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)  # --format json: one array, as everywhere
    assert summary["articles"] == 1
    assert_valid(out)

    listed = pages(out)
    assert listed[0]["format"] == "json-pages-1.0"
    by_kind: dict[str, list[dict]] = {}
    for page in listed[1:]:
        by_kind.setdefault(page["kind"], []).append(page)
        assert page["ts"].endswith("Z") and page["title"]
    assert [p["url"] for p in by_kind["article"]] == [SEED_URL]
    assert by_kind["article"][0]["title"] == "Nagorno-Karabakh, la guerra a un punto cruciale"
    assert {p["url"].split("/")[3] for p in by_kind["tweet"]} == SEED_HANDLES
    assert {p["tweet_id"] for p in by_kind["tweet"]} == {
        ds.SV_ID, ds.PASHINYAN_ID, ds.ARTSAKH_ID, ds.FRANTZMAN_ID}
    [photo] = by_kind["media"]
    assert ds.SV_PHOTO_KEY in photo["url"] and photo["tweet_id"] == ds.SV_ID

    # The whole run's WARC went in as stored: byte for byte the file of the data folder.
    [warc] = rows(db_url, m.WarcFile)
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"archive/{warc.name}") == (home / "warcs" / warc.name).read_bytes()
        assert zf.getinfo(f"archive/{warc.name}").compress_type == zipfile.ZIP_STORED
        index = zf.read("indexes/index.cdx").decode()
        package = json.loads(zf.read("datapackage.json"))
    assert package["wacz_version"] == "1.1.1"
    assert {r["path"] for r in package["resources"]} >= {
        f"archive/{warc.name}", "indexes/index.cdx", "pages/pages.jsonl"}
    assert "news.example" in index and "pbs.twimg.com" in index

    # Provenance: where each answer came from, over what, and what shaped the run.
    leaf = ssl.PEM_cert_to_DER_cert(fakeweb.certs.leaf.cert_chain_pems[0].bytes().decode())
    for page in by_kind["tweet"] + by_kind["media"] + by_kind["article"]:
        how = page["provenance"]
        assert how["peer_ip"] == "127.0.0.1" and how["tls_version"].startswith("TLS")
        assert how["tls_chain_sha256"] == hashlib.sha256(leaf).hexdigest()
        assert how["request_at"] <= how["response_at"]
        assert how["user_agent"].startswith("archiver/0.1.0 (web archiving")
    [run_info] = package["archiver"]["runs"].values()
    assert run_info["software"] == "archiver/0.1.0"
    assert run_info["settings"]["providers"] == "syndication,fxtwitter,oembed,wayback"
    assert run_info["settings"]["max_body_bytes"] == 20 * 1024 * 1024
    with zipfile.ZipFile(out) as zf, zf.open(f"archive/{warc.name}") as fh:
        records = list(_headers(fh))
    assert json.loads(records[0]["archiver-provenance"]) == run_info
    assert {r.get("WARC-IP-Address") for r in records if r["WARC-Type"] == "response"} \
        == {"127.0.0.1"}
    tweets = run_json(home, db_url, "tweets")
    assert {t["provenance"]["peer_ip"] for t in tweets} == {"127.0.0.1"}
    assert all(t["provenance"]["run"] == run_info for t in tweets)
    links = {link["url"]: link for link in run_json(home, db_url, "links")}
    tco = links[f"https://t.co/{ds.FRANTZMAN_CODE}"]["provenance"]
    assert tco["tls_chain_sha256"] == hashlib.sha256(leaf).hexdigest()


def test_export_of_one_article_copies_only_its_records(home, db_url, fakeweb, tmp_path,
                                                       seed_path):
    archive(home, db_url, fakeweb, SEED_URL, "https://www.jpost.com/middle-east/"
            "azerbaijan-drones-report")
    archive(home, db_url, fakeweb, str(seed_path))
    out = tmp_path / "one.wacz"
    result = run(home, db_url, "export", "--wacz", str(out), "--article",
                 "https://www.jpost.com/middle-east/azerbaijan-drones-report", "--format", "json")
    assert result.exit_code == 0, result.output
    assert_valid(out)
    [summary] = json.loads(result.stdout)  # --format json: one array, as everywhere
    assert summary["whole_warcs"] == [] and summary["export_warc"]
    found = warc_records(out)
    uris = {u for t, u in found if t == "response"}
    assert uris == {ds.JPOST_URL}
    assert [t for t, _ in found] == ["warcinfo", "response", "request"]
    # The copied records are the stored ones, byte for byte (same gzip members).
    with zipfile.ZipFile(out) as zf:
        copied = zf.read(f"archive/{summary['export_warc']}")
    [version] = [v for v in rows(db_url, m.ArticleVersion) if v.article_id == 2]
    [capture] = [c for c in rows(db_url, m.Capture) if c.id == version.capture_id]
    stored_spans = spans(home / "warcs" / capture.warc_file)
    stored = (home / "warcs" / capture.warc_file).read_bytes()
    [span] = [s for s in stored_spans if s.offset == capture.warc_offset]
    request = stored_spans[stored_spans.index(span) + 1]
    member = stored[span.offset:span.offset + span.length]
    assert copied.endswith(member + stored[request.offset:request.offset + request.length])

    # The seed read from a file: its text is in the package as a resource record.
    out2 = tmp_path / "file.wacz"
    result = run(home, db_url, "export", "--wacz", str(out2), "--article", str(seed_path))
    assert result.exit_code == 0, result.output
    assert_valid(out2)
    kinds = {p.get("kind") for p in pages(out2)[1:]}
    assert kinds == {"article", "tweet", "media"}
    assert ("resource", pages(out2)[1]["url"]) in warc_records(out2)


def test_export_names_what_it_cannot_find(home, db_url, fakeweb, tmp_path):
    result = run(home, db_url, "export", "--wacz", str(tmp_path / "x.wacz"))
    # no SQLite file yet: "no archive here"; an empty PostgreSQL schema: nothing to export
    assert result.exit_code == 1 and ("no article to export" in result.stderr
                                      or "no archive here" in result.stderr)
    assert not (tmp_path / "x.wacz").exists()
    archive(home, db_url, fakeweb, SEED_URL)
    result = run(home, db_url, "export", "--wacz", str(tmp_path / "x.wacz"), "--article", "99")
    assert result.exit_code == 1 and "99: no such article" in result.stderr
    result = run(home, db_url, "export", "--wacz", str(tmp_path / "x.wacz"), "--since",
                 "2999-01-01")
    assert result.exit_code == 1 and "no article to export since 2999-01-01" in result.stderr
    result = run(home, db_url, "export", "--wacz", str(tmp_path / "no" / "x.wacz"))
    assert result.exit_code == 1 and "folder does not exist" in result.stderr
    for warc in (home / "warcs").iterdir():
        warc.unlink()
    result = run(home, db_url, "export", "--wacz", str(tmp_path / "x.wacz"))
    assert result.exit_code == 1 and "WARC file missing" in result.stderr
    assert not (tmp_path / "x.wacz").exists()


def flip_one_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_passes_then_names_the_changed_blob(home, db_url, fakeweb):
    archive(home, db_url, fakeweb, SEED_URL)
    result = run(home, db_url, "verify")
    assert result.exit_code == 0, result.output
    assert "no finding" in result.stdout and result.stderr == ""
    [photo] = rows(db_url, m.Media)
    blob = home / "blobs" / photo.sha256[:2] / photo.sha256[2:4] / photo.sha256
    flip_one_byte(blob, 100)
    result = run(home, db_url, "verify", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding["problem"] == "changed" and finding["kind"] == "blob"
    assert finding["path"] == str(blob)
    assert result.stderr.strip() == f"archiver: verify: changed blob: {blob}: " \
        f"{finding['detail']}"
    # Only the article's files: the same finding (the photo is the seed's).
    result = run(home, db_url, "verify", "--article", "1", "--format", "jsonl")
    assert result.exit_code == 1 and str(blob) in result.stdout


def test_verify_reports_changed_records_and_missing_and_unindexed_files(home, db_url,
                                                                        fakeweb):
    archive(home, db_url, fakeweb, SEED_URL)
    [warc] = rows(db_url, m.WarcFile)
    path = home / "warcs" / warc.name
    flip_one_byte(path, path.stat().st_size // 2)
    stray = home / "warcs" / "archiver-19990101000000-deadbeef.warc.gz"
    stray.write_bytes(b"")
    orphan = home / "blobs" / "ab" / "cd" / ("abcd" + "0" * 60)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    [photo] = rows(db_url, m.Media)
    (home / "blobs" / photo.sha256[:2] / photo.sha256[2:4] / photo.sha256).unlink()
    result = run(home, db_url, "verify", "--format", "csv")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("archiver: verify: changed ") and str(path) in line
               for line in lines), lines
    assert f"archiver: verify: unindexed warc: {stray}: the database knows no such WARC" \
        in lines
    assert any(f"unindexed blob: {orphan}" in line for line in lines)
    assert any(line.startswith("archiver: verify: missing blob: ") and photo.sha256 in line
               for line in lines)
    assert result.stdout.splitlines()[0] == "problem,kind,path,detail"
    assert len(result.stdout.splitlines()) == len(lines) + 1


def test_trusted_timestamps_verify_and_a_changed_byte_fails(home, db_url, fakeweb, tmp_path):
    ca = TsaCA.make()
    with serve_tsa(ca) as tsa:
        port = tsa.url.split(":")[2].split("/")[0]
        env = web_env(fakeweb)
        env["ARCHIVER_ALLOW_PRIVATE_NETWORKS"] += f",127.0.0.1:{port}"
        env["ARCHIVER_TIMESTAMP_AUTHORITIES"] = tsa.url
        env["ARCHIVER_TIMESTAMP_CA_FILE"] = str(ca.ca_pem(tmp_path / "tsa-root.pem"))
        tsa.down = True  # a run whose authority is down still stores; verify says so
        result = run(home, db_url, "archive", SEED_URL, env=env)
        assert result.exit_code == 0, result.output
        [warc] = rows(db_url, m.WarcFile)
        path = home / "warcs" / warc.name
        result = run(home, db_url, "verify", env=env)
        assert result.exit_code == 1
        assert result.stderr == f"archiver: verify: unstamped warc: {path}: no time-stamp " \
            "token yet (archiver stamp asks again)\n"
        tsa.down = False
        result = run(home, db_url, "stamp", "--format", "json", env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == [{"warc": warc.name}]

        [token] = rows(db_url, m.TimestampToken)
        assert token.kind == "warc" and token.authority == tsa.url
        tsr = path.with_name(path.name + ".tsr")
        assert tsr.read_bytes() == token.token
        # The token verifies on its own, with rfc3161-client and the test root only.
        response = decode_timestamp_response(tsr.read_bytes())
        verifier = VerifierBuilder().add_root_certificate(ca.ca_cert).build()
        assert verifier.verify_message(response, path.read_bytes())
        result = run(home, db_url, "verify", env=env)
        assert result.exit_code == 0, result.output
        assert "1 timestamps" in result.stdout

        out = tmp_path / "seed.wacz"
        result = run(home, db_url, "export", "--wacz", str(out), "--format", "json", env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)[0]["timestamps"] == [tsa.url]
        assert_valid(out)
        with zipfile.ZipFile(out) as zf:
            digest_json = zf.read("datapackage-digest.json")
            assert zf.read(f"timestamps/{warc.name}.tsr") == token.token  # travels along
        package_token = decode_timestamp_response((tmp_path / "seed.wacz.tsr").read_bytes())
        assert verifier.verify_message(package_token, digest_json)

        # One changed byte in the WARC: the token no longer matches it.
        flip_one_byte(path, 10)
        assert not _verifies(verifier, response, path.read_bytes())
        result = run(home, db_url, "verify", "--format", "json", env=env)
        assert result.exit_code == 1
        findings = json.loads(result.stdout)
        assert {"problem": "changed", "kind": "warc", "path": str(path)} in [
            {k: f[k] for k in ("problem", "kind", "path")} for f in findings]
        assert any("time-stamped at" in f["detail"] for f in findings)
        assert len(tsa.requests) == 3  # the refused one, the WARC's, the package's


def _verifies(verifier, response, data: bytes) -> bool:  # type: ignore[no-untyped-def]
    try:
        return verifier.verify_message(response, data)
    except VerificationError:
        return False
