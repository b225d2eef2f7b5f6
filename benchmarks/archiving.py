"""Time only the archiving step of run.py: `archiver archive --with-links` on the local web.

The same web, articles, command and settings as run.py's first step, without the
checkers after it. Prints links/s and CPU seconds; with `--dump FILE` writes what the
run stored (link rows, occurrences, captures, kept main texts, blob names, WARC record
targets) without ids and times, so two commits can be compared for identical results:

    python benchmarks/archiving.py --links 1000 --dump /tmp/a.json
    python benchmarks/archiving.py --links 10000 --py-spy /work/main/.venv/bin/py-spy

(`--links N` archives the first N links of the 10,000-link web, 100 per article.)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run


def dump(home: Path) -> dict[str, object]:
    """What the archive holds, free of ids, times and the pages' per-request footer."""
    con = sqlite3.connect(home / "archive.sqlite")
    cap = {row[0]: row[1:] for row in con.execute(
        "SELECT id, url, method, status, content_type, sha256, size, error FROM capture")}
    links = sorted(
        (n, u, k, d, r, s is not None, t, e, cap.get(s, (None,))[0])
        for n, u, k, d, r, s, t, e in con.execute(
            "SELECT normalized, url, kind, domain, resolved_url, snapshot_capture_id, "
            "snapshot_text_sha256, snapshot_error FROM link"))
    occ = sorted(con.execute(
        "SELECT l.normalized, a.identity, o.url, o.paragraph, o.start, o.\"end\", o.anchor_text,"
        " o.rel, o.citation_id IS NULL FROM link_occurrence o JOIN link l ON l.id = o.link_id"
        " JOIN article a ON a.id = o.article_id"))
    captures = sorted((u, m, s, c, e) for u, m, s, c, _, _, e in cap.values())
    texts = sorted(t for (*_, t, _e, _c) in links if t)
    for sha in texts:  # the kept main text is named by its hash, and is what it names
        path = home / "blobs" / sha[:2] / sha[2:4] / sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, sha
    articles = sorted(con.execute("SELECT identity, title, text FROM article"))
    warc = []
    for path in sorted((home / "warc").rglob("*.warc*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            for line in fh:
                if line.startswith((b"WARC-Type:", b"WARC-Target-URI:")):
                    warc.append(line.decode().strip())
    return {"links": links, "occurrences": occ, "captures": captures, "articles": articles,
            "warc_lines": sorted(warc), "counts": {"links": len(links), "captures": len(cap),
                                                   "texts": len(set(texts))}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--workdir")
    ap.add_argument("--dump", help="write what was stored here (JSON)")
    ap.add_argument("--py-spy", help="path of py-spy: profile the run (raw collapsed stacks)")
    ap.add_argument("--gil", action="store_true", help="with --py-spy: only samples holding the GIL")
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="archiving-"))
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "archive"
    web = run.Web(10_000, args.hosts, args.timeout, workdir)
    try:
        urls = list(web.truth)[:args.links]
        files = run.write_articles(urls, 100, workdir)
        cmd = [*run.archiver_cmd(), "--home", str(home), "archive", "--with-links",
               "--format", "json", *map(str, files)]
        if args.py_spy:
            cmd = [args.py_spy, "record", "--format", "raw", "--rate", "100", "--subprocesses",
                   *(["--gil"] if args.gil else []), "-o", str(workdir / "archive.prof"), "--", *cmd]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        with (workdir / "archive.out").open("wb") as fo, \
                (workdir / "archive.err").open("wb") as fe:
            done = subprocess.run(cmd, env=run.archiver_env(args.timeout), stdout=fo, stderr=fe,
                                  stdin=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"archive failed ({done.returncode}); see {workdir}/archive.err")
        print(json.dumps({"links": len(urls), "seconds": round(seconds, 2),
                          "links_per_s": round(len(urls) / seconds, 1),
                          "cpu_seconds": round(cpu, 2), "workdir": str(workdir),
                          "version": run.archiver_version()}))
        if args.dump:
            Path(args.dump).write_text(json.dumps(dump(home), indent=0, default=str))
    finally:
        web.close()


if __name__ == "__main__":
    main()
