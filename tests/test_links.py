"""Tests for archiver.detect.links: finding links in prose and their identity."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.detect.links import (
    TRACKING_PARAMS,
    FoundLink,
    classify_url,
    find_links,
    normalize_url,
    parse_status_url,
)


def _check_invariants(text: str, links: list[FoundLink]) -> None:
    last_end = 0
    for link in links:
        assert text[link.start:link.end] == link.url
        assert link.start >= last_end
        assert link.end > link.start
        last_end = link.end


def _only(text: str) -> FoundLink:
    links = find_links(text)
    _check_invariants(text, links)
    assert len(links) == 1, links
    return links[0]


# (text, url as found, kind, normalized, tweet_id, handle)
FOUND = [
    # the seed article (Italian piece quoting English tweets)
    (("BREAKING: Armenian S-300 air defense systems have intercepted 2 ballistic missiles "
      "shot by #Azerbaijan at the civilian capital #Yerevan—massive escalation. "
      "pic.twitter.com/QDhfkrnCsP"),
     "pic.twitter.com/QDhfkrnCsP", "pic", "https://pic.twitter.com/QDhfkrnCsP", None, None),
    ("…escalation. pic.twitter.com/QDhfkrnCsP", "pic.twitter.com/QDhfkrnCsP", "pic",
     "https://pic.twitter.com/QDhfkrnCsP", None, None),
    ("here is my report; https://t.co/uYr4nwO5Bw", "https://t.co/uYr4nwO5Bw", "tco",
     "https://t.co/uYr4nwO5Bw", None, None),
    ("Questa sera, secondo il ministero (https://t.co/uYr4nwO5Bw), quattro droni...",
     "https://t.co/uYr4nwO5Bw", "tco", "https://t.co/uYr4nwO5Bw", None, None),
    # t.co forms: no scheme, http, old 8-char codes, query dropped, code case kept
    ("vedi t.co/uYr4nwO5Bw.", "t.co/uYr4nwO5Bw", "tco", "https://t.co/uYr4nwO5Bw", None, None),
    ("old http://t.co/a1B2c3D4!", "http://t.co/a1B2c3D4", "tco", "https://t.co/a1B2c3D4",
     None, None),
    ("HTTPS://T.CO/AbCdEf1234?amp=1", "HTTPS://T.CO/AbCdEf1234?amp=1", "tco",
     "https://t.co/AbCdEf1234", None, None),
    ("https://pic.twitter.com/QDhfkrnCsP", "https://pic.twitter.com/QDhfkrnCsP", "pic",
     "https://pic.twitter.com/QDhfkrnCsP", None, None),
    # scraped tweet text often glues the pic link to the last word
    ("massive escalation.pic.twitter.com/QDhfkrnCsP", "pic.twitter.com/QDhfkrnCsP", "pic",
     "https://pic.twitter.com/QDhfkrnCsP", None, None),
    # Japanese and Chinese prose: no spaces, CJK punctuation ends the URL
    ("詳細はhttps://t.co/AbCdEf1234。", "https://t.co/AbCdEf1234", "tco",
     "https://t.co/AbCdEf1234", None, None),
    ("「https://twitter.com/jack/status/20」と書いた", "https://twitter.com/jack/status/20",
     "status", "https://twitter.com/jack/status/20", "20", "jack"),
    ("報道https://t.co/AbCdEf1234です", "https://t.co/AbCdEf1234", "tco",
     "https://t.co/AbCdEf1234", None, None),
    ("見てください：https://x.com/jack/status/20、よろしく", "https://x.com/jack/status/20",
     "status", "https://twitter.com/jack/status/20", "20", "jack"),
    # status URLs on every host
    ("https://twitter.com/Jack/status/1311337002123456789", None, "status",
     "https://twitter.com/jack/status/1311337002123456789", "1311337002123456789", "Jack"),
    ("https://www.twitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://mobile.twitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://m.twitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://x.com/jack/status/20", None, "status", "https://twitter.com/jack/status/20",
     "20", "jack"),
    ("https://www.x.com/jack/status/20", None, "status", "https://twitter.com/jack/status/20",
     "20", "jack"),
    ("https://mobile.x.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://nitter.net/jack/status/20#m", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://nitter.poast.org/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://xcancel.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://fxtwitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://d.fxtwitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://fixupx.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://vxtwitter.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://fixvx.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twittpr.com/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    # path forms and suffixes
    ("https://twitter.com/jack/statuses/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/i/web/status/1311337002123456789", None, "status",
     "https://twitter.com/i/web/status/1311337002123456789", "1311337002123456789", None),
    ("https://x.com/i/status/20", None, "status", "https://twitter.com/i/web/status/20",
     "20", None),
    ("http://twitter.com/#!/jack/status/20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20/photo/1", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20/video/1", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20/analytics", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20?s=20", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/jack/status/20?lang=en#x", None, "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/Big_Handle_1234/status/12345678901234567890", None, "status",
     "https://twitter.com/big_handle_1234/status/12345678901234567890",
     "12345678901234567890", "Big_Handle_1234"),
    # scheme-less status links
    ("twitter.com/jack/status/20", None, "status", "https://twitter.com/jack/status/20",
     "20", "jack"),
    ("via x.com/jack/status/20.", "x.com/jack/status/20", "status",
     "https://twitter.com/jack/status/20", "20", "jack"),
    ("www.twitter.com/jack/status/20", None, "status", "https://twitter.com/jack/status/20",
     "20", "jack"),
    # media
    ("https://pbs.twimg.com/media/EjRkZ1bXgAAGk3a?format=jpg&name=small&x=1", None, "media",
     "https://pbs.twimg.com/media/EjRkZ1bXgAAGk3a?format=jpg&name=small", None, None),
    ("http://pbs.twimg.com/media/EjRkZ1bXgAAGk3a.jpg:large", None, "media",
     "https://pbs.twimg.com/media/EjRkZ1bXgAAGk3a.jpg:large", None, None),
    ("https://video.twimg.com/ext_tw_video/1/pu/vid/720x1280/a.mp4?tag=12&foo=bar", None,
     "media", "https://video.twimg.com/ext_tw_video/1/pu/vid/720x1280/a.mp4?tag=12",
     None, None),
    # near misses: Twitter pages that are links but not statuses
    ("twitter.com/jack", None, "external", "https://twitter.com/jack", None, None),
    ("https://twitter.com/intent/tweet?text=ciao&url=https%3A%2F%2Fa.it", None, "external",
     "https://twitter.com/intent/tweet?text=ciao&url=https%3A%2F%2Fa.it", None, None),
    ("https://twitter.com/share", None, "external", "https://twitter.com/share", None, None),
    ("https://twitter.com/hashtag/Yerevan?src=hash", None, "external",
     "https://twitter.com/hashtag/Yerevan?src=hash", None, None),
    ("https://twitter.com/search?q=%23Armenia&s=09", None, "external",
     "https://twitter.com/search?q=%23Armenia", None, None),
    ("https://twitter.com/i/lists/123456", None, "external",
     "https://twitter.com/i/lists/123456", None, None),
    ("https://twitter.com/jack/status/12abc", None, "external",
     "https://twitter.com/jack/status/12abc", None, None),
    ("https://twitter.com/this_handle_is_too_long/status/20", None, "external",
     "https://twitter.com/this_handle_is_too_long/status/20", None, None),
    ("https://x.com", None, "external", "https://x.com/", None, None),
    ("www.x.com", None, "external", "https://www.x.com/", None, None),
    # external links
    ("Leggi www.repubblica.it/esteri/2020/10/01/news.", "www.repubblica.it/esteri/2020/10/01/news",
     "external", "http://www.repubblica.it/esteri/2020/10/01/news", None, None),
    ("HTTPS://EXAMPLE.COM:443/A/B?utm_source=tw&id=7&fbclid=x#top", None, "external",
     "https://example.com/A/B?id=7", None, None),
    ("http://Example.com:80", None, "external", "http://example.com/", None, None),
    ("http://example.com:8080/x", None, "external", "http://example.com:8080/x", None, None),
    ("https://www.bücher.de/Straße", None, "external",
     "https://www.xn--bcher-kva.de/Stra%C3%9Fe", None, None),
    ("https://a.com/%7euser/%c3%a9?q=%41%2f", None, "external",
     "https://a.com/~user/%C3%A9?q=A%2F", None, None),
    ("https://192.168.0.1/x", None, "external", "https://192.168.0.1/x", None, None),
]


@pytest.mark.parametrize(("text", "url", "kind", "normalized", "tweet_id", "handle"), FOUND)
def test_found(text: str, url: str | None, kind: str, normalized: str,
               tweet_id: str | None, handle: str | None) -> None:
    link = _only(text)
    assert link.url == (url if url is not None else text)
    assert (link.kind, link.normalized, link.tweet_id, link.handle) == (
        kind, normalized, tweet_id, handle)
    assert classify_url(link.url) == (kind, tweet_id, handle)
    assert normalize_url(link.url) == normalized


TRIMMED = [
    ("See https://example.com/a.", "https://example.com/a"),
    ("See https://example.com/a, then", "https://example.com/a"),
    ("Is it https://example.com/a?", "https://example.com/a"),
    ("Wow https://example.com/a!!!", "https://example.com/a"),
    ("list: https://example.com/a; more", "https://example.com/a"),
    ("note https://example.com/a: yes", "https://example.com/a"),
    ("(https://example.com/a)", "https://example.com/a"),
    ("[https://example.com/a]", "https://example.com/a"),
    ("{https://example.com/a}", "https://example.com/a"),
    ("(see https://en.wikipedia.org/wiki/Mercury_(planet)).",
     "https://en.wikipedia.org/wiki/Mercury_(planet)"),
    ("https://en.wikipedia.org/wiki/Yerevan_(disambiguation)",
     "https://en.wikipedia.org/wiki/Yerevan_(disambiguation)"),
    ('"https://example.com/a"', "https://example.com/a"),
    ("'https://example.com/a'", "https://example.com/a"),
    ("«https://example.com/a»", "https://example.com/a"),
    ("“https://example.com/a”", "https://example.com/a"),
    ("<https://example.com/a>", "https://example.com/a"),
    ("https://example.com/a/very/long/pa…", "https://example.com/a/very/long/pa"),
    ("https://twitter.com/jack/status/20…", "https://twitter.com/jack/status/20"),
    ("https://example.com/a\u200b and more", "https://example.com/a"),
    ("the *https://example.com/a* link", "https://example.com/a"),
    ("https://example.com/a\u2014said the minister", "https://example.com/a"),
    ("https://t.co/uYr4nwO5Bw\u00a0pic", "https://t.co/uYr4nwO5Bw"),
    ("https://example.com/?a=1&b=2.", "https://example.com/?a=1&b=2"),
    ("[il rapporto](https://example.com/a_(b)/c).", "https://example.com/a_(b)/c"),
    ("vedi https://it.wikipedia.org/wiki/Città_del_Vaticano, poi",
     "https://it.wikipedia.org/wiki/Città_del_Vaticano"),
    ("https://twitter.com/jack/status/20を見て", "https://twitter.com/jack/status/20"),
]


@pytest.mark.parametrize(("text", "url"), TRIMMED)
def test_trimming(text: str, url: str) -> None:
    assert _only(text).url == url


@pytest.mark.parametrize("text", [
    "scrivere a someone@t.co per info",
    "mail someone@twitter.com/jack",
    "user@www.example.com",
    "grazie @jack e @x_com",
    "#Yerevan #Armenia #x.com/foo",
    "the site x.com is down",
    "the site x.com/ is down",
    "twitter.com is blocked",
    "mailto:someone@example.com",
    "javascript:alert('https://evil.example/x')",
    "data:text/html,https://evil.example/x",
    "https:// nothing here",
    "http://localhost/x",
    "www.example",
    "foo.t.co/abc and microsoft.com/x and box.com/status",
    "",
])
def test_not_links(text: str) -> None:
    assert find_links(text) == []


def test_several_links_in_order() -> None:
    text = ("Wow https://t.co/uYr4nwO5Bw pic.twitter.com/QDhfkrnCsP — Jack (@jack) "
            "October 1, 2020 https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw.")
    links = find_links(text)
    _check_invariants(text, links)
    assert [link.kind for link in links] == ["tco", "pic", "status"]


def test_glued_links_are_split() -> None:
    text = "escalation https://t.co/uYr4nwO5Bwpic.twitter.com/QDhfkrnCsP"
    links = find_links(text)
    _check_invariants(text, links)
    assert [link.url for link in links] == [
        "https://t.co/uYr4nwO5Bw", "pic.twitter.com/QDhfkrnCsP"]
    text = "https://t.co/uYr4nwO5Bwhttps://t.co/a1B2c3D4"
    assert [link.url for link in find_links(text)] == [
        "https://t.co/uYr4nwO5Bw", "https://t.co/a1B2c3D4"]


@pytest.mark.parametrize("text", [
    "http://" * 8000, "https://a" * 6000, "www.a(" * 8000, "pic.twitter.com/a" * 3000,
    "t.co/a<" * 8000, "(" * 20000 + "https://a.com/" + ")" * 20000,
])
def test_adversarial_text_stays_fast(text: str) -> None:
    began = time.perf_counter()
    _check_invariants(text, find_links(text))
    assert time.perf_counter() - began < 5  # quadratic scanning took minutes


def test_url_inside_external_query_is_kept() -> None:
    text = "https://web.archive.org/web/2020/https://twitter.com/jack/status/20"
    assert _only(text).kind == "external"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.com/?utm_source=a&utm_medium=b&utm_campaign=c&utm_term=d&utm_content=e",
     "https://example.com/"),
    ("https://example.com/?b=2&fbclid=x&a=1&gclid=y", "https://example.com/?b=2&a=1"),
    ("https://example.com/?mc_cid=1&mc_eid=2&igshid=3&ref_src=4&keep=5",
     "https://example.com/?keep=5"),
    ("https://example.com/?UTM_Source=x&Q=1", "https://example.com/?Q=1"),
    ("https://example.com/search?s=20&t=1", "https://example.com/search?s=20&t=1"),
    ("https://x.com/jack?s=20&t=abc", "https://x.com/jack"),
    ("https://example.com/?", "https://example.com/"),
    ("https://example.com/?a=1&&b=2", "https://example.com/?a=1&b=2"),
    ("https://example.com/p?xtor=RSS-1&ocid=msn&id=2", "https://example.com/p?id=2"),
])
def test_tracking_params(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://münchen.de/", "https://xn--mnchen-3ya.de/"),
    ("https://MÜNCHEN.DE/Weg", "https://xn--mnchen-3ya.de/Weg"),
    ("https://例え.テスト/パス", "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"),
    ("https://xn--mnchen-3ya.de/", "https://xn--mnchen-3ya.de/"),
    ("https://a.com/a%2fb%2Fc", "https://a.com/a%2Fb%2Fc"),
    ("https://a.com/%41%42%5f%7E", "https://a.com/AB_~"),
    ("https://a.com/100%", "https://a.com/100%25"),
    ("https://a.com/a b", "https://a.com/a%20b"),
    ("https://a.com/città", "https://a.com/citt%C3%A0"),
    ("https://a.com/citt%c3%a0", "https://a.com/citt%C3%A0"),
    ("https://a.com/Path/To/Page.HTML", "https://a.com/Path/To/Page.HTML"),
    ("https://a.com/a/../b/./c", "https://a.com/a/../b/./c"),
    ("https://user@a.com:443", "https://user@a.com/"),
    ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ("example.com/x", "http://example.com/x"),
    ("//example.com/x", "http://example.com/x"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
])
def test_normalize_external(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://twitter.com/jack/status/20", ("jack", "20")),
    ("twitter.com/Jack/statuses/20/", ("Jack", "20")),
    ("https://twitter.com/i/web/status/20", (None, "20")),
    ("https://twitter.com/#!/jack/status/20", ("jack", "20")),
    ("https://nitter.privacydev.net/jack/status/20#m", ("jack", "20")),
    ("https://twitter.com/jack", None),
    ("https://twitter.com/jack/likes", None),
    ("https://example.com/jack/status/20", None),
    ("https://t.co/uYr4nwO5Bw", None),
    ("https://twitter.com/jack/status/123456789012345678901", None),
    ("ftp://twitter.com/jack/status/20", None),
    ("", None),
])
def test_parse_status_url(url: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_status_url(url) == expected


def test_tracking_list_has_the_usual_suspects() -> None:
    assert {"fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "igshid"} <= TRACKING_PARAMS


# --- properties ------------------------------------------------------------

_PIECES = st.sampled_from([
    "https://", "http://", "t.co/", "pic.twitter.com/", "www.", "twitter.com/", "x.com",
    "nitter.net", "/status/", "/i/web/status/", "#!/", "jack", "1234567890", "abc.de", ".",
    ",", "(", ")", "[", "]", "…", "。", "」", " ", "\n", "@", "#", "?", "&", "=", "%", "%4",
    "é", "ü", "例", "mailto:", "data:a/", ":", "'", '"', "\u200b", "\uff0f", "utm_source",
])
_PROSE = st.one_of(st.text(), st.lists(_PIECES | st.text(max_size=3), max_size=30).map("".join))


@given(_PROSE)
def test_find_links_never_raises_and_offsets_hold(text: str) -> None:
    links = find_links(text)
    _check_invariants(text, links)
    for link in links:
        assert link.kind in ("tco", "pic", "status", "media", "external")
        assert normalize_url(link.normalized) == link.normalized


_LABEL = st.from_regex(r"[a-zA-Z0-9-]{1,10}", fullmatch=True)
_HOST = st.one_of(
    st.sampled_from(["twitter.com", "X.com", "t.co", "pic.twitter.com", "pbs.twimg.com",
                     "video.twimg.com", "nitter.net", "bücher.de", "ÉXAMPLE.com", "例え.テスト",
                     "[2001:db8::1]", "192.168.0.1", "a.b.c.example.org", "xn--mnchen-3ya.de"]),
    st.builds(lambda a, b: f"{a}.{b}", _LABEL, _LABEL),
    st.text(min_size=1, max_size=8),
)
_SEGMENT = st.one_of(st.sampled_from(["status", "statuses", "i", "web", "%41", "%e9", "a%2Fb",
                                      "~x", "città", "%", "%zz", "Q"]),
                     st.text(max_size=6).map(lambda s: s.replace("/", "").replace("?", "")
                                             .replace("#", "")))
_PARAM = st.tuples(
    st.one_of(st.sampled_from(["utm_source", "UTM_medium", "fbclid", "s", "t", "q", "format",
                               "name", "tag", "a b", "%41"]), st.text(max_size=4)),
    st.text(max_size=6),
).map(lambda kv: f"{kv[0]}={kv[1]}".replace("#", "").replace("&", ""))


@given(
    scheme=st.sampled_from(["https://", "http://", "HTTP://", "", "//", "ftp://"]),
    userinfo=st.sampled_from(["", "user@", "u:p@"]),
    host=_HOST,
    port=st.sampled_from(["", ":80", ":443", ":8080", ":", ":0443"]),
    segments=st.lists(_SEGMENT, max_size=5),
    params=st.lists(_PARAM, max_size=4),
    fragment=st.sampled_from(["", "#", "#top", "#!/jack/status/20"]),
)
def test_normalize_is_idempotent(scheme: str, userinfo: str, host: str, port: str,
                                 segments: list[str], params: list[str], fragment: str) -> None:
    query = "?" + "&".join(params) if params else ""
    url = f"{scheme}{userinfo}{host}{port}/{'/'.join(segments)}{query}{fragment}"
    once = normalize_url(url)
    assert normalize_url(once) == once
    # Same kind and tweet; the normalized form lower-cases handles (they are
    # case-insensitive on Twitter), so compare them case-folded.
    kind, tweet_id, handle = classify_url(url)
    assert classify_url(once) == (kind, tweet_id, handle.lower() if handle else handle)


@given(st.text())
def test_normalize_is_idempotent_on_junk(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


_STATUS_HOSTS = ["twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com",
                 "x.com", "www.x.com", "mobile.x.com", "nitter.net", "nitter.poast.org",
                 "xcancel.com", "fxtwitter.com", "fixupx.com", "vxtwitter.com", "fixvx.com",
                 "twittpr.com", "d.fxtwitter.com"]


@given(
    scheme=st.sampled_from(["https://", "http://", ""]),
    host=st.sampled_from(_STATUS_HOSTS).map(lambda h: h.upper() if len(h) % 2 else h),
    handle=st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True).filter(
        lambda h: h.lower() != "i"),
    tweet_id=st.from_regex(r"[1-9][0-9]{0,19}", fullmatch=True),
    form=st.sampled_from(["{h}/status/{i}", "{h}/statuses/{i}", "#!/{h}/status/{i}",
                          "i/web/status/{i}", "i/status/{i}"]),
    suffix=st.sampled_from(["", "/", "/photo/1", "/video/2", "/analytics"]),
    query=st.sampled_from(["", "?s=20", "?ref_src=twsrc%5Etfw", "?lang=en", "?s=20&t=x"]),
    fragment=st.sampled_from(["", "#m", "#"]),
)
def test_status_url_round_trip(scheme: str, host: str, handle: str, tweet_id: str,
                               form: str, suffix: str, query: str, fragment: str) -> None:
    path = form.format(h=handle, i=tweet_id)
    tail = "" if path.startswith("#") else suffix + query + fragment
    url = f"{scheme}{host}/{path}{tail}"
    expected = (None if path.startswith("i/") else handle, tweet_id)
    assert parse_status_url(url) == expected
    who = handle.lower() if expected[0] else "i/web"
    assert normalize_url(url) == f"https://twitter.com/{who}/status/{tweet_id}"
    link = _only(f"Lo ha scritto qui: {url}. Poi")
    assert (link.url, link.handle, link.tweet_id) == (url, *expected)
