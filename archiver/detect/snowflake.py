"""Times encoded in tweet ids.

Since November 2010 tweet ids are "snowflakes": the bits above the low 22 hold the
milliseconds since Twitter's epoch (2010-11-04T01:42:54.657Z). So an id alone says
when its tweet was posted, which lets detection check the date an article printed
under a citation, and lets a search for a tweet from a given day be narrowed to an
id range, without asking Twitter anything. Ids from before the switch were plain
counters and carry no time.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["date_mismatch", "id_range_for_day", "tweet_time"]

TWITTER_EPOCH_MS = 1_288_834_974_657  # 2010-11-04T01:42:54.657Z
# The first snowflake id: every id below it is a pre-November-2010 counter value.
FIRST_SNOWFLAKE_ID = 29_700_859_247
_TIMESTAMP_SHIFT = 22  # low bits: datacenter, worker and sequence numbers
_MAX_ID = 2**63 - 1  # ids are signed 64-bit integers
_DAY_MS = 86_400_000
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UNIX_EPOCH_ORDINAL = _UNIX_EPOCH.date().toordinal()


def tweet_time(tweet_id: int | str) -> dt.datetime | None:
    """When the tweet with this id was created (UTC, to the millisecond).

    None when the id carries no time: pre-snowflake ids, and anything that is not a
    tweet id at all (non-numeric, negative, wider than 64 bits), since ids are read
    out of arbitrary article markup.
    """
    value = _as_id(tweet_id)
    if value is None or value < FIRST_SNOWFLAKE_ID:
        return None
    created_ms = (value >> _TIMESTAMP_SHIFT) + TWITTER_EPOCH_MS
    return _UNIX_EPOCH + dt.timedelta(milliseconds=created_ms)


def id_range_for_day(day: dt.date, widen_days: int = 0) -> tuple[int, int]:
    """Lowest and highest id a tweet posted on this UTC day can have.

    ``widen_days`` widens the range by that many whole days on each side, for a day
    read from an article whose time zone is unknown. The range is clipped to what
    ids can hold; raises ValueError for days with no snowflake ids at all (wholly
    before November 2010 or past 2080), or a negative ``widen_days``.
    """
    if widen_days < 0:
        raise ValueError("widen_days must not be negative")
    midnight_ms = (day.toordinal() - _UNIX_EPOCH_ORDINAL) * _DAY_MS
    start_ms = midnight_ms - widen_days * _DAY_MS
    end_ms = midnight_ms + (1 + widen_days) * _DAY_MS  # exclusive
    low = max((start_ms - TWITTER_EPOCH_MS) << _TIMESTAMP_SHIFT, 0)
    high = min(((end_ms - TWITTER_EPOCH_MS) << _TIMESTAMP_SHIFT) - 1, _MAX_ID)
    if high < 0 or low > _MAX_ID:
        raise ValueError(f"no snowflake tweet ids exist for {day.isoformat()}")
    return low, high


def date_mismatch(tweet_id: int | str, cited: dt.date, tolerance_days: int = 1) -> bool:
    """True when the id's UTC date is more than ``tolerance_days`` from ``cited``.

    The cited date is rendered in the embedding reader's or site's time zone, so a
    one-day difference is normal; the default tolerance allows it. When the id
    carries no time nothing can be said, and that is not a mismatch.
    """
    created = tweet_time(tweet_id)
    if created is None:
        return False
    return abs((created.date() - cited).days) > tolerance_days


def _as_id(tweet_id: object) -> int | None:
    """The id as an int in 0..2**63-1, or None when it cannot be a tweet id."""
    if isinstance(tweet_id, bool):
        return None
    if isinstance(tweet_id, int):
        value = tweet_id
    elif isinstance(tweet_id, str):
        text = tweet_id.strip()
        if not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
    else:
        return None
    return value if 0 <= value <= _MAX_ID else None
