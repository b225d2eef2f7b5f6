"""Hypothesis strategies for hostile input: bytes, HTML, Markdown/text, URLs, paths.

They aim at the places parsers break: nesting, broken markup, huge attributes,
odd or lying charsets, NULs, tweet ids and dates out of range, malformed URLs
(unclosed IPv6 brackets, bad escapes, userinfo, ports out of range, IDNA
garbage, very long). Every URL they make is safe to hand to the fetcher in the
tests: its host is a name on the default port (rerouted to a closed loopback
port by the tests' ``connect_to``), a special address the guard refuses, or it
does not parse at all (see ``fetch_urls``).
"""

from __future__ import annotations

from hypothesis import strategies as st

# Charsets a page may declare or be written in, including codecs that are not text
# encodings at all (rot13, hex, zlib), ones that fail in unusual ways (idna,
# punycode, utf-7) and names that are no codec.
CHARSETS = ("utf-8", "latin-1", "cp1252", "shift_jis", "euc-jp", "iso-2022-jp", "gb18030",
            "big5", "koi8-r", "cp1257", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7",
            "idna", "punycode", "rot13", "hex", "base64", "zlib", "uu", "bz2", "unicode_escape",
            "raw_unicode_escape", "mbcs", "x-user-defined", "bogus", "", "utf-8\x00")
ENCODABLE = ("utf-8", "latin-1", "cp1252", "shift_jis", "gb18030", "koi8-r", "utf-16",
             "utf-16-le", "utf-16-be", "utf-32", "utf-7", "iso-2022-jp", "big5")

