"""Focused detection cases a user would notice (the corpus measures the rest)."""

from __future__ import annotations

import datetime as dt

import pytest

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


def test_status_url_in_a_sentence_is_a_reference_citation_owning_only_its_link():
    text = ("He said so (https://twitter.com/jack/status/1311714411264032768) yesterday, "
            "see also https://example.org/report.\n")
    result = detect(text, "text")
    [cite] = result.citations
    assert (cite.kind, cite.handle, cite.tweet_id, cite.date) == (
        "reference", "jack", "1311714411264032768", dt.date(2020, 10, 1))
    assert cite.status_url == "https://twitter.com/jack/status/1311714411264032768"
    by_kind = {link.kind: link.citation_index for link in result.links}
    assert by_kind == {"status": 0, "external": None}


PROSE_FORMS = [
    (('<p>In <a href="https://mobile.twitter.com/ana_k/status/1634567890123456789?s=20">a post'
      '</a>, she said "we stay".</p>'), "html", "ana_k", "we stay"),
    ("In a post on X, [she said](https://x.com/ana_k/status/1634567890123456789) so.\n",
     "markdown", "ana_k", ""),
    ("See <https://x.com/ana_k/status/1634567890123456789> for the map.\n", "markdown",
     "ana_k", ""),
    ("Per www.twitter.com/ana_k/status/1634567890123456789 the bridge fell.\n", "text",
     "ana_k", ""),
    ("Deleted since: x.com/i/web/status/1634567890123456789 said «on part» hier.\n", "text",
     None, "on part"),
]


@pytest.mark.parametrize(("doc", "fmt", "handle", "quote"), PROSE_FORMS)
def test_every_spelling_of_a_tweet_linked_in_prose_is_a_reference(doc, fmt, handle, quote):
    [cite] = detect(doc, fmt).citations
    assert (cite.kind, cite.handle, cite.tweet_id, cite.text) == (
        "reference", handle, "1634567890123456789", quote)
    assert cite.date == dt.date(2023, 3, 11)


def test_a_tweet_linked_twice_or_already_quoted_is_cited_once():
    md = ("> Bridge is down.\n> — Ana (@ana_k) [March 11, 2023]"
          "(https://twitter.com/ana_k/status/1634567890123456789)\n\n"
          "As [she wrote](https://x.com/ana_k/status/1634567890123456789), and "
          "[again](https://x.com/ana_k/status/1634567890123456790) and "
          "[again](https://x.com/ana_k/status/1634567890123456790).\n")
    cites = detect(md, "markdown").citations
    assert [(c.kind, c.tweet_id) for c in cites] == [
        ("text", "1634567890123456789"), ("reference", "1634567890123456790")]


def test_markdown_converted_embed_with_escapes_names_its_tweet():
    md = ("> Die Lage ist ernst. \\#Ukraine\n"
          "> — Max Muster (@maxmuster) [4\\. März 2017]"
          "(https://twitter.com/maxmuster/status/837996046123458560)\n")
    [cite] = detect(md, "markdown").citations
    assert (cite.kind, cite.handle, cite.date, cite.tweet_id) == (
        "text", "maxmuster", dt.date(2017, 3, 4), "837996046123458560")
    assert cite.text == "Die Lage ist ernst. #Ukraine"
    assert cite.hashtags == ("Ukraine",)


def test_embed_html_kept_inside_a_markdown_blockquote_is_an_embed():
    md = ('Intro.\n\n> <blockquote class="twitter-tweet"><p lang="en">Hello there</p>'
          '&mdash; Some One (@someone) <a href="https://twitter.com/someone/status/'
          '837996046123458561">March 4, 2017</a></blockquote>\n\nAfter.\n')
    [cite] = detect(md, "markdown").citations
    assert (cite.kind, cite.handle, cite.tweet_id, cite.text) == (
        "embed", "someone", "837996046123458561", "Hello there")


def test_source_line_with_the_status_url_names_the_quoted_tweet():
    text = ("Intro paragraph.\n\n(source: https://twitter.com/srcacct/status/837996046123458562):"
            "\n\nThe bridge is down.\n— Src Acct (@srcacct) March 4, 2017\n")
    [cite] = detect(text, "text").citations
    assert (cite.kind, cite.tweet_id, cite.text) == (
        "text", "837996046123458562", "The bridge is down.")


