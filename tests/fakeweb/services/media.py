"""pbs.twimg.com (photos, posters, avatars) and video.twimg.com (mp4, HLS), reference 6.

Only media that some tweet or user in the data owns exist; anything else, and
any unknown ``name=`` size, is a 404 as on the real CDN.
"""

from __future__ import annotations

import re

from tests.fakeweb.blobs import jpeg, mp4
from tests.fakeweb.data import FakeData, Media, Variant
from tests.fakeweb.entities import media_dims
from tests.fakeweb.wire import Request, Response, not_found

# name= -> (long-side limit or None for uncapped, square crop)
SIZES: dict[str, tuple[int | None, bool]] = {
    "thumb": (150, True), "small": (680, False), "medium": (1200, False),
    "large": (2048, False), "900x900": (900, False), "4096x4096": (4096, False),
    "orig": (None, False),
}
AVATARS = {"normal": 48, "bigger": 73, "mini": 24, "200x200": 200, "400x400": 400}
_PHOTO = re.compile(r"^/media/([A-Za-z0-9_-]{15})(?:\.(jpg|jpeg|png|webp))?(?::(\w+))?$")
_POSTER = re.compile(r"^/(?:ext_tw_video_thumb/\d+/pu/img|amplify_video_thumb/\d+/img"
                     r"|tweet_video_thumb)/([A-Za-z0-9_-]+)\.jpg(?::(\w+))?$")
_AVATAR = re.compile(r"^(/profile_images/\d+/[A-Za-z0-9_-]+?)(?:_(normal|bigger|mini|"
                     r"200x200|400x400))?\.(?:jpg|jpeg|png)$")
# UNCONFIRMED in detail (reference 6.1): typical CDN image headers.
_IMAGE_HEADERS = [("cache-control", "max-age=604800, must-revalidate"),
                  ("last-modified", "Thu, 01 Oct 2020 17:07:41 GMT"),
                  ("access-control-allow-origin", "*"), ("x-cache", "HIT")]


def _all_media(data: FakeData) -> list[Media]:
    return [m for t in data.tweets.values() for m in t.media]


def _image(media: Media, name: str, fmt: str) -> Response:
    # UNCONFIRMED: png/webp renditions of a JPEG original are a 404 here ("may 404").
    if name not in SIZES or fmt not in ("jpg", "jpeg"):
        return not_found()
    limit, crop = SIZES[name]
    width, height = media_dims(media, limit, crop)
    body = jpeg(width, height, f"fakeweb {media.key} {name}")
    return Response(200, [("content-type", "image/jpeg"), *_IMAGE_HEADERS], body)


def pbs(req: Request, data: FakeData) -> Response:
    photo = _PHOTO.match(req.path)
    if photo:
        key, ext, suffix = photo.groups()
        media = next((m for m in _all_media(data) if m.kind == "photo" and m.key == key), None)
        if media is None:
            return not_found()
        fmt = req.arg("format") or ext or "jpg"
        return _image(media, suffix or req.arg("name") or "medium", fmt)
    poster = _POSTER.match(req.path)
    if poster:
        key, suffix = poster.groups()
        for media in _all_media(data):
            if media.kind != "photo" and media.image_url.endswith(req.path.split(":")[0]):
                return _image(media, suffix or req.arg("name") or "orig", "jpg")
        return not_found()
    avatar = _AVATAR.match(req.path)
    if avatar:
        base, size = avatar.groups()
        for user in data.users.values():
            if (user.avatar_path or f"/profile_images/{user.id}/avatar") == base:
                side = AVATARS.get(size or "", 400)
                body = jpeg(side, side, f"fakeweb avatar {user.id} {size or 'orig'}")
                return Response(200, [("content-type", "image/jpeg"), *_IMAGE_HEADERS], body)
    return not_found()


def _variants(data: FakeData) -> dict[str, tuple[Media, Variant]]:
    out = {}
    for media in _all_media(data):
        for variant in media.variants:
            out[variant.url.split("://", 1)[1].split("?")[0].split("/", 1)[1]] = (media, variant)
    return out


def _playlist(media: Media) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in media.variants:
        if v.bitrate:
            lines.append(f"#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH={v.bitrate},BANDWIDTH="
                         f"{v.bitrate * 5 // 4},RESOLUTION={v.width}x{v.height},"
                         'CODECS="mp4a.40.2,avc1.640020"')
            lines.append(f"/ext_tw_video/{media.media_id}/pu/pl/{v.width}x{v.height}/"
                         f"{media.key}.m3u8")
    return ("\n".join(lines) + "\n").encode()


def video(req: Request, data: FakeData) -> Response:
    """mp4 variants (with Range support: UNCONFIRMED, normal for a CDN) and HLS masters."""
    found = _variants(data).get(req.path.lstrip("/"))
    if found is None:
        return not_found()
    media, variant = found
    if variant.content_type != "video/mp4":
        return Response(200, [("content-type", "application/x-mpegURL")], _playlist(media))
    body = mp4(variant.url.split("?")[0], variant.size)
    headers = [("content-type", "video/mp4"), ("accept-ranges", "bytes"),
               ("cache-control", "max-age=604800"), ("access-control-allow-origin", "*")]
    wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", req.headers.get("range", "").strip())
    if not wanted or wanted.groups() == ("", ""):
        return Response(200, headers, body)
    first, last = wanted.groups()
    if first == "":
        start, end = max(0, len(body) - int(last)), len(body) - 1
    else:
        start, end = int(first), min(int(last) if last else len(body) - 1, len(body) - 1)
    if start >= len(body) or start > end:
        return Response(416, [*headers, ("content-range", f"bytes */{len(body)}")])
    return Response(206, [*headers, ("content-range", f"bytes {start}-{end}/{len(body)}")],
                    body[start:end + 1])
