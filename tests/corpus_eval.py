"""Measure detection against the hand-annotated corpus in tests/corpus/.

    python -m tests.corpus_eval          # totals
    python -m tests.corpus_eval -v       # and every miss, per document

Citations are compared as (handle, date) pairs per document (a multiset: two
citations of one account on one day count twice). The quote text of flattened
citations, the part our heuristics delimit, is scored separately as exact
matches, as are the tweet links found in each document.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from archiver.detect.decoding import decode
from archiver.detect.document import detect, sniff_format
from archiver.detect.linkrefs import TWEET_KINDS

CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    quote_exact: int = 0
    quote_total: int = 0
    links_tp: int = 0
    links_fp: int = 0
    links_fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def quote_accuracy(self) -> float:
        return self.quote_exact / self.quote_total if self.quote_total else 1.0

    @property
    def link_precision(self) -> float:
        total = self.links_tp + self.links_fp
        return self.links_tp / total if total else 1.0

    @property
    def link_recall(self) -> float:
        total = self.links_tp + self.links_fn
        return self.links_tp / total if total else 1.0


def documents() -> list[Path]:
    return sorted(
        p for p in CORPUS.iterdir()
        if p.suffix in (".html", ".md", ".txt") and p.with_name(p.stem + ".expected.json").exists()
    )


def _key(handle: str | None, date: str | None) -> tuple[str | None, str | None]:
    return (handle.lower() if handle else None, date)


def evaluate(paths: list[Path] | None = None) -> Score:
    score = Score()
    for path in paths or documents():
        expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
        text, _ = decode(path.read_bytes())
        fmt = sniff_format(path.name, None, text) or "text"
        found = detect(text, fmt)
        got = Counter(_key(c.handle, c.date.isoformat() if c.date else None)
                      for c in found.citations)
        want = Counter(_key(c["handle"], c["date"]) for c in expected["citations"])
        tp = sum((got & want).values())
        score.tp += tp
        score.fp += sum((got - want).values())
        score.fn += sum((want - got).values())
        for extra in (got - want).elements():
            score.misses.append(f"{path.name}: false positive {extra}")
        for missing in (want - got).elements():
            score.misses.append(f"{path.name}: missed {missing}")
        by_key: dict[tuple[str | None, str | None], list] = {}
        for c in found.citations:
            by_key.setdefault(_key(c.handle, c.date.isoformat() if c.date else None), []).append(c)
        for cite in expected["citations"]:
            if cite["kind"] != "text" or cite.get("text") is None:
                continue
            score.quote_total += 1
            same = by_key.get(_key(cite["handle"], cite["date"])) or [None]
            mine = same.pop(0) if len(same) > 1 else same[0]
            if mine is not None and mine.text == cite["text"]:
                score.quote_exact += 1
            else:
                score.misses.append(
                    f"{path.name}: quote of @{cite['handle']} differs: "
                    f"{(mine.text if mine else None)!r} != {cite['text']!r}"
                )
        want_links = set(expected.get("status_links", [])) | set(expected.get("short_links", []))
        got_links = {r.normalized for r in found.links if r.kind in TWEET_KINDS}
        score.links_tp += len(got_links & want_links)
        score.links_fp += len(got_links - want_links)
        score.links_fn += len(want_links - got_links)
        for url in sorted(got_links - want_links):
            score.misses.append(f"{path.name}: extra link {url}")
        for url in sorted(want_links - got_links):
            score.misses.append(f"{path.name}: missed link {url}")
    return score


def main(argv: list[str]) -> int:
    score = evaluate()
    if "-v" in argv:
        print("\n".join(score.misses))
    print(f"documents {len(documents())}  citations: precision {score.precision:.3f} "
          f"recall {score.recall:.3f} (tp {score.tp}, fp {score.fp}, fn {score.fn})")
    print(f"flattened quote text exact: {score.quote_accuracy:.3f} "
          f"({score.quote_exact}/{score.quote_total})")
    print(f"tweet links: precision {score.link_precision:.3f} recall {score.link_recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
