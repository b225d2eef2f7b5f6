"""HTML of archived twitter.com status pages (2020), the bodies of Wayback captures.

In 2020 the Wayback Machine mostly kept the legacy server-rendered page: the text
sits in ``p.tweet-text``, the author in ``div.tweet`` data attributes, the time in
``span._timestamp[data-time]``, and ``og:description`` quotes the text in curly
quotes. A client reading captures needs exactly these hooks.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib

from tests.fakeweb.data import FakeData, Tweet
from tests.fakeweb.entities import DISPLAY_CHARS, entities

PDT = dt.timezone(dt.timedelta(hours=-7))  # logged-out pages showed Pacific time


def _esc(text: str) -> str:
    return htmllib.escape(text, quote=True).replace("&#x27;", "&#39;")


def _url_anchor(tco: str, expanded: str) -> str:
    scheme, _, rest = expanded.partition("://")
    prefix = scheme + "://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    shown, hidden = rest[:DISPLAY_CHARS], rest[DISPLAY_CHARS:]
    ellipsis = '<span class="tco-ellipsis"><span class="invisible">&nbsp;</span>…</span>'
    return (f'<a href="{tco}" rel="nofollow noopener" dir="ltr" data-expanded-url="{_esc(expanded)}"'
            f' class="twitter-timeline-link" target="_blank" title="{_esc(expanded)}">'
            f'<span class="tco-ellipsis"></span><span class="invisible">{_esc(prefix)}</span>'
            f'<span class="js-display-url">{_esc(shown)}</span>'
            f'<span class="invisible">{_esc(hidden)}</span>{ellipsis if hidden else ""}</a>')


def legacy_text(tweet: Tweet, data: FakeData) -> str:
    """Inner HTML of ``p.tweet-text`` (hashtags, mentions, t.co links as old Twitter wrote them)."""
    out, pos = [], 0
    for ent in entities(tweet, data):
        out.append(_esc(tweet.text[pos:ent.start]))
        if ent.kind == "hashtag":
            out.append(f'<a href="/hashtag/{ent.value}?src=hash" data-query-source="hashtag_click"'
                       f' class="twitter-hashtag pretty-link js-nav" dir="ltr" >'
                       f"<s>#</s><b>{ent.value}</b></a>")
        elif ent.kind == "mention":
            out.append(f'<a href="/{ent.value}" class="twitter-atreply pretty-link js-nav" '
                       f'dir="ltr" data-mentioned-user-id="{ent.user_id or ""}" >'
                       f"<s>@</s><b>{ent.value}</b></a>")
        elif ent.kind == "media":
            out.append(f'<a href="{ent.value}" class="twitter-timeline-link u-hidden" '
                       f'data-pre-embedded="true" dir="ltr" >{ent.display}</a>')
        else:
            out.append(_url_anchor(ent.value, ent.expanded or ent.value))
        pos = ent.end
    out.append(_esc(tweet.text[pos:]))
    return "".join(out)


def _pacific(when: dt.datetime) -> str:
    local = when.astimezone(PDT)
    return f"{local:%I:%M %p}".lstrip("0") + f" - {local.day} {local:%b %Y}"


def legacy_status_page(tweet: Tweet, data: FakeData, handle: str | None = None,
                       name: str | None = None) -> bytes:
    """twitter.com/<handle>/status/<id> as captured in 2020 (logged out, legacy UI).

    ``og:description`` carries the raw text (t.co links kept): UNCONFIRMED detail.
    """
    user = data.author(tweet)
    handle = handle or tweet.posted_as
    name = name or user.name
    tid, uid = tweet.id, user.id
    secs = int(tweet.created_at.timestamp())
    media = "".join(
        f'<div class="AdaptiveMedia-photoContainer js-adaptive-photo" data-image-url="'
        f'{m.image_url}"><img data-aria-label-part src="{m.image_url}" alt=""></div>'
        for m in tweet.media)
    page = f"""<!DOCTYPE html>