def test_source_line_of_another_account_is_not_taken_for_the_quote():
    text = ("(source: https://twitter.com/someone_else/status/837996046123458562):"
            "\n\nThe bridge is down.\n— Src Acct (@srcacct) March 4, 2017\n")
    cites = detect(text, "text").citations
    quoted = next(c for c in cites if c.kind == "text")
    assert quoted.tweet_id is None  # not pinned to a tweet of another account
    assert [c.kind for c in cites] == ["reference", "text"]


def test_image_only_flattened_tweet_whose_date_runs_into_the_next_sentence():
    text = ("Intro.\n\npic.twitter.com/abcDEF123 — Pic Person (@picperson) "
            "December 30, 2017In the meantime the city was quiet.\n")
    [cite] = detect(text, "text").citations
    assert (cite.handle, cite.date, cite.text) == (
        "picperson", dt.date(2017, 12, 30), "pic.twitter.com/abcDEF123")
    assert cite.date_text == "December 30, 2017"


def test_flattened_citations_in_markdown_table_cells():
    md = ("| when | what |\n| --- | --- |\n"
          "| 9:00 | The tanks are moving — Tank Watch (@tankwatch) March 4, 2017 |\n"
          "| 9:30 | Roads closed near the port. | — Port Info (@portinfo) March 4, 2017 |\n")
    cites = detect(md, "markdown").citations
    assert [(c.handle, c.text) for c in cites] == [
        ("tankwatch", "The tanks are moving"), ("portinfo", "Roads closed near the port.")]


def test_format_sniffing():
    assert sniff_format("a.htm", None, "") == "html"
    assert sniff_format("a.md", None, "") == "markdown"
    assert sniff_format("-", None, "<!DOCTYPE html><p>x") == "html"
    assert sniff_format("a", "application/pdf", "%PDF") is None
    assert sniff_format("notes", None, "plain words") == "text"


def test_comment_section_of_a_page_copied_as_text_is_not_the_article():
    text = ("Headline\n\nThe storm hit at night.\n\nFlood water rose fast.\n"
            "— City Desk (@citydesk) 12 novembre 2019\n\n3 COMMENTI\n\nluisa\n"
            "I was there.\n— Paolo (@paolo_lagunare) 12 novembre 2019\n\n"
            "https://twitter.com/gondolier_58/status/1194241476574676076\n")
    result = detect(text, "text")
    assert [c.handle for c in result.citations] == ["citydesk"]
    assert not [link for link in result.links if "gondolier_58" in link.normalized]


def test_a_blocked_social_embed_placeholder_still_names_its_tweet():
    html = ('<article><p>Intro.</p><div class="social-embed social-embed--twitter '
            'social-embed--blocked"><p>Accept cookies to see this post.</p>'
            '<a class="social-embed__link" href="https://twitter.com/pablo_r/status/'
            '1839277377261787846">See the post on X</a></div>'
            '<div class="share-bar social"><a href="https://twitter.com/intent/tweet?url=x">'
            'Share</a><a href="https://twitter.com/other/status/1839277377261787847">top post'
            '</a></div></article>')
    [cite] = detect(html, "html").citations
    assert (cite.kind, cite.handle, cite.tweet_id) == ("reference", "pablo_r",
                                                       "1839277377261787846")


def test_undated_attribution_in_its_own_html_block_needs_evidence():
    signature = ("<article><p>What we learned: officials informed well.</p>"
                 "<p>— Léa Castaing (@lea_castaing)</p></article>")
    assert detect(signature, "html").citations == ()
    introduced = ("<article><p>Among fans the emotion was general:</p>"
                  "<p>I cried like a child. 40 years waiting.</p>"
                  "<p>— Rafael Lima (@rafa_lima_rj)</p></article>")
    [cite] = detect(introduced, "html").citations
    assert (cite.handle, cite.text) == ("rafa_lima_rj", "I cried like a child. 40 years waiting.")


def test_a_long_sentence_that_ends_with_the_source_url_names_the_quote():
    text = ("At dawn the worst was on the SS225. So Anas at 7.45 (source: "
            "https://x.com/AnasLiguria_Inf/status/1720331235552449672):\n\n"
            "SS225 closed at km 12 for a landslide.\n"
            "— Anas Liguria (@AnasLiguria_Inf) 3 novembre 2023\n")
    [cite] = detect(text, "text").citations
    assert (cite.kind, cite.tweet_id) == ("text", "1720331235552449672")
    mid = ("Anas (https://x.com/AnasLiguria_Inf/status/1720331235552449672) wrote more later:\n\n"
           "SS225 closed at km 12 for a landslide.\n"
           "— Anas Liguria (@AnasLiguria_Inf) 3 novembre 2023\n")
    kinds = [(c.kind, c.tweet_id) for c in detect(mid, "text").citations]
    assert kinds == [("reference", "1720331235552449672"), ("text", None)]


