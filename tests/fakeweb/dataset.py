"""The built-in world: the seed article's four tweets, one tweet per state, distractors.

Ids are snowflakes of their UTC times (``data.snowflake``), so a client that
derives a date window from an id, or an id window from a date, agrees with the
data. Two ids are real-world pairs from the reference: SV News uses the id of its
3.3 sample and Pashinyan the id of a known syndication token pair.
Handles other than the seed's four are fictional.
"""

from __future__ import annotations

import copy

from tests.fakeweb.data import FakeData, Link, Media, Tweet, User, Variant, snowflake, utc

# --- seed tweets (2020-10-01, UTC afternoon) -------------------------------------------
SV_ID = snowflake(utc("2020-10-01T17:07:40.777"), 2572288)  # 1311714411264032768
PASHINYAN_ID = snowflake(utc("2020-10-01T12:21:26.044"), 606208)  # 1311642375210745856
ARTSAKH_ID = snowflake(utc("2020-10-01T14:05:33.412"), 331776)
FRANTZMAN_ID = snowflake(utc("2020-10-01T15:38:52.109"), 188416)
SEED_IDS = {"sv": SV_ID, "pashinyan": PASHINYAN_ID, "artsakh": ARTSAKH_ID,
            "frantzman": FRANTZMAN_ID}
SV_PHOTO_CODE = "QDhfkrnCsP"
SV_PHOTO_KEY = "EjR4bXxWkAEd6Qp"
FRANTZMAN_CODE = "uYr4nwO5Bw"
JPOST_URL = "https://www.jpost.com/middle-east/azerbaijan-drones-report"

# --- one tweet per state --------------------------------------------------------------
DELETED_ID = snowflake(utc("2020-10-01T13:30:12.250"), 397312)
PROTECTED_ID = snowflake(utc("2020-10-01T15:00:04.500"), 135168)
SUSPENDED_ID = snowflake(utc("2020-10-01T14:45:45.001"), 450560)
WITHHELD_ID = snowflake(utc("2020-10-01T16:05:10.330"), 200704)
RENAMED_ID = snowflake(utc("2020-10-01T18:12:27.812"), 589824)
RENAMED_OLD, RENAMED_NEW = "KarabakhNow2020", "KarabakhNow"
RENAMED_PHOTO_CODE = "Kn7yPh0t0A"
VIDEO_ID = snowflake(utc("2020-10-01T16:40:55.123"), 266240)
VIDEO_CODE, VIDEO_LINK_CODE = "Vid3oK1pQz", "Vd8TQ3kLmR"
BITLY_URL = "https://bit.ly/3ikVd8Q"
GIF_ID = snowflake(utc("2020-10-01T17:30:02.902"), 344064)
GIF_CODE = "GifK9aQ2Lp"
PHOTOS4_ID = snowflake(utc("2020-10-01T18:05:31.640"), 528384)
PHOTOS4_CODE = "Ph4x8TqW2z"
QUOTE_ID = snowflake(utc("2020-10-01T19:20:44.717"), 90112)
QUOTE_LINK_CODE = "Qt9Zr4Lm8K"
REPLY_ID = snowflake(utc("2020-10-01T12:40:03.005"), 466944)
EDIT_V1_ID = snowflake(utc("2023-03-01T10:00:00.100"), 4096)
EDIT_V2_ID = snowflake(utc("2023-03-01T10:05:12.600"), 8192)
NEVER_ID = snowflake(utc("2020-10-01T15:15:15.015"), 12345)  # in no service at all

# --- cases where a quote must not be pinned to the wrong tweet -------------------------
# A thread whose two tweets begin alike: a truncated quote begins both.
THREAD_HANDLE = "artsakh_updates"
THREAD_1_ID = snowflake(utc("2020-10-01T20:02:11.300"), 77824)
THREAD_2_ID = snowflake(utc("2020-10-01T20:03:40.910"), 77824)
# A tweet and the account's own quote-tweet of it repeating the words.
WATER_ID = snowflake(utc("2020-10-01T10:15:03.120"), 77824)
WATER_QUOTE_ID = snowflake(utc("2020-10-01T21:44:19.604"), 77824)
WATER_QUOTE_CODE = "Wq8Zr2Lm4K"
# An old-style retweet ("RT @h: ..."): the words are another account's.
RETWEET_ID = snowflake(utc("2020-10-01T16:31:08.222"), 77824)
# Deleted, and known only from an archived syndication answer (no status page).
DELETED_JSON_ID = snowflake(utc("2020-10-01T11:05:47.880"), 397312)
# Never existed; the Wayback Machine holds only an x.com app shell for its URL,
# which x.com serves for any id: a 200 capture there proves nothing.
SHELL_ONLY_ID = snowflake(utc("2020-10-01T11:45:00.450"), 397312)

