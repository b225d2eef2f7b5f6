"""Detection quality over the annotated corpus (see tests/corpus/README.md)."""

from __future__ import annotations

import json
from collections import Counter

from tests.corpus_eval import documents, evaluate

THRESHOLD = 0.97


def test_corpus_is_large_and_varied_enough():
    docs = documents()
    assert len(docs) >= 40
    sidecars = [json.loads(d.with_name(d.stem + ".expected.json").read_text("utf-8"))
                for d in docs]
    formats = Counter(d.suffix for d in docs)
    assert formats[".html"] >= 10 and formats[".md"] >= 5 and formats[".txt"] >= 5
    assert len({s["language"] for s in sidecars}) >= 6
    assert sum(1 for s in sidecars if not s["citations"]) >= 10  # near-miss negatives


def test_precision_and_recall_of_handle_date_pairs():
    score = evaluate()
    detail = "\n".join(score.misses)
    assert score.precision >= THRESHOLD, detail
    assert score.recall >= THRESHOLD, detail


def test_tweet_links_are_found_without_boilerplate():
    score = evaluate()
    assert score.link_precision >= THRESHOLD, "\n".join(score.misses)
    assert score.link_recall >= THRESHOLD, "\n".join(score.misses)
