"""Hashtags and mentions by Twitter's own rules.

The spec is twitter-text's conformance file (tests/data/twitter-text/, an
unchanged excerpt of conformance/extract.yml, read as published rather than
copied into test code, as its README asks): every case of its mention and
hashtag sections must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.detect.document import detect
from archiver.detect.entities import (
    extract_hashtags,
    extract_mentions,
    extract_mentions_or_lists,
    hashtags_and_mentions,
)

SPEC = Path(__file__).parent / "data" / "twitter-text" / "extract.yml"
SECTIONS = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["tests"]
EXPECTED_SECTIONS = {
    "mentions": 23, "mentions_with_indices": 3, "mentions_or_lists_with_indices": 5,
    "hashtags": 65, "hashtags_from_astral": 3, "hashtags_with_indices": 8,
}
CASES = [
    pytest.param(section, case, id=f"{section}-{i}-{case['description']}")
    for section, cases in SECTIONS.items() for i, case in enumerate(cases)
]


def test_the_spec_excerpt_holds_every_section():
    assert {s: len(c) for s, c in SECTIONS.items()} == EXPECTED_SECTIONS


@pytest.mark.parametrize(("section", "case"), CASES)
def test_conformance(section, case):
    text, expected = case["text"], case["expected"]
    if section == "mentions":
        got = [e.text for e in extract_mentions(text)]
    elif section in ("hashtags", "hashtags_from_astral"):
        got = [e.text for e in extract_hashtags(text)]
    elif section == "mentions_with_indices":
        got = [{"screen_name": e.text, "indices": [e.start, e.end]}
               for e in extract_mentions(text)]
    elif section == "hashtags_with_indices":
        got = [{"hashtag": e.text, "indices": [e.start, e.end]} for e in extract_hashtags(text)]
    else:
        assert section == "mentions_or_lists_with_indices"
        got = [{"screen_name": e.text, "list_slug": e.list_slug, "indices": [e.start, e.end]}
               for e in extract_mentions_or_lists(text)]
    assert got == expected
    # What detection stores: the same names, first occurrence of each only.
    tags, mentions = hashtags_and_mentions(text)
    if section.startswith("hashtags"):
        names = [e if isinstance(e, str) else e["hashtag"] for e in expected]
        assert tags == tuple(dict.fromkeys(names))
    elif section != "mentions_or_lists_with_indices":
        names = [e if isinstance(e, str) else e["screen_name"] for e in expected]
        assert mentions == tuple(dict.fromkeys(names))


@pytest.mark.parametrize(("text", "tags", "mentions"), [
    # Inside a URL a sign is part of the URL, as in Twitter's own entities.
    ("https://medium.com/@author/some-post and youtube.com/@channel", (), ()),
    ("read example.org/page/#section or https://例え.jp/#top", (), ()),
    ("see example.org #tag and @user", ("tag",), ("user",)),
    ("https://example.com/a。#タグ", ("タグ",), ()),  # the URL ends at CJK punctuation
    # A list reference names the list, not a user to archive.
    ("@nytimes/reporters says @nytimes", (), ("nytimes",)),
    # Repeats are dropped; case is kept as written, so spellings stay apart.
    ("RT @a: #Tag #tag #Tag .@a ＠b", ("Tag", "tag"), ("a", "b")),
    ("mail me at someone@example.com &#39;quoted&#39; #1 #️⃣", (), ()),
])
def test_beyond_the_spec(text, tags, mentions):
    assert hashtags_and_mentions(text) == (tags, mentions)


def test_an_embedded_hindi_tweet_keeps_whole_hashtags():
    html = ('<blockquote class="twitter-tweet"><p lang="hi">गांधी जयंती #महात्मा_गांधी '
            'RT@pib_india</p>&mdash; Name (@handle) <a href="https://twitter.com/handle/status/'
            '1311714411264032768">October 2, 2020</a></blockquote>')
    [cite] = detect(f"<html><body><article>{html}</article></body></html>", "html").citations
    assert cite.hashtags == ("महात्मा_गांधी",) and cite.mentions == ("pib_india",)


SIGNS = st.sampled_from(["#", "@", "＃", "＠", "RT", "rt:", "/", "://", "http://", "x.com/",
                         "www.", ".", "&", "_", "\u200d", "\u200c", "\ufe0f", "\u20e3", "ी",
                         "ì", " ", "\n", "a", "Z", "9", "٤", "ก", "་", "·", "〃", "ー"])
TEXTS = st.one_of(st.text(), st.lists(st.one_of(SIGNS, st.text(max_size=4)), max_size=30)
                  .map("".join))


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_extraction_never_raises_and_finds_only_what_is_written(text):
    for e in extract_hashtags(text):
        assert text[e.start] in "#＃" and text[e.start + 1:e.end] == e.text and e.text
    for e in extract_mentions_or_lists(text):
        assert text[e.start] in "@＠" and text[e.start + 1:e.end] == e.text + e.list_slug
        assert 1 <= len(e.text) <= 20
    tags, mentions = hashtags_and_mentions(text)
    assert len(set(tags)) == len(tags) and len(set(mentions)) == len(mentions)
    assert all(t in text for t in tags) and all(m in text for m in mentions)