WORDS = st.sampled_from([
    "BREAKING", "news", "Genève", "trčs", "東京", "Москва", "مرحبا", "😀", "\u200b", "\u202e",
    "\x00", "\ufeff", "&amp;", "&#0;", "&#x110000;", "&bogus;", "<", ">", "\"", "'", "—",
    "@SVNewsAlerts", "@", "#hashtag", "#", "#１", "@_", "pic.twitter.com/QDhfkrnCsP",
    "t.co/abc", "October 1, 2020", "1 ottobre 2020", "2020年10月1日", "February 30, 2020",
    "October 1, 99999", "0000-00-00", "(@handle)", "— Name (@handle) October 1, 2020",
    "\n", "\r\n", "\t", " ", "|", "```", "> ", "*", "_", "[", "](", ")",
])
TEXT = st.one_of(st.text(max_size=40), WORDS)
TWEET_IDS = st.one_of(st.integers(0, 2**64 + 5), st.just(10**40), st.text("0123456789", max_size=60))
HANDLES = st.one_of(st.from_regex(r"[A-Za-z0-9_]{0,20}", fullmatch=True), st.text(max_size=20))


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Any URL-ish string: well-formed, malformed, hostile, or random text."""
    special = st.sampled_from([
        "http://[::1", "http://[::1]:99999/", "http://%zz", "http://%", "https://a%zzb.com/",
        "http://user:pass@example.com/", "http://a@b@c/", "http://example.com:-1/",
        "http://example.com:65536/", "http://example.com:0/", "http://example.com:abc/",
        "http://xn--/", "http://xn--zz-/", "http://xn--a.xn--b/", "http://ａｂｃ.com/",
        "http://\u0000/", "http://\u200b.com/", "http://" + "a" * 64 + ".com/",
        "http://" + "a." * 200 + "com/", "http://[v1.x]/", "http://[fe80::1%25eth0]/",
        "http://1.2.3/", "http://0x7f.1/", "http:///path", "http:", "https://", "//example.com",
        "javascript:alert(1)", "data:text/html,<b>", "mailto:a@b", "tel:+1", "#frag",
        "https://twitter.com/", "https://twitter.com/i/web/status/", "https://x.com//status/1",
        "https://t.co/", "https://pic.twitter.com/", "https://mobile.twitter.com/h/status/1?s=20",
        "https://web.archive.org/web/2020/https://twitter.com/h/status/1",
        "http://example.com/" + "a" * 5000, "http://example.com/?" + "&".join(["utm_source=x"] * 50),
        "https://twitter.com/h/status/1%2F2", "HTTPS://TWITTER.COM/H/STATUS/1",
    ])
    scheme = st.sampled_from(["http://", "https://", "HtTp://", "ftp://", "", "//", "http:/",
                              "https:\\\\", "http://\n"])
    host = st.one_of(
        st.sampled_from(["example.com", "twitter.com", "x.com", "t.co", "pic.twitter.com",
                         "mobile.twitter.com", "127.0.0.1", "[::1]", "[::1", "10.0.0.1",
                         "169.254.169.254", "0", "localhost", "xn--", "xn--80ak6aa92e.com",
                         "bücher.de", "EXAMPLE.COM.", "a..b", "-a-.com", "%41.com", ""]),
        st.text(max_size=30),
    )
    userinfo = st.one_of(st.just(""), st.text(max_size=10).map(lambda s: s + "@"))
    port = st.one_of(st.just(""), st.integers(-5, 100000).map(lambda n: f":{n}"),
                     st.text(max_size=6).map(lambda s: ":" + s))
    path = st.one_of(
        st.just("/"),
        st.builds(lambda h, i: f"/{h}/status/{i}", HANDLES, TWEET_IDS),
        st.text(max_size=30).map(lambda s: "/" + s),
    )
    tail = st.one_of(st.just(""), st.text(max_size=20).map(lambda s: "?" + s),
                     st.text(max_size=10).map(lambda s: "#" + s))
    built = st.builds(lambda *parts: "".join(parts), scheme, userinfo, host, port, path, tail)
    return draw(st.one_of(special, built, st.text(max_size=60)))


@st.composite
def fetch_urls(draw: st.DrawFn) -> str:
    """URLs that may be handed to the real fetcher in a test: hostile in form, but
    whatever part of them parses names either a host name on the default port
    (rerouted to the closed 127.0.0.1:9 by the tests' connect_to) or an address the
    guard refuses (loopback, private, link-local, unspecified)."""
    scheme = draw(st.sampled_from(["http://", "https://", "HTTP://"]))
    userinfo = draw(st.one_of(st.just(""), st.sampled_from(["u@", "u:p@", "a@b@", "%zz@", ":@"])))
    refused = st.sampled_from(["127.0.0.1", "127.1.2.3", "[::1]", "10.1.2.3", "192.168.0.1",
                               "169.254.169.254", "0.0.0.0", "[::ffff:127.0.0.1]", "[fd00::1]",
                               "[64:ff9b::a00:1]", "[::]"])
    port = st.one_of(st.just(""), st.integers(-1, 70000).map(lambda n: f":{n}"),
                     st.sampled_from([":", ":abc", ":80:80", ": 80"]))
    named = st.sampled_from(["example.com", "twitter.com", "xn--", "xn--zz-.com", "bücher.de",
                             "a" * 70 + ".com", "a..b", "EXAMPLE.com.", "%zz", "ex ample.com",
                             "\u200b.com", "_.com", "-x-.com"])
    default_port = st.sampled_from(["", ":80" if scheme.lower() == "http://" else ":443"])
    host_port = draw(st.one_of(st.tuples(refused, port), st.tuples(named, default_port),
                               st.sampled_from([("[::1", ""), ("[", ""), ("", ""), ("%", "")])))
    path = draw(st.one_of(st.just(""), st.just("/"), st.text(max_size=20).map(lambda s: "/" + s)))
    return scheme + userinfo + "".join(host_port) + path


def _encode(text: str, charset: str) -> bytes:
    return text.encode(charset, errors="replace")


@st.composite
def html_documents(draw: st.DrawFn) -> bytes:
    """HTML: nested, broken, with huge attributes, lying charsets, NULs and embeds."""
    url = urls()
    attr_value = st.one_of(TEXT, url, st.just("x" * 5000), st.just("\x00"))
    attrs = st.lists(st.tuples(st.sampled_from(["class", "href", "src", "lang", "dir", "id",
                                                "datetime", "content", "name", "property",
                                                "rel", "data-id", "charset", "x\x00", "\""]),
                               attr_value), max_size=3)
    tags = st.sampled_from(["div", "p", "span", "a", "blockquote", "article", "main", "section",
                            "nav", "footer", "aside", "table", "tr", "td", "ul", "li", "pre",
                            "code", "script", "style", "template", "svg", "math", "iframe",
                            "time", "h1", "br", "img", "q", "noscript", "title", "head",
                            "body", "html", "!--", "?xml", "x-\x00"])

    def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        def build(tag: str, attributes: list[tuple[str, str]], inner: list[str],
                  close: bool) -> str:
            rendered = "".join(f' {k}="{v}"' for k, v in attributes)
            return f"<{tag}{rendered}>" + "".join(inner) + (f"</{tag}>" if close else "")
        return st.builds(build, tags, attrs, st.lists(children, max_size=4), st.booleans())

    embed = st.builds(
        lambda text, name, handle, tid, date, lang:
        f'<blockquote class="twitter-tweet" lang="{lang}"><p lang="{lang}">{text}</p>'
        f"&mdash; {name} (@{handle}) <a href=\"https://twitter.com/{handle}/status/{tid}\">"
        f"{date}</a></blockquote>",
        TEXT, TEXT, HANDLES, TWEET_IDS, TEXT, st.sampled_from(["en", "ja", "", "zz-ZZ", "\x00"]))
    leaf = st.one_of(TEXT, embed, url.map(lambda u: f'<a href="{u}">{u}</a>'),
                     url.map(lambda u: f'<link rel="canonical" href="{u}">'),
                     url.map(lambda u: f'<base href="{u}">'),
                     url.map(lambda u: f'<meta property="og:url" content="{u}">'))
    tree = st.recursive(leaf, element, max_leaves=30)
    body = "".join(draw(st.lists(tree, min_size=1, max_size=5)))
    depth = draw(st.one_of(st.just(0), st.integers(0, 50), st.just(300)))
    if depth:
        tag = draw(st.sampled_from(["div", "blockquote", "b", "a", "p", "li", "table"]))
        body = f"<{tag}>" * depth + body + f"</{tag}>" * draw(st.integers(0, depth))
    declared = draw(st.sampled_from(CHARSETS))
    head = draw(st.sampled_from([
        f'<meta charset="{declared}">',
        f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">',
        "", "<?xml version='1.0' encoding='" + declared + "'?>"]))
    doctype = draw(st.sampled_from(["<!DOCTYPE html>", "", "<!doctype", "<html"]))
    text = f"{doctype}<html><head>{head}<title>{draw(TEXT)}</title></head><body>{body}</body>"
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # cut off anywhere
    return _encode(text, draw(st.sampled_from(ENCODABLE)))


@st.composite
def text_documents(draw: st.DrawFn) -> bytes:
    """Markdown and plain text with citation-like lines, tables, fences and URLs."""
    line = st.one_of(
        TEXT,
        st.builds(lambda t: "> " + t, TEXT),
        st.builds(lambda n, h, d: f"— {n} (@{h}) {d}", TEXT, HANDLES, TEXT),
        st.builds(lambda n, h, d, u: f"> — {n} (@{h}) [{d}]({u})", TEXT, HANDLES, TEXT, urls()),
        st.builds(lambda t, u: f"[{t}]({u})", TEXT, urls()),
        st.builds(lambda u: f"<{u}>", urls()),
        urls(),
        st.builds(lambda h, i: f"https://twitter.com/{h}/status/{i}", HANDLES, TWEET_IDS),
        st.builds(lambda a, b: f"| {a} | {b} |", TEXT, TEXT),
        st.sampled_from(["```", "---", "|---|---|", "# Title", "<div>", "<!--", "    code"]),
    )
    lines = draw(st.lists(line, min_size=1, max_size=20))
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text * draw(st.integers(1, 5))
    return _encode(text, draw(st.sampled_from(ENCODABLE)))


def documents() -> st.SearchStrategy[bytes]:
    """Any document: random bytes, HTML, or Markdown/text."""
    return st.one_of(st.binary(max_size=2000), html_documents(), text_documents())