# --- distractors: same handles, neighbouring days; another handle ---------------------
PASHINYAN_0930_ID = snowflake(utc("2020-09-30T19:45:10.000"), 606208)
PASHINYAN_1001_AM_ID = snowflake(utc("2020-10-01T08:12:31.500"), 606208)
PASHINYAN_1002_ID = snowflake(utc("2020-10-02T10:30:00.250"), 606208)
ARTSAKH_1001_AM_ID = snowflake(utc("2020-10-01T09:40:22.000"), 331776)
ARTSAKH_1002_ID = snowflake(utc("2020-10-02T16:00:01.900"), 331776)
FRANTZMAN_0930_ID = snowflake(utc("2020-09-30T21:10:45.300"), 188416)
FRANTZMAN_1002_ID = snowflake(utc("2020-10-02T13:25:09.800"), 188416)
FRANTZMAN_1002_CODE = "Qx7Lm2PaZe"
BAKU_ID = snowflake(utc("2020-10-01T16:20:36.000"), 53248)

USERS = [
    User("1167178478235193344", "SVNewsAlerts", "SV News 🚨", created_at=utc("2019-08-29T20:00:00"),
         description="Breaking news alerts."),
    User("2829497893", "NikolPashinyan", "Nikol Pashinyan", verified=True,
         created_at=utc("2014-10-14T09:00:00"), location="Yerevan, Armenia"),
    User("1052189003476566016", "Pres_Artsakh", "Arayik Harutyunyan | Artsakh President",
         created_at=utc("2018-10-16T12:00:00"), location="Stepanakert"),
    User("27286930", "sfrantzman", "Seth Frantzman", created_at=utc("2009-03-28T18:00:00"),
         description="Journalist, author, analyst."),
    User("1224301456223834112", "caucasus_watch", "Caucasus Watch"),
    User("1190012457700134912", "lockedjournal", "Locked Journal", protected=True),
    User("1201100200300400500", "gone_account", "Gone Account", suspended=True),
    User("1180000111222333444", "withheld_news", "Withheld News"),
    User("1311000111222333445", RENAMED_NEW, "Karabakh Now",
         previous_screen_names=[RENAMED_OLD], created_at=utc("2020-09-27T08:00:00")),
    User("3012345678", "caucasus_desk", "Caucasus Desk", created_at=utc("2015-01-20T10:00:00")),
    User("1100220033004400550", "baku_observer", "Baku Observer"),
    User("1310000222333444555", THREAD_HANDLE, "Artsakh Updates",
         created_at=utc("2020-09-28T06:00:00")),
]


def _photo(key: str, when: str, width: int, height: int, alt: str | None = None) -> Media:
    return Media("photo", snowflake(utc(when), 0), key, width, height, alt_text=alt)


def _video() -> Media:
    media_id = snowflake(utc("2020-10-01T16:38:02.000"), 0)
    base = f"https://video.twimg.com/ext_tw_video/{media_id}/pu"

    def mp4(bitrate: int, w: int, h: int, size: int) -> Variant:
        url = f"{base}/vid/{w}x{h}/Zt4rQvNkY2pL8sWd.mp4?tag=10"
        return Variant("video/mp4", url, bitrate, w, h, size)

    # Unsorted on purpose (reference 3.4: "Order is not sorted"); HLS has no bitrate.
    variants = [mp4(832000, 640, 360, 24576),
                Variant("application/x-mpegURL", f"{base}/pl/Hq8pL2sRt6VxN0aB.m3u8?tag=10"),
                mp4(2176000, 1280, 720, 65536), mp4(256000, 480, 270, 8192)]
    return Media("video", media_id, "Aq3xZ9vT0bQ1Lm2n", 1280, 720, variants=variants,
                 duration_ms=30033)


def _gif() -> Media:
    key = "EjSzGifKeyAbc12"
    variant = Variant("video/mp4", f"https://video.twimg.com/tweet_video/{key}.mp4", 0,
                      480, 270, 12288)
    return Media("animated_gif", snowflake(utc("2020-10-01T17:29:50.000"), 0), key, 480, 270,
                 variants=[variant])


