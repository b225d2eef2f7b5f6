"""Focused detection cases a user would notice (the corpus measures the rest)."""

from __future__ import annotations

import datetime as dt

from archiver.detect.document import detect, sniff_format

OEMBED = (
    '<blockquote class="twitter-tweet" data-width="550"><p lang="en" dir="ltr">Line one<br>'
    'line two <a href="https://twitter.com/hashtag/Tag?src=hash&amp;ref_src=twsrc%5Etfw">#Tag</a>'
    ' <a href="https://t.co/QDhfkrnCsP">pic.twitter.com/QDhfkrnCsP</a></p>&mdash; SV News 🚨 '
    '(@SVNewsAlerts) <a href="https://x.com/SVNewsAlerts/status/1311714411264032768?ref_src='
    'twsrc%5Etfw">{date}</a></blockquote><script async src="https://platform.twitter.com/'
    'widgets.js" charset="utf-8"></script>'
)


def page(body: str, lang: str = "en") -> str:
    return (f'<html lang="{lang}"><head><title>T</title></head><body><nav><a href="/">Home</a>'
            f"</nav><article><p>Story text before the tweet.</p>{body}"
            "<p>Story text after the tweet.</p></article></body></html>")


def test_wordpress_embed_gives_every_field():
    html = page('<figure class="wp-block-embed wp-block-embed-twitter"><div class="wp-block-'
                f'embed__wrapper">{OEMBED.format(date="October 1, 2020")}</div></figure>')
    [cite] = detect(html, "html").citations
    assert cite.kind == "embed" and cite.handle == "SVNewsAlerts"
    assert cite.author_name == "SV News 🚨" and cite.lang == "en"
    assert cite.text == "Line one\nline two #Tag pic.twitter.com/QDhfkrnCsP"
    assert cite.date == dt.date(2020, 10, 1) and cite.date_text == "October 1, 2020"
    assert cite.tweet_id == "1311714411264032768"
    assert cite.status_url == "https://twitter.com/svnewsalerts/status/1311714411264032768"
    assert cite.links == ("https://t.co/QDhfkrnCsP", "https://pic.twitter.com/QDhfkrnCsP")
    assert cite.hashtags == ("Tag",) and cite.flags == ()


def test_localized_embed_dates():
    for date_text, lang in (("1 ottobre 2020", "it"), ("1. Oktober 2020", "de"),
                            ("1 de octubre de 2020", "es"), ("2020年10月1日", "ja"),
                            ("1 октября 2020 г.", "ru"), ("2020년 10월 1일", "ko")):
        [cite] = detect(page(OEMBED.format(date=date_text), lang), "html").citations
        assert cite.date == dt.date(2020, 10, 1), date_text


def test_cited_date_far_from_the_tweet_id_is_flagged():
    [cite] = detect(page(OEMBED.format(date="May 3, 2021")), "html").citations
    assert cite.flags == ("date_mismatch",)


def test_amp_and_rendered_iframe_embeds_are_dated_by_their_id():
    html = page('<amp-twitter data-tweetid="1311714411264032768" width="375" height="472" '
                'layout="responsive"></amp-twitter><div class="twitter-tweet twitter-tweet-'
                'rendered"><iframe data-tweet-id="1311714411264032768" src="https://platform.'
                'twitter.com/embed/Tweet.html?id=1311714411264032768"></iframe></div>')
    cites = detect(html, "html").citations
    assert [(c.kind, c.tweet_id, c.date) for c in cites] == [
        ("embed", "1311714411264032768", dt.date(2020, 10, 1))] * 2


def test_near_misses_are_not_citations():
    html = page(
        '<a href="https://twitter.com/share" class="twitter-share-button">Tweet</a>'
        '<a class="twitter-timeline" href="https://twitter.com/jack">Tweets by jack</a>'
        "<p>“We will grow,” she said.</p><p>— Jane Doe, CEO of Acme</p>"
        "<p>Follow us @paper and #news, meet @ 5pm.</p>"
        "<pre><code>&lt;p&gt;Hi&lt;/p&gt;\n— Fake (@fake) October 1, 2020</code></pre>"
        '<section class="comments"><p>Great tweet</p><p>— Troll (@troll) October 1, 2020</p>'
        "</section>"
    )
    assert detect(html, "html").citations == ()


def test_newsletter_signature_is_not_a_citation_but_an_undated_quote_is():
    signature = "Thanks for reading. See you next week,\n\n— Maria (@maria_writes)\n"
    assert detect(signature, "markdown").citations == ()
    quote = "Intro line of the story.\n\nRoads are closed in Cedar Flats.\n— Sheriff (@OakCoSheriff)\n"
    [cite] = detect(quote, "text").citations
    assert cite.handle == "OakCoSheriff" and cite.date is None
    assert cite.text == "Roads are closed in Cedar Flats."


def test_markdown_blockquote_and_lone_status_url():
    md = ("# Title\n\nSome prose.\n\n> First line of the tweet\n> second line #x\n>\n"
          "> — Kim (@kim) April 20, 2023\n\nhttps://x.com/jack/status/1311714411264032768?s=20\n")
    cites = detect(md, "markdown").citations
    assert [(c.kind, c.handle) for c in cites] == [("text", "kim"), ("url", "jack")]
    assert cites[0].text == "First line of the tweet\nsecond line #x"
    assert cites[1].date == dt.date(2020, 10, 1)


def test_status_url_in_a_sentence_is_a_link_not_a_citation():
    text = "He said so (https://twitter.com/jack/status/20) yesterday.\n"
    result = detect(text, "text")
    assert result.citations == ()
    assert [link.kind for link in result.links] == ["status"]


def test_format_sniffing():
    assert sniff_format("a.htm", None, "") == "html"
    assert sniff_format("a.md", None, "") == "markdown"
    assert sniff_format("-", None, "<!DOCTYPE html><p>x") == "html"
    assert sniff_format("a", "application/pdf", "%PDF") is None
    assert sniff_format("notes", None, "plain words") == "text"
