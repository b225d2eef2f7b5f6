"""The pure rules that turn an HTTP answer into a check outcome (rules/verdicts.py).

The check tests prove every outcome end to end over sockets; these pin the text
rules whatever the case of the page, since the phrases are searched in
lower-cased text (faster than case-insensitive regular expressions)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.rules import verdicts

URL = "https://news.example/2026/story"


def classify(text: str, archived: str | None = None) -> tuple[str, float | None]:
    return verdicts.classify_http(url=URL, archived_url=URL, status=200, final_url=URL,
                                  text=text, probe=None, archived_text=archived,
                                  drift_threshold=0.8)


@pytest.mark.parametrize("text", [
    "PAGE NOT FOUND. Try the search box.",
    "Oops! This Page Doesn't Exist any more.",
    "Страница не найдена",
    "Página No Encontrada",
    "ページが見つかりません",
])
def test_a_not_found_phrase_in_any_case_is_a_soft_404(text):
    assert classify(text)[0] == "soft_404"


def test_a_phrase_beyond_the_page_start_is_not_a_soft_404():
    assert classify("The council met. " * 60 + "page not found")[0] == "ok"


@pytest.mark.parametrize("text", ["Just a moment...", "Checking Your Browser before access",
                                  "Please complete the CAPTCHA"])
def test_a_short_bot_wall_is_blocked_in_any_case(text):
    assert classify(text)[0] == "blocked"


def test_a_long_article_that_mentions_a_captcha_is_not_a_bot_wall():
    assert classify("The captcha industry grew. " * 100)[0] == "ok"


@given(st.text(max_size=700))
def test_phrase_search_agrees_with_a_case_insensitive_search(text):
    insensitive = re.compile(verdicts.NOT_FOUND_TEXT.pattern, re.IGNORECASE)
    ascii_text = text.encode("ascii", "ignore").decode()  # case folding differs beyond ASCII
    expected = bool(insensitive.search(ascii_text[:600]))
    assert verdicts.is_soft_404(URL, URL, ascii_text, None) is expected


@given(st.text(max_size=300))
def test_a_text_is_fully_similar_to_itself(text):
    assert verdicts.similarity(text, text) == 1.0


def test_drift_is_measured_against_the_text_we_kept():
    kept = "The river rose by two metres overnight, the mayor said. " * 10
    assert classify(kept, kept) == ("ok", 1.0)
    outcome, score = classify("An entirely different story about a football final.", kept)
    assert outcome == "drifted" and score is not None and score < 0.8