<html lang="en" data-scribe-reduced-action-queue="true">
<head>
<meta charset="utf-8">
<title>{_esc(name)} on Twitter: &quot;{_esc(tweet.text)}&quot;</title>
<meta property="og:type" content="article">
<meta property="og:url" content="https://twitter.com/{handle}/status/{tid}">
<meta property="og:title" content="{_esc(name)} on Twitter">
<meta property="og:image" content="https://pbs.twimg.com/profile_images/{uid}/avatar_400x400.jpg">
<meta property="og:description" content="“{_esc(tweet.text)}”">
<meta property="og:site_name" content="Twitter">
<link rel="canonical" href="https://twitter.com/{handle}/status/{tid}">
</head>
<body class="three-col logged-out user-style-{handle} PermalinkPage" dir="ltr">
<div id="doc"><div id="page-outer"><div id="page-container" class="AppContent">
<div class="permalink-container permalink-container--withArrows">
<div role="main" class="permalink light-inline-actions stream-uncapped original-permalink-page">
<div class="permalink-inner permalink-tweet-container">
<div class="tweet permalink-tweet js-actionable-user js-actionable-tweet js-original-tweet"
 data-associated-tweet-id="{tid}" data-tweet-id="{tid}" data-item-id="{tid}"
 data-permalink-path="/{handle}/status/{tid}" data-conversation-id="{tweet.in_reply_to or tid}"
 data-screen-name="{handle}" data-name="{_esc(name)}" data-user-id="{uid}"
 data-you-follow="false" data-follows-you="false" data-you-block="false">
<div class="content clearfix"><div class="permalink-header">
<a class="account-group js-account-group js-action-profile js-user-profile-link js-nav" href="/{handle}" data-user-id="{uid}">
<img class="avatar js-action-profile-avatar" src="https://pbs.twimg.com/profile_images/{uid}/avatar_bigger.jpg" alt="">
<span class="FullNameGroup"><strong class="fullname show-popup-with-id u-textTruncate " data-aria-label-part>{_esc(name)}</strong></span>
<span class="username u-dir u-textTruncate" dir="ltr" data-aria-label-part>@<b>{handle}</b></span></a>
<small class="time"><a href="/{handle}/status/{tid}" class="tweet-timestamp js-permalink js-nav js-tooltip" title="{_pacific(tweet.created_at)}" data-conversation-id="{tid}"><span class="_timestamp js-short-timestamp js-relative-timestamp" data-time="{secs}" data-time-ms="{secs * 1000}" data-long-form="true" aria-hidden="true">{tweet.created_at:%b} {tweet.created_at.day}</span></a></small>
</div></div>
<div class="js-tweet-text-container">
<p class="TweetTextSize TweetTextSize--jumbo js-tweet-text tweet-text" lang="{tweet.lang}" data-aria-label-part="0">{legacy_text(tweet, data)}</p>
</div>
<div class="AdaptiveMediaOuterContainer">{media}</div>
<div class="js-tweet-details-fixer tweet-details-fixer"><div class="client-and-actions">
<span class="metadata"><span>{_pacific(tweet.created_at)}</span></span></div></div>
</div></div></div></div></div></div></div>
</body>
</html>
"""
    return page.encode()


def mobile_status_page(tweet: Tweet, data: FakeData, handle: str | None = None) -> bytes:
    """mobile.twitter.com/<handle>/status/<id> (the 2020 no-JS mobile site)."""
    user = data.author(tweet)
    handle = handle or tweet.posted_as
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{_esc(user.name)} on Twitter: "{_esc(tweet.text)}"</title></head>
<body><div id="main_content"><div class="main-tweet-container">
<table class="main-tweet" role="presentation"><tr><td class="user-info" colspan="2">
<a href="/{handle}"><strong class="fullname">{_esc(user.name)}</strong>
<div class="username"><span>@</span>{handle}</div></a></td></tr>
<tr><td colspan="2" class="tweet-content"><div class="tweet-text" data-id="{tweet.id}">
<div class="dir-ltr" dir="ltr">{legacy_text(tweet, data)}</div></div>
<div class="metadata"><a href="/{handle}/status/{tweet.id}?p=v">{_pacific(tweet.created_at)}</a></div>
</td></tr></table></div></div></body></html>
"""
    return page.encode()