@pytest.mark.parametrize(("line", "date"), [
    ("pic.twitter.com/Wn4cR8mZpL — 陈志明 (@chen_zm_hk) 2024年6月15日据了解，照片拍摄于黄大仙。",
     dt.date(2024, 6, 15)),
    ("동래역 지하차도 완전히 잠김 — 김민준 (@minjun_d) 2024년 7월 10일 이후 통제됐다.",
     dt.date(2024, 7, 10)),
])
def test_cjk_dates_of_run_together_attributions(line, date):
    [cite] = detect(f"기사.\n\n{line}\n", "text").citations
    assert cite.date == date


def test_status_urls_in_inline_code_are_examples_not_citations():
    md = ("A post has an address like `https://x.com/someone/status/1830546306629503500`.\n\n"
          "`https://x.com/someone/status/1830546306629503501`\n")
    result = detect(md, "markdown")
    assert result.citations == ()
    assert not [link for link in result.links if link.kind == "status"]
    html = ("<article><p>Run <code>archiver add https://x.com/a/status/1830546306629503500"
            "</code> to add one.</p></article>")
    assert detect(html, "html").citations == ()


def test_a_source_label_line_names_the_quote_below_it():
    text = ("Pour le réveillon, la ville a rappelé ses consignes.\n\n"
            "Source : https://x.com/Strasbourg_demo/status/947598348127430617\n\n"
            "Pétards interdits cette nuit.\n— Ville de Strasbourg (@Strasbourg_demo) 31 décembre 2017\n")
    [cite] = detect(text, "text").citations
    assert (cite.kind, cite.tweet_id) == ("text", "947598348127430617")


def test_a_newsletter_signed_with_its_own_account_is_not_a_citation():
    text = ("De Lindewijker — Nieuwsbrief\nLees online: https://lindewijker.example/nb/17\n\n"
            "Goedemorgen,\n\nDe markt gaat door.\n\nTot volgende week!\n— De redactie (@Lindewijker)\n\n"
            "Volg ons: https://twitter.com/Lindewijker\n")
    assert detect(text, "text").citations == ()


def test_reference_style_markdown_links_name_the_tweet():
    md = ("> Passeggiata a mare chiusa.\n> — Comune di Lerici (\\@ComuneLerici_d) "
          "[2 novembre 2023][1]\n\nSee [the firefighters' post][vvf] too.\n\n"
          "  [1]: https://twitter.com/ComuneLerici_d/status/1720048535661675718?ref_src=twsrc\n"
          "  [vvf]: https://x.com/VVF_LaSpezia_d/status/1720444756239677547 \"VVF\"\n")
    cites = detect(md, "markdown").citations
    assert [(c.kind, c.handle, c.tweet_id) for c in cites] == [
        ("text", "ComuneLerici_d", "1720048535661675718"),
        ("reference", "VVF_LaSpezia_d", "1720444756239677547")]


def _page_of_embeds(count: int) -> str:
    embed = ('<p>Paragraph {i} of the story.</p><blockquote class="twitter-tweet"><p lang="en">'
             'Tweet number {i} #tag</p>&mdash; User (@user{i}) <a href="https://twitter.com/'
             'user{i}/status/{id}">October 1, 2020</a></blockquote>\n')
    body = "".join(embed.format(i=i, id=1311714411264032768 + i) for i in range(count))
    return f"<html><body><article>{body}</article></body></html>"


def _lines(text: str) -> int:
    """Lines of Python executed by detect(): a deterministic measure of its work (a
    loop's every turn counts, unlike function calls)."""
    import sys

    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        detect(text, "html")
    finally:
        sys.settrace(None)
    return count


def test_detection_work_grows_linearly_with_the_number_of_embeds():
    # Work, not seconds: deterministic on a noisy machine. Eight times the embeds must
    # cost about eight times the work (7.9 measured); the per-paragraph scans over all
    # citations that issue 11 found made it 11.5 already at this size.
    detect(_page_of_embeds(1), "html")  # warm caches (language model, CLDR data)
    small, large = _lines(_page_of_embeds(40)), _lines(_page_of_embeds(320))
    assert large / small < 9.5, (small, large)


def test_html_nested_thousands_of_levels_deep_keeps_its_text():
    depth = 5000
    page = ("<html><body><article>" + "<div>" * depth + "<p>deep text here</p>"
            + "</div>" * depth + "<p>after</p></article></body></html>")
    assert "deep text here" in detect(page, "html").article.paragraphs
