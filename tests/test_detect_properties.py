"""Property-based: detection never raises, and what it reports is consistent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.detect.document import detect

FORMATS = st.sampled_from(["html", "markdown", "text"])
PIECES = st.sampled_from([
    "— ", "–", "--", "&mdash;", "(@", ")", "@jack", "#tag", " October 1, 2020", "1 ottobre 2020",
    "2020年10月1日", "\n", "\n\n", "> ", "```", "pic.twitter.com/AbCdEf1234", "https://t.co/Xy12",
    "https://twitter.com/jack/status/20", "<blockquote class=\"twitter-tweet\">", "</blockquote>",
    "<p lang=\"en\">", "</p>", "<br>", "<a href=\"https://x.com/a/status/1311714411264032768\">",
    "</a>", "<amp-twitter data-tweetid=\"99\">", "<pre><code>", "</code></pre>", "{{< tweet 20 >}}",
    "<script>", "<iframe data-tweet-id=\"12\">", "Prose.", " ",
])
MARKUPISH = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=40).map("".join)


def _check(text: str, fmt: str) -> None:
    result = detect(text, fmt)
    paragraphs = result.article.paragraphs
    for cite in result.citations:
        assert cite.kind in ("embed", "text", "url")
        assert cite.handle is None or 1 <= len(cite.handle) <= 15
        if cite.position is not None:
            assert 0 <= cite.position.paragraph < len(paragraphs)
    for link in result.links:
        assert link.position is not None
        assert 0 <= link.position.paragraph < len(paragraphs)
        if link.citation_index is not None:
            assert 0 <= link.citation_index < len(result.citations)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), FORMATS)
def test_detect_never_raises_on_arbitrary_text(text, fmt):
    _check(text, fmt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKUPISH, FORMATS)
def test_detect_never_raises_on_citation_like_markup(text, fmt):
    _check(text, fmt)
