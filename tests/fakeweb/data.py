"""What the fake web knows: users, tweets, t.co links, Wayback captures, pages.

Every service answers from one `FakeData`, so a test that deletes a tweet or
renames a user sees every service change together, as on the real web. The
objects are plain mutable dataclasses on purpose: tests edit them between runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass, field

from tests.fakeweb.surt import surt

TWEPOCH_MS = 1288834974657
STATES = ("available", "deleted", "protected", "withheld", "suspended")


def snowflake(when: dt.datetime, low_bits: int = 0) -> str:
    """Tweet id for a UTC time: ``((ms - twepoch) << 22) | low_bits``."""
    ms = round(when.timestamp() * 1000)
    return str(((ms - TWEPOCH_MS) << 22) | low_bits)


def snowflake_time(tweet_id: str) -> dt.datetime:
    """The UTC time (ms precision) encoded in a snowflake id."""
    ms = (int(tweet_id) >> 22) + TWEPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def utc(text: str) -> dt.datetime:
    """Parse ``2020-10-01T17:07:40.777`` as UTC (short, readable data literals)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@dataclass
class User:
    id: str
    screen_name: str  # current handle
    name: str
    protected: bool = False
    suspended: bool = False
    previous_screen_names: list[str] = field(default_factory=list)  # oldest first
    created_at: dt.datetime = field(default_factory=lambda: utc("2010-06-01T12:00:00"))
    description: str = ""
    location: str = ""
    followers: int = 1000
    following: int = 100
    verified: bool = False
    avatar_path: str = ""  # /profile_images/<n>/<hash> (no size suffix, no extension)


@dataclass
class Variant:
    """One rendition of a video: an mp4 with a bitrate, or the HLS playlist (no bitrate)."""

    content_type: str  # video/mp4 or application/x-mpegURL
    url: str
    bitrate: int | None = None
    width: int = 0
    height: int = 0
    size: int = 4096  # bytes served for an mp4


@dataclass
class Media:
    kind: str  # photo, video, animated_gif
    media_id: str
    key: str  # 15-char photo key; tweet_video key for GIFs; hash of the video poster
    width: int
    height: int
    alt_text: str | None = None
    variants: list[Variant] = field(default_factory=list)
    duration_ms: int | None = None

    @property
    def image_url(self) -> str:
        """``media_url_https``: the photo itself, or the poster of a video/GIF."""
        if self.kind == "photo":
            return f"https://pbs.twimg.com/media/{self.key}.jpg"
        if self.kind == "animated_gif":
            return f"https://pbs.twimg.com/tweet_video_thumb/{self.key}.jpg"
        return f"https://pbs.twimg.com/ext_tw_video_thumb/{self.media_id}/pu/img/{self.key}.jpg"


@dataclass
class Link:
    """A URL entity: a t.co code standing for what the author typed."""

    code: str
    expanded: str


@dataclass
class Tweet:
    id: str
    user_id: str
    text: str  # unescaped, with t.co links (media t.co last), as posted
    created_at: dt.datetime
    posted_as: str  # the handle at posting time (t.co targets keep it)
    lang: str = "en"
    state: str = "available"  # available, deleted, withheld; user flags add the rest
    links: list[Link] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    media_code: str | None = None  # the t.co code of the media attachment
    in_reply_to: str | None = None  # tweet id
    quoted: str | None = None  # tweet id
    withheld_in: list[str] = field(default_factory=list)
    edit_ids: list[str] = field(default_factory=list)  # all versions, oldest first
    favorite_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    source: str = "Twitter Web App"


@dataclass
class Capture:
    """One Wayback capture (a CDX row plus the archived response)."""

    original: str  # as crawled: scheme, case, :80 and query preserved
    timestamp: str  # 14 digits
    status: int | None  # None for a revisit row (statuscode "-")
    mimetype: str
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)  # original headers
    location: str | None = None  # for 3xx captures
    source: str = ""  # x-archive-src

    @property
    def digest(self) -> str:
        """Base32 SHA-1 of the payload, as in CDX ``digest``."""
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    @property
    def length(self) -> int:
        """A plausible compressed WARC record size (CDX ``length`` is not the body size)."""
        if self.status is None:
            return 612
        return len(zlib.compress(self.body)) + 540


@dataclass
class Page:
    """Any other resource on the web: an article, a shortener hop, an error page."""

    url: str
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FakeData:
    users: dict[str, User] = field(default_factory=dict)  # by user id
    tweets: dict[str, Tweet] = field(default_factory=dict)  # by tweet id
    tco: dict[str, str] = field(default_factory=dict)  # t.co code -> URL as posted
    captures: list[Capture] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)  # by "host/path?query" (no scheme)

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def add_tweet(self, tweet: Tweet) -> Tweet:
        """Store a tweet and register its t.co codes (links and media) as at posting time."""
        self.tweets[tweet.id] = tweet
        for link in tweet.links:
            self.tco.setdefault(link.code, link.expanded)
        if tweet.media_code and tweet.media:
            self.tco.setdefault(tweet.media_code, media_expanded_url(tweet))
        return tweet

    def add_page(self, page: Page) -> Page:
        self.pages[page_key(page.url)] = page
        return page

    def page(self, url: str) -> Page | None:
        return self.pages.get(page_key(url))

    def author(self, tweet: Tweet) -> User:
        return self.users[tweet.user_id]

    def by_handle(self, handle: str) -> User | None:
        """Current handle first, then former ones (case-insensitive, like X)."""
        low = handle.lower()
        for user in self.users.values():
            if user.screen_name.lower() == low:
                return user
        for user in self.users.values():
            if low in (name.lower() for name in user.previous_screen_names):
                return user
        return None

    def state(self, tweet_id: str) -> str:
        """Effective visibility: ``never`` when unknown, else one of STATES."""
        tweet = self.tweets.get(tweet_id)
        if tweet is None:
            return "never"
        if tweet.state != "available":
            return tweet.state
        user = self.author(tweet)
        if user.suspended:
            return "suspended"
        if user.protected:
            return "protected"
        return "withheld" if tweet.withheld_in else "available"

    def delete_tweet(self, tweet_id: str) -> None:
        self.tweets[tweet_id].state = "deleted"

    def rename_user(self, user_id: str, new_handle: str) -> None:
        """Change a handle; old tweets keep their posting-time handle in t.co targets."""
        user = self.users[user_id]
        user.previous_screen_names.append(user.screen_name)
        user.screen_name = new_handle

    def captures_of(self, urlkey: str) -> list[Capture]:
        return [c for c in self.captures if surt(c.original) == urlkey]


def page_key(url: str) -> str:
    """Pages are served on both schemes: key on host (lower-case) + path + query."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return host.lower() + "/" + path


def media_expanded_url(tweet: Tweet) -> str:
    """Where a media t.co link points: the posting-time handle on twitter.com.

    ``/video/1`` for videos, ``/photo/1`` for photos and GIFs. Keeping the old
    handle after a rename follows from t.co storing the URL (UNCONFIRMED).
    """
    kind = "video" if tweet.media and tweet.media[0].kind == "video" else "photo"
    return f"https://twitter.com/{tweet.posted_as}/status/{tweet.id}/{kind}/1"


def default_data() -> FakeData:
    """A fresh copy of the built-in world (seed tweets, every state, captures, pages)."""
    from tests.fakeweb.dataset import build

    return build()