def _tweets() -> list[Tweet]:
    t = Tweet
    return [
        t(SV_ID, "1167178478235193344",
          "BREAKING: Armenian S-300 air defense systems have intercepted 2 ballistic missiles"
          " shot by #Azerbaijan at the civilian capital #Yerevan—massive escalation. "
          f"https://t.co/{SV_PHOTO_CODE}", utc("2020-10-01T17:07:40"), "SVNewsAlerts",
          media=[_photo(SV_PHOTO_KEY, "2020-10-01T17:07:31", 1200, 675)],
          media_code=SV_PHOTO_CODE, favorite_count=2140, retweet_count=1205),
        t(PASHINYAN_ID, "2829497893", "Why has Turkey returned to the South Caucasus 100 years"
          " later? To continue the #ArmenianGenocide.", utc("2020-10-01T12:21:26"),
          "NikolPashinyan", favorite_count=9800, reply_count=1),
        t(ARTSAKH_ID, "1052189003476566016",
          "The war will end with the defeat of #Azerbaijan, and Azerbaijan will end up with"
          " thousands or tens of thousands of victims & many times more wounded, collapsed"
          " economy which they will not be able to recover for years to come. #ArtsakhStrong"
          " #ArmeniaStrong", utc("2020-10-01T14:05:33"), "Pres_Artsakh", favorite_count=3100),
        t(FRANTZMAN_ID, "27286930",
          "For those who want to know about Azerbaijan's drones, and especially its plethora of"
          f" Israeli drones, the Orbiter, Harop, SkyStriker etc, here is my report; "
          f"https://t.co/{FRANTZMAN_CODE}", utc("2020-10-01T15:38:52"), "sfrantzman",
          links=[Link(FRANTZMAN_CODE, JPOST_URL)], favorite_count=210),
        # one per state
        t(DELETED_ID, "1224301456223834112", "Heavy shelling reported near Stepanakert tonight,"
          " several buildings hit. #Artsakh #NagornoKarabakh", utc("2020-10-01T13:30:12"),
          "caucasus_watch", state="deleted"),
        t(PROTECTED_ID, "1190012457700134912", "Notes from the front line, day five. Not for"
          " sharing.", utc("2020-10-01T15:00:04"), "lockedjournal"),
        t(SUSPENDED_ID, "1201100200300400500", "Unverified claims about the front line, shared"
          " without sources. #Karabakh", utc("2020-10-01T14:45:45"), "gone_account"),
        t(WITHHELD_ID, "1180000111222333444", "Graphic images from the shelling of Ganja, "
          "viewer discretion advised.", utc("2020-10-01T16:05:10"), "withheld_news",
          withheld_in=["DE"]),
        t(RENAMED_ID, "1311000111222333445", "Stepanakert after tonight's shelling. "
          f"https://t.co/{RENAMED_PHOTO_CODE}", utc("2020-10-01T18:12:27"), RENAMED_OLD,
          media=[_photo("EjSAb1cDeFgHiJk", "2020-10-01T18:12:20", 1600, 1200)],
          media_code=RENAMED_PHOTO_CODE),
        t(VIDEO_ID, "3012345678", "Footage released by the Armenian defence ministry, full "
          f"report: https://t.co/{VIDEO_LINK_CODE} https://t.co/{VIDEO_CODE}",
          utc("2020-10-01T16:40:55"), "caucasus_desk", links=[Link(VIDEO_LINK_CODE, BITLY_URL)],
          media=[_video()], media_code=VIDEO_CODE),
        t(GIF_ID, "3012345678", f"When the ceasefire talks start again https://t.co/{GIF_CODE}",
          utc("2020-10-01T17:30:02"), "caucasus_desk", media=[_gif()], media_code=GIF_CODE),
        t(PHOTOS4_ID, "3012345678", "Four views of the damage in Stepanakert today. "
          f"https://t.co/{PHOTOS4_CODE}", utc("2020-10-01T18:05:31"), "caucasus_desk",
          media=[_photo("EjSBc2dEfGhIjK1", "2020-10-01T18:04:01", 1200, 800,
                        "A collapsed apartment block"),
                 _photo("EjSBc2dEfGhIjK2", "2020-10-01T18:04:02", 1200, 900),
                 _photo("EjSBc2dEfGhIjK3", "2020-10-01T18:04:03", 1080, 1350),
                 _photo("EjSBc2dEfGhIjK4", "2020-10-01T18:04:04", 4096, 2731)],
          media_code=PHOTOS4_CODE),
        t(QUOTE_ID, "3012345678", f"Strong words from Stepanakert tonight. "
          f"https://t.co/{QUOTE_LINK_CODE}", utc("2020-10-01T19:20:44"), "caucasus_desk",
          links=[Link(QUOTE_LINK_CODE, f"https://twitter.com/Pres_Artsakh/status/{ARTSAKH_ID}")],
          quoted=ARTSAKH_ID),
        t(REPLY_ID, "3012345678", "@NikolPashinyan Will Armenia invoke the CSTO treaty?",
          utc("2020-10-01T12:40:03"), "caucasus_desk", in_reply_to=PASHINYAN_ID),
        t(EDIT_V1_ID, "3012345678", "Three years on: our Karabakh archive is online",
          utc("2023-03-01T10:00:00"), "caucasus_desk", edit_ids=[EDIT_V1_ID, EDIT_V2_ID]),
        t(EDIT_V2_ID, "3012345678", "Three years on: our Karabakh war archive is now online",
          utc("2023-03-01T10:05:12"), "caucasus_desk", edit_ids=[EDIT_V1_ID, EDIT_V2_ID]),
        # distractors
        t(PASHINYAN_0930_ID, "2829497893", "Azerbaijan, with the direct support of Turkey,"
          " continues its aggression against Artsakh.", utc("2020-09-30T19:45:10"),
          "NikolPashinyan"),
        t(PASHINYAN_1001_AM_ID, "2829497893", "Held a meeting with @Pres_Artsakh on the "
          "situation at the front line.", utc("2020-10-01T08:12:31"), "NikolPashinyan"),
        t(PASHINYAN_1002_ID, "2829497893", "The Armenian people will stand united. "
          "#ArmeniaStrong", utc("2020-10-02T10:30:00"), "NikolPashinyan"),
        t(ARTSAKH_1001_AM_ID, "1052189003476566016", "Stepanakert was shelled again this "
          "morning. Civilians remain in shelters. #Artsakh", utc("2020-10-01T09:40:22"),
          "Pres_Artsakh"),
        t(ARTSAKH_1002_ID, "1052189003476566016", "Our army holds its positions along the "
          "whole front line. #ArtsakhStrong", utc("2020-10-02T16:00:01"), "Pres_Artsakh"),
        t(FRANTZMAN_0930_ID, "27286930", "Drone footage continues to dominate the Karabakh war"
          " narrative, a new kind of conflict.", utc("2020-09-30T21:10:45"), "sfrantzman"),
        t(FRANTZMAN_1002_ID, "27286930", "Turkey's role in the conflict is expanding, Syrian "
          f"fighters reported in the area; my analysis https://t.co/{FRANTZMAN_1002_CODE}",
          utc("2020-10-02T13:25:09"), "sfrantzman", links=[Link(
              FRANTZMAN_1002_CODE, "https://www.jpost.com/middle-east/turkey-syria-analysis")]),
        # never pin a quote to the wrong tweet
        t(THREAD_1_ID, "1310000222333444555", "Ceasefire talks in Moscow ended without an "
          "agreement tonight, according to two officials who were in the room. 1/2",
          utc("2020-10-01T20:02:11"), THREAD_HANDLE),
        t(THREAD_2_ID, "1310000222333444555", "Ceasefire talks in Moscow ended without an "
          "agreement tonight, according to two officials; shelling resumed near Martuni. 2/2",
          utc("2020-10-01T20:03:40"), THREAD_HANDLE),
        t(WATER_ID, "1310000222333444555", "Water supply to Stepanakert has been cut off "
          "since this morning.", utc("2020-10-01T10:15:03"), THREAD_HANDLE),
        t(WATER_QUOTE_ID, "1310000222333444555", "Water supply to Stepanakert has been cut "
          f"off since this morning. https://t.co/{WATER_QUOTE_CODE}",
          utc("2020-10-01T21:44:19"), THREAD_HANDLE, quoted=WATER_ID, links=[Link(
              WATER_QUOTE_CODE, f"https://twitter.com/{THREAD_HANDLE}/status/{WATER_ID}")]),
        t(RETWEET_ID, "1310000222333444555", "RT @Pres_Artsakh: Our soldiers are holding"
          " every position along the front line tonight.", utc("2020-10-01T16:31:08"),
          THREAD_HANDLE),
        t(DELETED_JSON_ID, "1224301456223834112", "Drone strike on a convoy near Hadrut, "
          "footage circulating. #Karabakh", utc("2020-10-01T11:05:47"), "caucasus_watch",
          state="deleted"),
        t(BAKU_ID, "1100220033004400550", "Reports of missile strikes on Ganja this afternoon."
          " #Azerbaijan #Ganja", utc("2020-10-01T16:20:36"), "baku_observer"),
    ]


def build() -> FakeData:
    """A fresh FakeData with users, tweets, t.co links, captures and pages."""
    from tests.fakeweb.archive import add_captures, add_pages

    data = FakeData()
    for user in USERS:
        data.add_user(copy.deepcopy(user))  # module constants: each FakeData gets copies
    for tweet in _tweets():
        data.add_tweet(tweet)
    add_pages(data)
    add_captures(data)
    return data

