"""What a check's answer means, and when to look again. Pure functions.

Outcomes:

- ``ok``; ``redirected`` (reachable, but the final URL now differs from the one
  we archived); ``drifted`` (reachable, but its main text moved away from our
  copy beyond ``drift_threshold``).
- ``not_found`` (404, 410), ``soft_404`` (200, but a not-found page: see
  ``is_soft_404``), ``server_error`` (5xx), ``timeout``, ``dns_error``,
  ``tls_error``, ``connection_error``.
- ``blocked`` (401, 403, 429 and bot walls): the site refuses robots; it says
  nothing about the page and never counts as dead.
- for tweets, through the providers: ``deleted``, ``protected``, ``suspended``,
  ``withheld``.

A link is *dead* only after ``dead_after_failures`` failing checks spread over
at least ``dead_after_days`` days, and only for answers that mean gone
(404/410, soft 404, a deleted tweet, a domain that no longer resolves): never
for 5xx, time-outs or refusals, which are often passing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz import fuzz

GONE = frozenset({"not_found", "soft_404", "deleted", "dns_error"})
FAILING = GONE | {"server_error", "timeout", "tls_error", "connection_error"}
HIDDEN = frozenset({"protected", "suspended", "withheld"})
STATE_OF = {"ok": "alive", "redirected": "moved", "drifted": "drifted", "blocked": "blocked"}
# Every state a link can be in (what `archiver links --state` accepts).
LINK_STATES = ("unchecked", "alive", "moved", "drifted", "blocked", "hidden", "failing", "dead")

# Narrow phrases only (a page that merely mentions "removed" is not gone).
NOT_FOUND_TEXT = re.compile(
    r"\b(?:page not found|404 not found|not found \(404\)|error 404|"
    r"this page (?:does not|doesn't|could not|couldn't) (?:exist|be found)|"
    r"page (?:is )?no longer available|this page has been removed|"
    r"seite nicht gefunden|página no encontrada|page introuvable|pagina non trovata|"
    r"pagina niet gevonden|страница не найдена|ページが見つかりません)",
)  # searched in lower-cased text: IGNORECASE made these searches 2-7 times slower
BOT_WALL = re.compile(r"(?:captcha|are you a robot|verify you are human|access denied|"
                      r"checking your browser|cf-chl|just a moment\.\.\.)")


@dataclass(frozen=True)
class Probe:
    """How a host answers a path that cannot exist."""

    status: int | None
    final_url: str | None
    text: str | None
    redirected: bool = False


def similarity(a: str, b: str) -> float:
    """0-1 similarity of two main texts (white space and case ignored)."""
    if a == b:  # the text we kept, read again (most checks): no need to compare
        return 1.0
    x, y = " ".join(a.split()).casefold(), " ".join(b.split()).casefold()
    if not x and not y:
        return 1.0
    return fuzz.ratio(x, y) / 100.0


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") or "/"


def same_url(a: str, b: str) -> bool:
    """Equal but for the scheme going http->https, a www., or a trailing slash."""
    pa, pb = urlsplit(a), urlsplit(b)
    host_a = (pa.hostname or "").removeprefix("www.")
    host_b = (pb.hostname or "").removeprefix("www.")
    return host_a == host_b and _path(a) == _path(b) and pa.query == pb.query


def is_soft_404(url: str, final_url: str, text: str | None, probe: Probe | None) -> bool:
    """A 200 that is really a not-found page.

    1. A deep link that now lands on the site's home page.
    2. The host answers 200 for a random path that cannot exist, and this
       link's answer looks like that one: the same final URL, or main texts at
       least 90% alike.
    3. The page's text carries a narrow not-found phrase near its start."""
    if _path(url) != "/" and _path(final_url) == "/":
        return True
    if probe is not None and probe.status is not None and 200 <= probe.status < 300:
        if probe.redirected and probe.final_url and same_url(probe.final_url, final_url):
            return True  # missing pages are sent to one place, and so was this link
        if text is not None and probe.text is not None and similarity(text, probe.text) >= 0.9:
            return True
    return bool(text and NOT_FOUND_TEXT.search(text[:600].lower()))


def classify_http(
    *,
    url: str,
    archived_url: str,
    status: int,
    final_url: str,
    text: str | None,
    probe: Probe | None,
    archived_text: str | None,
    drift_threshold: float,
) -> tuple[str, float | None]:
    """(outcome, similarity to our copy) for an HTTP answer."""
    if status in (404, 410):
        return "not_found", None
    if status in (401, 403, 429):
        return "blocked", None
    if status >= 500:
        return "server_error", None
    if status >= 400:
        return "not_found", None
    if 300 <= status < 400:
        return "server_error", None  # a redirect without a usable Location
    if text and len(text) < 2000 and BOT_WALL.search(text.lower()):  # short pages only
        return "blocked", None
    if is_soft_404(url, final_url, text, probe):
        return "soft_404", None
    score = None
    if archived_text is not None and text is not None:
        score = round(similarity(text, archived_text), 3)
    if not same_url(final_url, archived_url):
        return "redirected", score  # moved: the new place may well read differently
    if score is not None and score < drift_threshold:
        return "drifted", score
    return "ok", score


TWEET_OUTCOMES = {"available": "ok", "deleted": "deleted", "not_found": "deleted",
                  "protected": "protected", "suspended": "suspended", "withheld": "withheld"}


@dataclass(frozen=True)
class Schedule:
    state: str
    streak: int
    failing_since: dt.datetime | None
    next_check_at: dt.datetime


def schedule(
    outcome: str,
    *,
    now: dt.datetime,
    previous_state: str,
    streak: int,
    failing_since: dt.datetime | None,
    dead_after_failures: int,
    dead_after_days: float,
) -> Schedule:
    """The link's state and next check after ``outcome``.

    Healthy links are looked at less and less often (1, 2, 4 ... 30 days);
    failing ones sooner (6 h, 12 h, 1 day ... 7 days), so that a dead link is
    confirmed over days, and a recovered one noticed."""
    if outcome in FAILING:
        was_failing = previous_state in ("failing", "dead")
        streak = streak + 1 if was_failing else 1
        since = failing_since if was_failing and failing_since else now
        dead = (outcome in GONE and streak >= dead_after_failures
                and (now - since) >= dt.timedelta(days=dead_after_days))
        state = "dead" if dead or (previous_state == "dead" and outcome in GONE) else "failing"
        wait = min(dt.timedelta(hours=6) * 2 ** (streak - 1), dt.timedelta(days=7))
        return Schedule(state, streak, since, now + wait)
    state = "hidden" if outcome in HIDDEN else STATE_OF.get(outcome, "alive")
    streak = streak + 1 if previous_state == state else 1
    base = dt.timedelta(days=1) if state != "blocked" else dt.timedelta(hours=12)
    wait = min(base * 2 ** (streak - 1), dt.timedelta(days=30))
    return Schedule(state, streak, None, now + wait)
