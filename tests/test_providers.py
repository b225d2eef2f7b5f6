"""Tests for the pure tweet providers: URL builders and parsers of fetched answers.

Bodies follow the shapes in /work/shared/reference/x-endpoints.md (values are
illustrative). Every parser must turn any answer into a Tweet, never raise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import WaybackError
from archiver.providers import fxtwitter, oembed, syndication, wayback
from archiver.providers.tweet import TWEET_STATES, MediaItem, Tweet, TweetURL
from archiver.providers.wayback import CdxRow, Snapshot

DATA = Path(__file__).parent / "data" / "providers"
UTC = dt.UTC
TWEET_ID = "1311714411264032768"  # @SVNewsAlerts, cited in the seed article
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# --- token --------------------------------------------------------------------

# Computed once with node 20:
#   node -e 'for (const id of [...]) console.log(id,
#     ((Number(id)/1e15)*Math.PI).toString(36).replace(/(0+|\.)/g,""))'
NODE_TOKENS = [
    ("1163218564784017422", "2ticx4q85hf"), ("20", "6dq1a2xwd93"),
    ("1311642375210745856", "36gn9a42zzq"), ("1311714411264032768", "36gvekqih5"),
    ("0", ""), ("1", "bhi2ay3f28n"), ("2", "mz4lw6u4h9"), ("9", "2vdikqiurk6"),
    ("10", "36vn1gy6mk"), ("21", "6p7jcdvzsb"), ("100", "vwm6eephu8"),
    ("999", "8uqo9xs4uzm"), ("1000", "8v25s32yek"), ("12345", "31esng3xq8a"),
    ("318310", "26d3zqwlhpd"), ("1000000", "6u6shudm3l"), ("29700859247", "4cpz7ioa439"),
    ("999999999999999", "353i5ab8p54"), ("1000000000000000", "353i5ab8p5f"),
    ("1000000000000001", "353i5ab8p5s"), ("2000000000000000", "6a7akmheav"),
    ("3183098861837907", "a"), ("9007199254740991", "saoujnx4are"),
    ("9007199254740992", "saoujnx4as"), ("9007199254740993", "saoujnx4as"),
    ("18446744073709551615", "18ps5lqos4lc"), ("99999999999999999999", "6qen9jwl6qt"),
    ("10000000000000000000", "o8nxcsgioad"), ("00012", "3turnd5qv"),
    ("4611686018427387904", "b6g1efo715c"), ("8", "2jwifkrchx"), ("34", "auj26c7884"),
    ("266", "2cvbhvx9al"), ("5082", "191go19d2kd"), ("33159", "85vplg96amt"),
    ("472925", "38ffggabosw"), ("8809997", "1o8x1riarch"), ("41411245", "7v6yoee85v"),
    ("195275858", "113emlxwzb5j"), ("7246218459", "128hq2papc2o"),
    ("23917781911", "3i7f9n5tzoq"), ("892335384364", "3msk43g57af"),
    ("2815415305369", "bgok1ses18"), ("30311890910547", "3fextnmdd5y"),
    ("601897702629313", "1w2mn4cvpkz"), ("3564910423130537", "b76jpc6xouc"),
    ("21241119331373869", "1uqbaxzhhqi"), ("852754156136469977", "22f8wkv1"),
    ("3908035840382604594", "9h1gfv5asu8"), ("954932401113687737", "2bcb5zle9e"),
    ("1523084467114566893", "3owwsmcams"), ("1995118713479741182", "4u3ulza8s4n"),
    ("1043860063266334492", "2j3dsi76vrk"), ("1071316262682276024", "2lhnj7de2t"),
    ("557243367501", "29oe3ff7qn"), ("387271250989388816", "xsnch7mdgu"),
    ("93173838515037262466", "69uy8vkp4gj"), ("445046294907121416", "12u5jszdvr2"),
    ("1887533959726973973", "4kpv27sfcdc"), ("1587717628864889663", "3ujymsvsf9l"),
    ("1536141583354173978", "3q1xiqiyde"), ("1551242236958278880", "3rddd3flrmk"),
    ("575691411130572138", "1e8l5xfl4j3"), ("1501608456663985652", "3n1fwyfjzlx"),
    ("1836518838042656770", "4g9ldxuou7a"), ("362724059408310781", "vnj4hjqj4h"),
    ("288943342988", "16cnpd9s1bt"), ("1107385380316932890", "2omyc3cl13u"),
    ("142448933846992803", "cfiley498om"), ("99442333311344689434", "6p1zaxph2z"),
    ("1296795596328474015", "3564k5yafy"), ("738915674329259238", "1shde6kecu"),
    ("751424865397087503", "1tko5ekbew3"), ("1554608447132292826", "3rny2mtfwbu"),
    ("600485827662008342", "1gehchvrus7"), ("1250717257852986645", "3158sfjqf4"),
    ("692963304817", "2tkjdhnrwiu"), ("1489248453791626543", "3lym15knlz"),
    ("710641504212", "2w5tiz7a9t6"), ("53573879632357296", "4ob29p7mx3w"),
    ("1269572193242332840", "32sh8d3jne"), ("718147032934133398", "1qo4iknu8qy"),
    ("83897399900173440471", "5ndfgdwyeyq"), ("282672414863", "15fkh88y4tec"),
    ("902741333144629904", "26s1nq7qhs"), ("352134773843141114", "uq9i61tve7"),
    ("1778737482462136500", "4b82gwyd9tc"), ("1492368640640528860", "3m8exa4qtu"),
    ("959811519828824148", "2brc4ingomr"), ("114601525762669925", "a14kv67fnt"),
    ("63921897222035872", "5kte9jsxfo"), ("1398114089729950524", "3eaz7w8et3"),
    ("51317994278756306201", "3gec8f19y6"), ("1821128818421799439", "4ex8teuu6yf"),
    ("1064410804466937686", "2kvyxk3jam"), ("95356498609188177271", "6f5f9x1uozk"),
    ("14938131122855784116", "17litssypap"), ("870678440190303729", "23zbetjq7hm"),
    ("973051522187101440", "2cwxj8p9cuy"), ("1136958766002340568", "2r7v94iyp5"),
    ("78905410629148439692", "5b9snp8hp8c"), ("978339858151608542", "2ddjmq17xh8"),
    ("82201008196386847017", "5j9e369945"), ("1573500703722272996", "3tbaqj7ji2u"),
    ("78058504882172235496", "597wx1641"), ("467942464066", "1wl6e7erpp8"),
    ("293535093661", "17vychczgz"), ("615272084737239293", "1hoxmswce39"),
    ("270672267343", "13o8xgjl6h3"), ("413527826212", "1om1s96stbn"),
    ("51201346829862091130", "3g45rwgy3px"), ("546312445394455146", "1boahclf3gn"),
    ("1460273932505656889", "3jfl39tgiq9"), ("899338883164907894", "26hctxiwpz"),
    ("128469341297532622", "b7ljg3h43yx"), ("1956398403430475627", "4qq7g2vgtc"),
    ("588608772146", "2e9w6eip3li"), ("241382669524602083", "l2bqiuk8nff"),
    ("117724984694557578", "a9udr6zhkz"), ("80533608142597515584", "5f7vsi1x7m"),
    ("422106859868557475", "1u35sv2hi6"), ("17695304698690188181", "16w7ft9dzhwh"),
    ("1838812514623824030", "4ggssnjgip3"), ("820253132345", "3c87d1n7kab"),
    ("900851848776", "3o1hwh6xr48"), ("709048887424904218", "1pvjjfqv8r2"),
    ("723135502048924111", "1r3sp59lrg8"), ("490948547843392307", "16uczjmsutj"),
    ("13486664714094840578", "woxlue9jdvm"), ("173369482184", "peta7cn9l"),
    ("382451738039746976", "xdi9t7nx5j"), ("201199360300987902", "hk34kycd8g"),
    ("712073801156", "2wddltxcy1i"), ("522399637948166170", "19l698tbt4d"),
    ("1582941414043491193", "3u4ygf9qhu9"), ("13219321167178317154", "w1lq1ylchl"),
    ("1943972286625338849", "4pn633ejs7k"), ("1533166701632273730", "3psl2h9iht7"),
    ("790363830697685680", "1wz1k6kc58"), ("446649595488417260", "12z6vnebikk"),
    ("67694010374234520144", "4k3f7d6h7a"), ("208052874437957916", "i5m84ki67za"),
    ("839992118630108587", "21awvc58jbo"), ("393968447854329453", "ydos54mgs"),
    ("1599274581930798745", "3vk9ozf2sbj"), ("239967552918946649", "kxvovc8d7ta"),
    ("480892341607926628", "15yrn4p1w"), ("1009418948673166067", "2g36ld7mjlo"),
    ("1646273113163824069", "3znx3p1cclt"), ("110681337152805308", "9nprikc5kl"),
    ("600434729338794460", "1gebkg6tk3e"), ("232068293866021982", "k92b6locsk"),
    ("1231661644651664943", "2zhdnermtz7"), ("177203495164682024", "fgp8r4dy2kj"),
    ("75179653705193161064", "528nuiqa3o"), ("1584663590601625559", "3uad89tvwfx"),
    ("355686935837095027", "v1f8t5x97s"), ("1916376085697068218", "4n8h11sosek"),
    ("362850021892", "1h6nvlgq1j"), ("14732744740744619235", "zpoa6b2mes"),
    ("20441554215483091730", "1djv1bdc6hwd"), ("87538617326421600851", "5w76odiosjg"),
    ("1377616350658520601", "3c7wqla17pr"), ("709262074957", "2vyjhnvt6gx"),
    ("83928206989680373", "7bo21c37w2e"), ("80176244387107473", "6zvpwm9dmbv"),
    ("632728101442662983", "1j7rv1nk2j"), ("9818674458", "1ft5mljr8vr"),
    ("249269136694258362", "lr3ob1nku5"), ("458465272242919907", "14b784y5x5"),
    ("1826873429593372191", "4ffaimc64rp"), ("43237337837258384643", "2wt63pddsz"),
    ("669177912644", "2q313kthp6h"), ("42234036112", "66us4sveup"),
    ("41943861572582569027", "2toaizhf8h6"), ("25350601842292479943", "1pg99it2amc"),
    ("572114899580033968", "1dxco5axod"), ("111890348216126267", "9riibvrn28"),
    ("65962253766001531632", "4fwaj59s7de"), ("256578645099826576", "me2d5od7m"),
    ("433330384388381974", "11tcife6sdg"), ("858092514022566483", "22vrz65odl6"),
    ("938528038418923889", "29whqisrky"), ("1316110567220453566", "36uoljjmkhp"),
    ("1275490077137095964", "33b2j1v7bo"), ("55495823671714253658", "3qix9sg6vsx"),
    ("77571436775", "bdbh6rpgrdd"), ("1514609406902723281", "3o6aadmdhlh"),
    ("1949424315270815746", "4q4ap1ungz4"), ("451752285962257297", "13f7z9wf67z"),
    ("1909846212086995466", "4mnyin55z8"), ("112715860328", "girik1861pr"),
    ("98629003364632087937", "6n35hifigf"), ("1961090444787777856", "4r4y3qtyrtm"),
    ("53274906911978110314", "3l542sxmr"), ("1601423880869601742", "3vrrv2rwnf"),
    ("1348601683146085224", "39or995442g"), ("962910191590", "3x4yieafjk"),
    ("654118058572", "2nvkbt7q4xo"), ("1319566677403381494", "375jh3y2vds"),
]


@pytest.mark.parametrize(
    ("tweet_id", "expected"),
    [("1163218564784017422", "2ticx4q85hf"), ("20", "6dq1a2xwd93"),
     ("1311642375210745856", "36gn9a42zzq")],
)
def test_token_known_pairs(tweet_id: str, expected: str) -> None:
    assert syndication.token(tweet_id) == expected


@pytest.mark.parametrize(("tweet_id", "expected"), NODE_TOKENS)
def test_token_matches_node(tweet_id: str, expected: str) -> None:
    assert syndication.token(tweet_id) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "0.i"), (0.1, "0.3lllllllllm"), (1 / 3, "0.c"), (123.456, "3f.gez4w97ry"),
        (math.pi, "3.53i5ab8p5f"), (1e-10, "0.0000007u3zudtyhc3"),
        (35.99999999999999, "z.zzzzzzzzz"),  # rounding carries through every digit
        (2.0**53, "2gosa7pa2gw"), (324259173170675700.0, "2gosa7pa2gw0"),
        (333266372425416700.0, "2j5h2hwzcjc0"), (1e20, "l3r41ifs0p800"),
        (1.2345e25, "1jua02iphykg00000"), (2.0**70 + 2.0**20, "6x5kxtvuwj8000"),
        (5e-324, "0." + "0" * 207 + "3"),
        (1.7976931348623157e308, "1a1e4vngaiqo" + "0" * 187),
        (-0.5, "-0.i"), (0.0, "0"), (math.inf, "Infinity"), (math.nan, "NaN"),
    ],
)
def test_to_radix_matches_v8(value: float, expected: str) -> None:
    assert syndication.to_radix(value, 36) == expected


@pytest.mark.parametrize("bad", ["", "12a", "-1", "1.5", " 12", "١٢"])
def test_token_rejects_non_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="not a tweet id"):
        syndication.token(bad)


@given(st.from_regex(r"[0-9]{1,20}", fullmatch=True))
def test_token_never_raises_for_digit_strings(tweet_id: str) -> None:
    token = syndication.token(tweet_id)
    assert "0" not in token and "." not in token
    assert token.isalnum() or token == ""


def test_syndication_url() -> None:
    assert syndication.url(syndication.DEFAULT_BASE, "20") == (
        "https://cdn.syndication.twimg.com/tweet-result?id=20&lang=en&token=6dq1a2xwd93"
    )
    assert syndication.url("http://fake.test:8080/", "20", lang="de").startswith(
        "http://fake.test:8080/tweet-result?id=20&lang=de&token="
    )
    with pytest.raises(ValueError):
        syndication.url(syndication.DEFAULT_BASE, "1" * 41)


# --- syndication ------------------------------------------------------------------


def photo_detail(key: str = "EjR4bXxWkAEd6Qp", ext: str = "jpg") -> dict[str, Any]:
    return {
        "display_url": "pic.twitter.com/QDhfkrnCsP",
        "expanded_url": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/photo/1",
        "ext_media_availability": {"status": "Available"},
        "indices": [142, 165],
        "media_url_https": f"https://pbs.twimg.com/media/{key}.{ext}",
        "original_info": {"height": 675, "width": 1200, "focus_rects": []},
        "sizes": {"large": {"h": 675, "w": 1200, "resize": "fit"}},
        "type": "photo",
        "url": "https://t.co/QDhfkrnCsP",
    }


VIDEO_VARIANTS = [  # unsorted, as served; the HLS playlist has no bitrate
    {"bitrate": 832000, "content_type": "video/mp4",
     "url": "https://video.twimg.com/ext_tw_video/1311714/pu/vid/640x360/b.mp4?tag=10"},
    {"content_type": "application/x-mpegURL",
     "url": "https://video.twimg.com/ext_tw_video/1311714/pu/pl/p.m3u8?tag=10"},
    {"bitrate": 2176000, "content_type": "video/mp4",
     "url": "https://video.twimg.com/ext_tw_video/1311714/pu/vid/1280x720/c.mp4?tag=10"},
    {"bitrate": 256000, "content_type": "video/mp4",
     "url": "https://video.twimg.com/ext_tw_video/1311714/pu/vid/480x270/a.mp4?tag=10"},
]


def video_detail(variants: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "display_url": "pic.twitter.com/ViDeO12345",
        "expanded_url": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/video/1",
        "media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/1311714/pu/img/poster.jpg",
        "original_info": {"height": 720, "width": 1280},
        "type": "video",
        "url": "https://t.co/ViDeO12345",
        "video_info": {"aspect_ratio": [16, 9], "duration_millis": 30033,
                       "variants": VIDEO_VARIANTS if variants is None else variants},
    }


GIF_DETAIL = {
    "display_url": "pic.twitter.com/GiF1234567",
    "expanded_url": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/photo/1",
    "media_url_https": "https://pbs.twimg.com/tweet_video_thumb/EjGifKey12345.jpg",
    "original_info": {"height": 270, "width": 480},
    "type": "animated_gif",
    "url": "https://t.co/GiF1234567",
    "video_info": {"aspect_ratio": [16, 9], "variants": [
        {"bitrate": 0, "content_type": "video/mp4",
         "url": "https://video.twimg.com/tweet_video/EjGifKey12345.mp4"}]},
}


def syndication_tweet(**changes: Any) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "__typename": "Tweet",
        "lang": "en",
        "favorite_count": 12,
        "possibly_sensitive": False,
        "created_at": "2020-10-01T17:07:40.000Z",
        "display_text_range": [0, 117],
        "entities": {
            "hashtags": [{"indices": [31, 43], "text": "Stepanakert"}],
            "urls": [{"display_url": "example.com/story/nagorno…",
                      "expanded_url": "https://example.com/story/nagorno-karabakh",
                      "indices": [93, 116], "url": "https://t.co/AbCdEf1234"}],
            "user_mentions": [{"id_str": "783214", "indices": [50, 61], "name": "NK Observer",
                               "screen_name": "NKobserver"}],
            "symbols": [],
            "media": [{"display_url": "pic.twitter.com/QDhfkrnCsP",
                       "expanded_url": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/photo/1",
                       "indices": [117, 140], "url": "https://t.co/QDhfkrnCsP"}],
        },
        "id_str": TWEET_ID,
        "text": "BREAKING: Shelling reported in #Stepanakert, says @NKobserver &amp; local media "
                "\U0001f6a8\nMore: https://t.co/AbCdEf1234 https://t.co/QDhfkrnCsP",
        "user": {"id_str": "1003341180049219584", "name": "SV News \U0001f6a8",
                 "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
                 "screen_name": "SVNewsAlerts", "verified": False, "is_blue_verified": False},
        "edit_control": {"edit_tweet_ids": [TWEET_ID], "editable_until_msecs": "1601573860000",
                         "is_edit_eligible": False, "edits_remaining": "5"},
        "mediaDetails": [photo_detail()],
        "photos": [{"expandedUrl": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/photo/1",
                    "url": "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp.jpg",
                    "width": 1200, "height": 675}],
        "conversation_count": 1,
        "news_action_type": "conversation",
        "quoted_tweet": {"id_str": "1311642375210745856", "lang": "en", "text": "Sirens",
                         "user": {"screen_name": "NKobserver"}},
        "in_reply_to_screen_name": "SVNewsAlerts",
        "in_reply_to_status_id_str": "1311700000000000000",
        "in_reply_to_user_id_str": "1003341180049219584",
        "isEdited": False,
        "isStaleEdit": False,
    }
    tweet.update(changes)
    return {k: v for k, v in tweet.items() if v is not None}


def parse_syndication(body: Any, status: int = 200, content_type: str = JSON) -> Tweet:
    raw = body if isinstance(body, bytes) else dumps(body)
    return syndication.parse(TWEET_ID, status, content_type, raw)


def test_syndication_available() -> None:
    tweet = parse_syndication(syndication_tweet())
    assert tweet == Tweet(
        id=TWEET_ID,
        state="available",
        provider="syndication",
        handle="SVNewsAlerts",
        user_id="1003341180049219584",
        author_name="SV News \U0001f6a8",
        text="BREAKING: Shelling reported in #Stepanakert, says @NKobserver & local media "
             "\U0001f6a8\nMore: https://t.co/AbCdEf1234 https://t.co/QDhfkrnCsP",
        created_at=dt.datetime(2020, 10, 1, 17, 7, 40, tzinfo=UTC),
        lang="en",
        reply_to_id="1311700000000000000",
        quoted_id="1311642375210745856",
        hashtags=("Stepanakert",),
        mentions=("NKobserver",),
        urls=(TweetURL("https://t.co/AbCdEf1234", "https://example.com/story/nagorno-karabakh",
                       "example.com/story/nagorno…"),),
        media=(MediaItem("photo",
                         "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp?format=jpg&name=orig",
                         1200, 675, "image/jpeg", short_url="https://t.co/QDhfkrnCsP"),),
    )
    assert tweet.created_at is not None and tweet.created_at.utcoffset() == dt.timedelta(0)


def test_syndication_png_photo_keeps_its_format() -> None:
    tweet = parse_syndication(syndication_tweet(mediaDetails=[photo_detail("AbCdPng", "png")]))
    assert tweet.media[0].url == "https://pbs.twimg.com/media/AbCdPng?format=png&name=orig"
    assert tweet.media[0].mime == "image/png"


def test_syndication_video_picks_highest_bitrate_mp4() -> None:
    tweet = parse_syndication(syndication_tweet(mediaDetails=[video_detail()], photos=None))
    (video,) = tweet.media
    assert video == MediaItem(
        "video", "https://video.twimg.com/ext_tw_video/1311714/pu/vid/1280x720/c.mp4?tag=10",
        1280, 720, "video/mp4", 2176000,
        "https://pbs.twimg.com/ext_tw_video_thumb/1311714/pu/img/poster.jpg",
        "https://t.co/ViDeO12345",
    )
    assert tweet.detail is None


def test_syndication_animated_gif() -> None:
    tweet = parse_syndication(syndication_tweet(mediaDetails=[GIF_DETAIL], photos=None))
    (gif,) = tweet.media
    assert gif.kind == "animated_gif"
    assert gif.url == "https://video.twimg.com/tweet_video/EjGifKey12345.mp4"
    assert gif.bitrate == 0 and gif.mime == "video/mp4"
    assert gif.preview_url == "https://pbs.twimg.com/tweet_video_thumb/EjGifKey12345.jpg"


def test_syndication_hls_only_video_is_kept_with_a_note() -> None:
    hls = [v for v in VIDEO_VARIANTS if "m3u8" in v["url"]]
    tweet = parse_syndication(syndication_tweet(mediaDetails=[video_detail(hls)], photos=None))
    assert tweet.media[0].mime == "application/x-mpegURL"
    assert tweet.media[0].url.endswith(".m3u8?tag=10")
    assert "HLS" in (tweet.detail or "")


def test_syndication_video_without_variants_is_skipped_with_a_note() -> None:
    tweet = parse_syndication(syndication_tweet(mediaDetails=[video_detail([])], photos=None))
    assert tweet.media == ()
    assert "skipped media of type 'video'" in (tweet.detail or "")


def test_syndication_mixed_media_keeps_order() -> None:
    details = [photo_detail("One"), video_detail(), photo_detail("Two")]
    tweet = parse_syndication(syndication_tweet(mediaDetails=details))
    assert [m.kind for m in tweet.media] == ["photo", "video", "photo"]


def test_syndication_falls_back_to_photos_and_video_summary() -> None:
    tweet = parse_syndication(syndication_tweet(
        mediaDetails=None,
        video={"aspectRatio": [16, 9], "contentType": "media_entity", "durationMs": 30033,
               "poster": "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/p.jpg",
               "variants": [
                   {"type": "video/mp4", "src": "https://video.twimg.com/e/1/pu/vid/480x270/a.mp4"},
                   {"type": "application/x-mpegURL", "src": "https://video.twimg.com/e/1/p.m3u8"},
                   {"type": "video/mp4", "src": "https://video.twimg.com/e/1/pu/vid/1280x720/c.mp4"},
               ]},
    ))
    photo, video = tweet.media
    assert photo == MediaItem(
        "photo", "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp?format=jpg&name=orig", 1200, 675,
        "image/jpeg", short_url="https://t.co/QDhfkrnCsP")
    assert video.kind == "video" and video.url.endswith("/1280x720/c.mp4")
    assert (video.width, video.height) == (1280, 720)
    assert video.preview_url == "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/p.jpg"


def test_syndication_gif_summary() -> None:
    tweet = parse_syndication(syndication_tweet(mediaDetails=None, photos=None, video={
        "contentType": "gif", "poster": "https://pbs.twimg.com/tweet_video_thumb/K.jpg",
        "variants": [{"type": "video/mp4", "src": "https://video.twimg.com/tweet_video/K.mp4"}]}))
    assert tweet.media[0].kind == "animated_gif"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("This Post is unavailable.", "protected"),
        ("This Post was deleted by the Post author. Learn more", "deleted"),
        ("This Post was deleted", "deleted"),
        ("Sorry, that post doesn\u2019t exist.", "deleted"),
        ("This Post is from a suspended account. Learn more", "suspended"),
        ("This Post from @x has been withheld in Germany in response to a legal demand.",
         "withheld"),
        (("You\u2019re unable to view this Post because this account owner limits who can "
          "view their Posts."), "protected"),
        (("Age-restricted adult content. This content might not be appropriate for people "
          "under 18 years old."), "protected"),
    ],
)
def test_syndication_tombstones(text: str, state: str) -> None:
    body = {"__typename": "TweetTombstone",
            "tombstone": {"text": {"text": text, "entities": [], "rtl": False}}}
    tweet = parse_syndication(body)
    assert (tweet.state, tweet.detail, tweet.provider) == (state, text, "syndication")
    assert tweet.text is None


def test_syndication_empty_tombstone_is_protected_and_says_so() -> None:
    tweet = parse_syndication({"__typename": "TweetTombstone", "tombstone": {}})
    assert (tweet.state, tweet.detail) == ("protected", "tombstone without text")


def test_syndication_404_is_not_found() -> None:
    page = b"<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>"
    for body, content_type in ((page, HTML), (b"", "")):
        tweet = parse_syndication(body, 404, content_type)
        assert tweet.state == "not_found"
        assert "never existed" in (tweet.detail or "")


@pytest.mark.parametrize(
    ("status", "words"),
    [(429, "rate limited"), (500, "server error 500"), (503, "server error 503"),
     (403, "unexpected status 403"), (301, "unexpected status 301")],
)
def test_syndication_other_statuses_are_unreachable(status: int, words: str) -> None:
    tweet = parse_syndication(b"<html>busy</html>", status, HTML)
    assert tweet.state == "unreachable"
    assert words in (tweet.detail or "")


def test_syndication_error_message_is_kept() -> None:
    tweet = parse_syndication({"error": "Internal error"}, 500)
    assert tweet.state == "unreachable"
    assert tweet.detail == "server error 500, content type application/json: Internal error"


def test_syndication_malformed_json() -> None:
    tweet = parse_syndication(b'{"__typename": "Tweet", "text": ')
    assert tweet.state == "unreachable"
    assert (tweet.detail or "").startswith("malformed JSON")


def test_syndication_html_with_200_is_unreachable() -> None:
    tweet = parse_syndication(dumps(syndication_tweet()), 200, HTML)
    assert tweet.state == "unreachable"
    assert tweet.detail == "unexpected content type text/html with status 200"


@pytest.mark.parametrize(
    ("body", "words"),
    [({}, "unexpected __typename None"), ([1, 2], "expected an object, got list"),
     ({"__typename": "TweetUnavailable"}, "unexpected __typename 'TweetUnavailable'")],
)
def test_syndication_unknown_shapes(body: Any, words: str) -> None:
    tweet = parse_syndication(body)
    assert tweet.state == "unreachable"
    assert words in (tweet.detail or "")


def test_syndication_unreadable_fields_are_noted_not_fatal() -> None:
    tweet = parse_syndication(syndication_tweet(created_at="Oct 1", user="oops", entities=[]))
    assert tweet.state == "available"
    assert tweet.created_at is None and tweet.handle is None and tweet.hashtags == ()
    assert "unreadable created_at 'Oct 1'" in (tweet.detail or "")


# --- oEmbed -------------------------------------------------------------------

MODERN_OEMBED = {
    "url": f"https://x.com/SVNewsAlerts/status/{TWEET_ID}",
    "author_name": "SV News \U0001f6a8",
    "author_url": "https://x.com/SVNewsAlerts",
    "html": (
        '<blockquote class="twitter-tweet" data-width="550" data-dnt="true">'
        '<p lang="en" dir="ltr">BREAKING: Shelling reported in '
        '<a href="https://twitter.com/hashtag/Stepanakert?src=hash&amp;ref_src=twsrc%5Etfw">'
        "#Stepanakert</a>, says "
        '<a href="https://twitter.com/NKobserver?ref_src=twsrc%5Etfw">@NKobserver</a> '
        "&amp; local media \U0001f6a8<br>More: "
        '<a href="https://t.co/AbCdEf1234">example.com/story/nagorno…</a> '
        '<a href="https://t.co/QDhfkrnCsP">pic.twitter.com/QDhfkrnCsP</a></p>'
        "&mdash; SV News \U0001f6a8 (@SVNewsAlerts) "
        f'<a href="https://x.com/SVNewsAlerts/status/{TWEET_ID}?ref_src=twsrc%5Etfw">'
        "October 1, 2020</a></blockquote>\n\n"
    ),
    "width": 550, "height": None, "type": "rich", "cache_age": "3153600000",
    "provider_name": "X", "provider_url": "https://x.com", "version": "1.0",
}

# A 2016-style answer: twitter.com, JSON-escaped markup, the script tag, an apostrophe.
OLD_OEMBED_BODY = (
    b'{"url":"https:\\/\\/twitter.com\\/jack\\/statuses\\/20","author_name":"jack",'
    b'"author_url":"https:\\/\\/twitter.com\\/jack","html":"\\u003Cblockquote '
    b'class=\\"twitter-tweet\\"\\u003E\\u003Cp lang=\\"en\\" dir=\\"ltr\\"\\u003Ejust setting '
    b"up my twttr \\u0026#39;n stuff\\u003C\\/p\\u003E\\u0026mdash; jack (@jack) \\u003Ca "
    b'href=\\"https:\\/\\/twitter.com\\/jack\\/status\\/20\\"\\u003EMarch 21, 2006\\u003C\\/a'
    b'\\u003E\\u003C\\/blockquote\\u003E\\n\\u003Cscript async src=\\"https:\\/\\/platform.'
    b'twitter.com\\/widgets.js\\" charset=\\"utf-8\\"\\u003E\\u003C\\/script\\u003E\\n",'
    b'"width":550,"height":null,"type":"rich","cache_age":"3153600000","provider_name":'
    b'"Twitter","provider_url":"https:\\/\\/twitter.com","version":"1.0"}'
)


def test_oembed_url() -> None:
    assert oembed.url(oembed.DEFAULT_BASE, "https://twitter.com/jack/status/20") == (
        "https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fjack%2Fstatus%2F20"
        "&omit_script=1&dnt=true"
    )


def test_oembed_available() -> None:
    tweet = oembed.parse(TWEET_ID, 200, "application/json", dumps(MODERN_OEMBED))
    assert tweet == Tweet(
        id=TWEET_ID,
        state="available",
        provider="oembed",
        handle="SVNewsAlerts",
        author_name="SV News \U0001f6a8",
        text="BREAKING: Shelling reported in #Stepanakert, says @NKobserver & local media "
             "\U0001f6a8\nMore: example.com/story/nagorno… pic.twitter.com/QDhfkrnCsP",
        lang="en",
        hashtags=("Stepanakert",),
        mentions=("NKobserver",),
        urls=(TweetURL("https://t.co/AbCdEf1234", None, "example.com/story/nagorno…"),),
        detail="date: October 1, 2020",
    )


def test_oembed_old_escaped_answer() -> None:
    tweet = oembed.parse("20", 200, "application/json; charset=utf-8", OLD_OEMBED_BODY)
    assert tweet.state == "available"
    assert tweet.text == "just setting up my twttr 'n stuff"
    assert (tweet.handle, tweet.author_name, tweet.lang) == ("jack", "jack", "en")
    assert tweet.detail == "date: March 21, 2006" and tweet.created_at is None


def test_oembed_handle_from_credit_when_author_url_is_missing() -> None:
    answer = {**MODERN_OEMBED, "author_url": None}
    tweet = oembed.parse(TWEET_ID, 200, JSON, dumps(answer))
    assert tweet.handle == "SVNewsAlerts"


def test_oembed_404_is_not_found() -> None:
    tweet = oembed.parse(TWEET_ID, 404, HTML, b"<html><body>Not Found</body></html>")
    assert tweet.state == "not_found"


def test_oembed_403_is_protected_and_says_it_may_be_a_deleted_account() -> None:
    body = dumps({"error": "Sorry, you are not authorized to see this status.",
                  "request": "/oembed?url=https://twitter.com/x/status/1"})
    tweet = oembed.parse(TWEET_ID, 403, JSON, body)
    assert tweet.state == "protected"
    assert "not authorized" in (tweet.detail or "")
    assert "deleted" in (tweet.detail or "")


def test_oembed_400_is_unreachable_with_message() -> None:
    body = dumps({"errors": [{"code": 357, "message": "url: queryParam is required"}]})
    tweet = oembed.parse(TWEET_ID, 400, JSON, body)
    assert tweet.state == "unreachable"
    assert "unexpected status 400" in (tweet.detail or "")
    assert "queryParam is required" in (tweet.detail or "")


@pytest.mark.parametrize(
    ("status", "content_type", "body", "words"),
    [
        (500, HTML, b"<html>oops</html>", "server error 500"),
        (429, HTML, b"", "rate limited"),
        (200, HTML, b"<html>captcha</html>", "unexpected content type text/html"),
        (200, JSON, b"{not json", "malformed JSON"),
        (200, JSON, b"\xff\xfe\x00", "malformed JSON"),
        (200, JSON, dumps({"url": "x"}), "without html"),
        (200, JSON, dumps({"html": "<blockquote>no paragraph</blockquote>"}), "without a <p>"),
    ],
)
def test_oembed_unreachable(status: int, content_type: str, body: bytes, words: str) -> None:
    tweet = oembed.parse(TWEET_ID, status, content_type, body)
    assert (tweet.state, tweet.provider) == ("unreachable", "oembed")
    assert words in (tweet.detail or "")


# --- FxTwitter -----------------------------------------------------------------


def fx_answer(**changes: Any) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "url": f"https://x.com/SVNewsAlerts/status/{TWEET_ID}",
        "id": TWEET_ID,
        "text": "BREAKING: Shelling reported in #Stepanakert, says @NKobserver & local media "
                "\U0001f6a8\nMore: https://example.com/story/nagorno-karabakh",
        "raw_text": {
            "text": "BREAKING: Shelling reported in #Stepanakert, says @NKobserver &amp; local "
                    "media \U0001f6a8\nMore: https://t.co/AbCdEf1234 https://t.co/QDhfkrnCsP",
            "facets": [
                {"type": "hashtag", "indices": [31, 43], "original": "Stepanakert"},
                {"type": "url", "indices": [93, 116], "original": "https://t.co/AbCdEf1234",
                 "replacement": "https://example.com/story/nagorno-karabakh",
                 "display": "example.com/story/nagorno…"},
                {"type": "media", "indices": [117, 140], "id": "1311714400000000000",
                 "display": "pic.twitter.com/QDhfkrnCsP", "original": "https://t.co/QDhfkrnCsP",
                 "replacement": f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}/photo/1"},
            ],
        },
        "author": {"id": "1003341180049219584", "name": "SV News \U0001f6a8",
                   "screen_name": "SVNewsAlerts", "avatar_url": "https://pbs.twimg.com/a.jpg",
                   "url": "https://x.com/SVNewsAlerts", "followers": 1, "protected": False,
                   "joined": "Sun Jun 03 18:00:00 +0000 2018"},
        "replies": 1, "retweets": 3, "likes": 12, "views": None,
        "created_at": "Thu Oct 01 17:07:40 +0000 2020",
        "created_timestamp": 1601572060,
        "possibly_sensitive": False,
        "lang": "en",
        "replying_to": "SVNewsAlerts",
        "replying_to_status": "1311700000000000000",
        "quote": {"id": "1311642375210745856", "text": "Sirens",
                  "author": {"screen_name": "NKobserver"}},
        "media": {
            "all": [
                {"type": "photo", "url": "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp.jpg",
                 "width": 1200, "height": 675, "altText": ""},
                {"type": "video",
                 "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/c.mp4?tag=10",
                 "thumbnail_url": "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/p.jpg",
                 "duration": 30.033, "width": 1280, "height": 720, "format": "video/mp4",
                 "variants": VIDEO_VARIANTS[:1] + [
                     {"bitrate": 2176000, "content_type": "video/mp4",
                      "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/c.mp4?tag=10"}]},
            ],
        },
        "source": "Twitter Web App", "twitter_card": "summary_large_image", "color": None,
        "is_note_tweet": False, "community_note": None, "provider": "twitter",
    }
    tweet.update(changes)
    return {"code": 200, "message": "OK", "tweet": {k: v for k, v in tweet.items()
                                                       if v is not None or k == "views"}}


def test_fxtwitter_url() -> None:
    assert fxtwitter.url(fxtwitter.DEFAULT_BASE, "20") == "https://api.fxtwitter.com/status/20"
    with pytest.raises(ValueError):
        fxtwitter.url(fxtwitter.DEFAULT_BASE, "../20")


def test_fxtwitter_available() -> None:
    tweet = fxtwitter.parse(TWEET_ID, 200, "application/json", dumps(fx_answer()))
    short = "https://t.co/QDhfkrnCsP"
    assert tweet == Tweet(
        id=TWEET_ID,
        state="available",
        provider="fxtwitter",
        handle="SVNewsAlerts",
        user_id="1003341180049219584",
        author_name="SV News \U0001f6a8",
        text="BREAKING: Shelling reported in #Stepanakert, says @NKobserver & local media "
             "\U0001f6a8\nMore: https://t.co/AbCdEf1234 https://t.co/QDhfkrnCsP",
        created_at=dt.datetime(2020, 10, 1, 17, 7, 40, tzinfo=UTC),
        lang="en",
        reply_to_id="1311700000000000000",
        quoted_id="1311642375210745856",
        hashtags=("Stepanakert",),
        mentions=("NKobserver",),
        urls=(TweetURL("https://t.co/AbCdEf1234", "https://example.com/story/nagorno-karabakh",
                       "example.com/story/nagorno…"),),
        media=(
            MediaItem("photo", "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp?format=jpg&name=orig",
                      1200, 675, "image/jpeg", short_url=short),
            MediaItem("video",
                      "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/c.mp4?tag=10",
                      1280, 720, "video/mp4", 2176000,
                      "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/p.jpg", short),
        ),
    )


def test_fxtwitter_photos_and_gif_without_all() -> None:
    media = {
        "photos": [{"type": "photo", "url": "https://pbs.twimg.com/media/Key2.png",
                    "width": 800, "height": 600}],
        "videos": [{"type": "gif", "url": "https://video.twimg.com/tweet_video/G.mp4",
                    "thumbnail_url": "https://pbs.twimg.com/tweet_video_thumb/G.jpg",
                    "width": 480, "height": 270, "format": "video/mp4", "duration": 0}],
    }
    tweet = fxtwitter.parse(TWEET_ID, 200, JSON, dumps(fx_answer(media=media)))
    photo, gif = tweet.media
    assert photo.url == "https://pbs.twimg.com/media/Key2?format=png&name=orig"
    assert (gif.kind, gif.preview_url) == (
        "animated_gif", "https://pbs.twimg.com/tweet_video_thumb/G.jpg")


def test_fxtwitter_without_media_raw_text_or_timestamp() -> None:
    answer = fx_answer(media=None, raw_text=None, created_timestamp=None,
                       text="just setting up my twttr", quote=None, replying_to_status=None)
    tweet = fxtwitter.parse(TWEET_ID, 200, JSON, dumps(answer))
    assert tweet.text == "just setting up my twttr"
    assert tweet.created_at == dt.datetime(2020, 10, 1, 17, 7, 40, tzinfo=UTC)
    assert tweet.media == () and tweet.urls == () and tweet.quoted_id is None


@pytest.mark.parametrize(
    ("status", "body", "state", "words"),
    [
        (401, {"code": 401, "message": "PRIVATE_TWEET", "tweet": None}, "protected",
         "PRIVATE_TWEET"),
        (404, {"code": 404, "message": "NOT_FOUND", "tweet": None}, "not_found",
         "suspended-author"),
        (500, {"code": 500, "message": "API_FAIL", "tweet": None}, "unreachable", "API_FAIL"),
        (429, {"code": 429, "message": "TOO_MANY"}, "unreachable", "rate limited"),
        # The JSON code wins over the HTTP status, and the detail says they differed.
        (200, {"code": 404, "message": "NOT_FOUND"}, "not_found", "HTTP status 200"),
        (404, {"message": "NOT_FOUND"}, "not_found", "NOT_FOUND"),
        (200, {"code": 200, "message": "OK", "tweet": None}, "unreachable", "without a tweet"),
    ],
)
def test_fxtwitter_errors(status: int, body: dict[str, Any], state: str, words: str) -> None:
    tweet = fxtwitter.parse(TWEET_ID, status, JSON, dumps(body))
    assert (tweet.state, tweet.provider) == (state, "fxtwitter")
    assert words in (tweet.detail or "")


@pytest.mark.parametrize(
    ("status", "content_type", "body", "words"),
    [
        (200, HTML, b"<html>Cloudflare</html>", "unexpected content type"),
        (404, HTML, b"<html>Not found</html>", "unexpected status 404"),
        (200, JSON, b'{"code": 200, "tweet": {', "malformed JSON"),
        (200, JSON, b"null", "expected an object"),
    ],
)
def test_fxtwitter_unreadable(status: int, content_type: str, body: bytes, words: str) -> None:
    tweet = fxtwitter.parse(TWEET_ID, status, content_type, body)
    assert tweet.state == "unreachable"
    assert words in (tweet.detail or "")


# --- Wayback: Availability and CDX -------------------------------------------------


def test_availability_url() -> None:
    assert wayback.availability_url(wayback.DEFAULT_BASE, "twitter.com/jack/status/20") == (
        "https://archive.org/wayback/available?url=twitter.com%2Fjack%2Fstatus%2F20"
    )
    assert wayback.availability_url("http://fake.test/", "x", "20201001").endswith(
        "/wayback/available?url=x&timestamp=20201001")
    with pytest.raises(ValueError):
        wayback.availability_url(wayback.DEFAULT_BASE, "x", "2020-10-01")


def test_parse_availability() -> None:
    url = f"http://web.archive.org/web/20201001201530/https://twitter.com/SVNewsAlerts/status/{TWEET_ID}"
    body = dumps({"url": f"twitter.com/SVNewsAlerts/status/{TWEET_ID}", "archived_snapshots": {
        "closest": {"status": "200", "available": True, "url": url,
                    "timestamp": "20201001201530"}}})
    assert wayback.parse_availability(200, JSON, body) == Snapshot(url, "20201001201530", "200")
    assert wayback.parse_availability(200, JSON, b'{"archived_snapshots":{}}') is None
    assert wayback.parse_availability(200, JSON, b'{"url":"x","archived_snapshots":{}}') is None


@pytest.mark.parametrize(
    ("status", "body"),
    [(503, b"<html>busy</html>"), (200, b"<html>"), (200, b"[]"), (200, b"{}"),
     (200, b'{"archived_snapshots":{"closest":{"available":true}}}'),
     (200, b'{"archived_snapshots":{"closest":[1]}}')],
)
def test_parse_availability_rejects_unreadable_answers(status: int, body: bytes) -> None:
    with pytest.raises(WaybackError):
        wayback.parse_availability(status, JSON, body)


def test_cdx_url() -> None:
    assert wayback.cdx_url(wayback.DEFAULT_CDX_BASE, "twitter.com/SVNewsAlerts/status/") == (
        "https://web.archive.org/cdx/search/cdx?url=twitter.com/SVNewsAlerts/status/"
        "&matchType=prefix&output=json"
        "&fl=urlkey,timestamp,original,mimetype,statuscode,digest,length"
    )
    full = wayback.cdx_url(
        "http://fake.test", "x.com/h/status/", from_ts="20200930", to_ts="20201002", limit=500,
        filters=("statuscode:200", "!mimetype:warc/revisit"), collapse="urlkey")
    assert full.endswith(
        "&from=20200930&to=20201002&limit=500&filter=statuscode:200"
        "&filter=!mimetype:warc/revisit&collapse=urlkey"
    )
    assert full.startswith("http://fake.test/cdx/search/cdx?url=x.com/h/status/&matchType=prefix")


HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def cdx_row(original: str, timestamp: str = "20201001201530", status: str = "200") -> list[str]:
    key = "com,twitter)/" + original.split("/", 3)[-1].lower()
    return [key, timestamp, original, "text/html", status, "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
            "12034"]


def test_parse_cdx_rows() -> None:
    original = f"https://twitter.com/SVNewsAlerts/status/{TWEET_ID}"
    rows = wayback.parse_cdx(200, "text/plain", dumps([HEADER, cdx_row(original)]))
    assert rows == [CdxRow(f"com,twitter)/svnewsalerts/status/{TWEET_ID}", "20201001201530",
                           original, "text/html", "200", "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
                           "12034")]


def test_parse_cdx_maps_fields_by_header() -> None:
    header = list(reversed(HEADER))
    row = list(reversed(cdx_row("https://twitter.com/a/status/1")))
    (parsed,) = wayback.parse_cdx(200, JSON, dumps([header, row]))
    assert (parsed.original, parsed.statuscode) == ("https://twitter.com/a/status/1", "200")


@pytest.mark.parametrize("body", [b"[]", b"", b" \n", b"[]\n"])
def test_parse_cdx_empty(body: bytes) -> None:
    assert wayback.parse_cdx(200, JSON, body) == []


def test_parse_cdx_resume_key_tail() -> None:
    body = dumps([HEADER, cdx_row("https://twitter.com/a/status/1"), [],
                  ["com%2Ctwitter%29%2Fa%2Fstatus%2F1+20201001201530"]])
    assert len(wayback.parse_cdx(200, JSON, body)) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [(429, b""), (200, b"<html>error</html>"), (200, b'{"a": 1}'), (200, b"[[1, 2]]"),
     (200, dumps([HEADER, ["short"]])), (200, dumps([["timestamp", "original"], ["1", "x"]])),
     (200, dumps([HEADER, cdx_row("x")[:-1] + [7]]))],
)
def test_parse_cdx_rejects_malformed(status: int, body: bytes) -> None:
    with pytest.raises(WaybackError):
        wayback.parse_cdx(status, JSON, body)


def test_raw_url() -> None:
    assert wayback.raw_url(wayback.DEFAULT_CDX_BASE, "20201001201530",
                           "https://twitter.com/jack/status/20") == (
        "https://web.archive.org/web/20201001201530id_/https://twitter.com/jack/status/20")


def test_status_ids() -> None:
    rows = [CdxRow(*cdx_row(o, ts, st)) for o, ts, st in [
        ("https://twitter.com/SVNewsAlerts/status/1311714411264032768", "20201002000000", "200"),
        ("https://mobile.twitter.com/svnewsalerts/status/1311714411264032768", "20201001201530",
         "200"),
        ("https://twitter.com/SVNewsAlerts/status/1311714411264032768?s=20", "20201001190000",
         "301"),
        ("https://x.com/SVNewsAlerts/status/1311800000000000000?s=20&t=abc", "20231001000000",
         "200"),
        ("http://twitter.com:80/SVNewsAlerts/statuses/1311700000000000000/", "20201001000000",
         "200"),
        ("https://twitter.com/SVNewsAlerts/status/1311900000000000000", "20201003000000", "-"),
        ("https://twitter.com/SVNewsAlerts/status/1311600000000000000/photo/1", "20201001000000",
         "200"),
        ("https://twitter.com/SVNewsAlertsBis/status/1311650000000000000", "20201001000000",
         "200"),
        ("https://twitter.com/NKobserver/status/1311642375210745856", "20201001000000", "200"),
        ("https://twitter.com/SVNewsAlerts", "20201001000000", "200"),
    ]]
    assert wayback.status_ids(rows, "@SVNewsAlerts") == [
        ("1311700000000000000", "20201001000000",
         "http://twitter.com:80/SVNewsAlerts/statuses/1311700000000000000/"),
        ("1311714411264032768", "20201001201530",
         "https://mobile.twitter.com/svnewsalerts/status/1311714411264032768"),
        ("1311800000000000000", "20231001000000",
         "https://x.com/SVNewsAlerts/status/1311800000000000000?s=20&t=abc"),
    ]
    assert wayback.status_ids(rows, "nobody") == []


# --- Wayback: captures of a status ----------------------------------------------


def test_capture_of_old_twitter_page() -> None:
    body = (DATA / "twitter_status_2020.html").read_bytes()
    tweet = wayback.parse_status_capture(TWEET_ID, 200, "text/html; charset=utf-8", body)
    assert tweet == Tweet(
        id=TWEET_ID,
        state="available",
        provider="wayback",
        handle="SVNewsAlerts",
        user_id="1003341180049219584",
        author_name="SV News \U0001f6a8",
        text="BREAKING: Shelling reported in #Stepanakert, says @NKobserver & local media "
             "\U0001f6a8\nMore: https://t.co/AbCdEf1234 https://t.co/QDhfkrnCsP",
        created_at=dt.datetime(2020, 10, 1, 17, 7, 40, tzinfo=UTC),
        lang="en",
        quoted_id="1311642375210745856",
        hashtags=("Stepanakert",),
        mentions=("NKobserver",),
        urls=(TweetURL("https://t.co/AbCdEf1234", "https://example.com/story/nagorno-karabakh",
                       "example.com/story/nagorno-"),),
        media=(MediaItem("photo",
                         "https://pbs.twimg.com/media/EjR4bXxWkAEd6Qp?format=jpg&name=orig",
                         mime="image/jpeg", short_url="https://t.co/QDhfkrnCsP"),),
    )


def test_capture_finds_the_requested_tweet_not_the_first() -> None:
    body = (DATA / "twitter_status_2020.html").read_bytes()
    reply = wayback.parse_status_capture("1311715000000000000", 200, HTML, body)
    assert (reply.text, reply.handle) == ("Stay safe everyone.", "someone")


def test_capture_falls_back_to_og_description_of_this_tweet_only() -> None:
    page = (
        '<html><head><title>SV News on Twitter</title>'
        f'<meta property="og:url" content="https://twitter.com/SVNewsAlerts/status/{TWEET_ID}">'
        '<meta property="og:title" content="SV News on Twitter">'
        '<meta property="og:description" content="\u201cShelling &amp; sirens.\u201d">'
        "</head><body></body></html>"
    ).encode()
    tweet = wayback.parse_status_capture(TWEET_ID, 200, HTML, page)
    assert (tweet.state, tweet.text, tweet.handle, tweet.author_name) == (
        "available", "Shelling & sirens.", "SVNewsAlerts", "SV News")
    assert tweet.detail == "text from og:description"
    other = wayback.parse_status_capture("1311600000000000000", 200, HTML, page)
    assert other.state == "unreachable"


def test_capture_of_old_mobile_page() -> None:
    page = (
        b'<html><body><table class="main-tweet"><tr><td class="user-info">'
        b'<div class="username"><span>@</span>jack</div></td></tr><tr><td>'
        b'<div class="tweet-text" data-id="20"><div class="dir-ltr" dir="ltr"> just setting up '
        b"my twttr\n  </div></div></td></tr></table></body></html>"
    )
    tweet = wayback.parse_status_capture("20", 200, HTML, page)
    assert (tweet.state, tweet.text, tweet.handle) == ("available", "just setting up my twttr",
                                                       "jack")


def test_capture_of_new_x_app_shell_is_unreachable() -> None:
    page = b"<!DOCTYPE html><html><head><title>X</title></head><body><div id=react-root>" \
           b"</div><noscript>JavaScript is not available.</noscript></body></html>"
    tweet = wayback.parse_status_capture(TWEET_ID, 200, HTML, page)
    assert tweet.state == "unreachable"
    assert tweet.detail == "no tweet text in the archived page (title 'X')"


def test_capture_of_syndication_answer() -> None:
    tweet = wayback.parse_status_capture(TWEET_ID, 200, "text/plain",
                                         dumps(syndication_tweet()))
    direct = parse_syndication(syndication_tweet())
    assert tweet.provider == "wayback" and tweet.state == "available"
    assert (tweet.text, tweet.media, tweet.created_at) == (direct.text, direct.media,
                                                           direct.created_at)
    assert tweet.detail == "from an archived syndication answer"


def test_capture_of_fxtwitter_answer() -> None:
    tweet = wayback.parse_status_capture(TWEET_ID, 200, JSON, dumps(fx_answer()))
    assert (tweet.provider, tweet.state, tweet.handle) == ("wayback", "available", "SVNewsAlerts")
    assert tweet.detail == "from an archived fxtwitter answer"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "words"),
    [
        (200, JSON, dumps({"__typename": "TweetTombstone", "tombstone": {
            "text": {"text": "This Post is unavailable."}}}),
         "archived syndication answer: protected: This Post is unavailable."),
        (200, JSON, dumps({"code": 404, "message": "NOT_FOUND", "tweet": None}),
         "archived fxtwitter answer: not_found"),
        (200, JSON, dumps({"other": 1}), "no syndication or FxTwitter answer"),
        (200, JSON, b"{broken", "malformed JSON"),
        (404, HTML, b"<html>Wayback Machine has not archived that URL.</html>",
         "unexpected status 404"),
        (200, "image/jpeg", b"\xff\xd8\xff\xe0", "unexpected content type image/jpeg"),
        (200, HTML, b"plain words", "no HTML markup"),
    ],
)
def test_capture_unreachable(status: int, content_type: str, body: bytes, words: str) -> None:
    tweet = wayback.parse_status_capture(TWEET_ID, status, content_type, body)
    assert (tweet.state, tweet.provider) == ("unreachable", "wayback")
    assert words in (tweet.detail or "")


# --- properties: parsers never raise --------------------------------------------

PARSERS = {
    "syndication": syndication.parse,
    "oembed": oembed.parse,
    "fxtwitter": fxtwitter.parse,
    "wayback": wayback.parse_status_capture,
}
STATUSES = st.one_of(st.sampled_from([200, 401, 403, 404, 429, 500, 503]),
                     st.integers(min_value=0, max_value=999))
CONTENT_TYPES = st.one_of(
    st.sampled_from([JSON, "application/json", HTML, "text/plain", "", "image/jpeg",
                     "application/ld+json", "APPLICATION/JSON ; charset=latin-1"]),
    st.text(max_size=40),
)
JSON_KEYS = sorted({
    *syndication_tweet(), *photo_detail(), *video_detail(), *fx_answer(), *fx_answer()["tweet"],
    *MODERN_OEMBED, "tombstone", "text", "video_info", "variants", "bitrate", "content_type",
    "url", "id_str", "screen_name", "original_info", "width", "height", "photos", "video",
    "src", "type", "all", "videos", "facets", "original", "replacement", "error", "errors",
    "message", "code",
})
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["Tweet", "TweetTombstone", "photo", "video", "animated_gif", "gif",
                       "video/mp4", "https://pbs.twimg.com/media/K.jpg", "<p>x</p>",
                       "2020-10-01T17:07:40.000Z", "https://t.co/x", "url", "media"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PARSERS)), STATUSES, CONTENT_TYPES, st.binary(max_size=300))
def test_parsers_never_raise_on_arbitrary_bytes(
    name: str, status: int, content_type: str, body: bytes
) -> None:
    tweet = PARSERS[name](TWEET_ID, status, content_type, body)
    assert isinstance(tweet, Tweet)
    assert tweet.provider == name and tweet.state in TWEET_STATES
    assert not (tweet.detail or "").startswith("parser error"), tweet.detail


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(PARSERS)),
    st.sampled_from([200, 200, 401, 403, 404]),
    st.dictionaries(st.sampled_from(JSON_KEYS), JSON_VALUES, max_size=8),
    st.sampled_from([{"__typename": "Tweet"}, {"__typename": "TweetTombstone"},
                     {"code": 200}, {"code": 404}, {}]),
)
def test_parsers_never_raise_on_odd_json(
    name: str, status: int, fields: dict[str, Any], base: dict[str, Any]
) -> None:
    body = dumps({**fields, **base})
    tweet = PARSERS[name](TWEET_ID, status, JSON, body)
    assert tweet.provider == name and tweet.state in TWEET_STATES
    assert not (tweet.detail or "").startswith("parser error"), tweet.detail
    if tweet.state == "available":
        assert all(m.kind in ("photo", "video", "animated_gif") for m in tweet.media)


@settings(max_examples=200)
@given(st.binary(max_size=300) | JSON_VALUES.map(dumps), STATUSES)
def test_archive_parsers_raise_only_wayback_errors(body: bytes, status: int) -> None:
    for parse in (wayback.parse_cdx, wayback.parse_availability):
        try:
            parse(status, JSON, body)
        except WaybackError:
            pass


@given(st.lists(st.builds(CdxRow, *[st.text(max_size=60)] * 7), max_size=10), st.text(max_size=20))
def test_status_ids_never_raises(rows: list[CdxRow], handle: str) -> None:
    for tweet_id, _, original in wayback.status_ids(rows, handle):
        assert tweet_id.isdigit() and tweet_id in original
