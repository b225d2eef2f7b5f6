"""Property-based: detection never raises, and what it reports is consistent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.detect.document import detect
from archiver.detect.values import CITATION_KINDS

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
        assert cite.kind in CITATION_KINDS
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


_words = st.lists(st.sampled_from(["the", "minister", "said", "in", "a", "post", "on", "X",
                                   "that", "roads", "are", "closed", "tonight", "«ok»"]),
                  min_size=1, max_size=12).map(" ".join)


@given(before=_words, after=_words,
       handle=st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True).filter(
           lambda h: h.lower() != "i"),  # /i/status/ID is X's handle-less form
       tweet_id=st.integers(min_value=10**17, max_value=2**63 - 1).map(str),
       host=st.sampled_from(["twitter.com", "x.com", "mobile.twitter.com", "www.twitter.com"]),
       form=st.sampled_from(["text", "markdown", "html"]))
@settings(max_examples=150, deadline=None)
def test_a_status_link_in_prose_cites_exactly_that_tweet(before, after, handle, tweet_id,
                                                         host, form):
    url = f"https://{host}/{handle}/status/{tweet_id}?s=20"
    doc = {"text": f"{before} {url} {after}.\n",
           "markdown": f"{before} [the post]({url}) {after}.\n",
           "html": f'<p>{before} <a href="{url}">the post</a> {after}.</p>'}[form]
    cites = detect(doc, form if form != "text" else "text").citations
    assert [(c.kind, c.handle, c.tweet_id) for c in cites] == [("reference", handle, tweet_id)]
