"""Tests for reading creation times out of tweet ids."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.detect.snowflake import (
    FIRST_SNOWFLAKE_ID,
    TWITTER_EPOCH_MS,
    date_mismatch,
    id_range_for_day,
    tweet_time,
)

UTC = dt.UTC
SEED_ID = 1311714411264032768  # @SVNewsAlerts, cited in the Nagorno-Karabakh seed article
OCT_1 = dt.date(2020, 10, 1)


def _id_at(moment: dt.datetime, low_bits: int = 0) -> int:
    """Build the id Twitter would give a tweet posted at ``moment``."""
    unix_ms = round(moment.timestamp() * 1000)
    return ((unix_ms - TWITTER_EPOCH_MS) << 22) | low_bits


def test_seed_tweet_decodes_to_its_cited_day() -> None:
    created = tweet_time(SEED_ID)
    assert created == dt.datetime(2020, 10, 1, 17, 7, 40, 777000, tzinfo=UTC)
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
    assert tweet_time(str(SEED_ID)) == created
    assert tweet_time(f" {SEED_ID}\n") == created


def test_epoch_constant_is_twitters() -> None:
    epoch = dt.datetime(2010, 11, 4, 1, 42, 54, 657000, tzinfo=UTC)
    assert tweet_time(1 << 40) == epoch + dt.timedelta(milliseconds=(1 << 40) >> 22)
    assert _id_at(epoch) == 0


def test_known_range_for_2020_10_01() -> None:
    assert id_range_for_day(OCT_1) == (1311455787217846272, 1311818175083446271)


def test_range_edges_fall_on_the_day() -> None:
    low, high = id_range_for_day(OCT_1)
    assert tweet_time(low) == dt.datetime(2020, 10, 1, tzinfo=UTC)
    assert tweet_time(high) == dt.datetime(2020, 10, 1, 23, 59, 59, 999000, tzinfo=UTC)
    assert tweet_time(low - 1).date() == dt.date(2020, 9, 30)
    assert tweet_time(high + 1).date() == dt.date(2020, 10, 2)
    assert low <= SEED_ID <= high


def test_widened_range() -> None:
    low, high = id_range_for_day(OCT_1, widen_days=1)
    assert (low, high) == (id_range_for_day(dt.date(2020, 9, 30))[0],
                           id_range_for_day(dt.date(2020, 10, 2))[1])  # fmt: skip
    with pytest.raises(ValueError):
        id_range_for_day(OCT_1, widen_days=-1)


def test_range_is_clipped_at_the_ends_of_snowflake_time() -> None:
    assert id_range_for_day(dt.date(2010, 11, 4))[0] == 0
    assert id_range_for_day(dt.date(2010, 11, 3), widen_days=1)[0] == 0
    assert id_range_for_day(dt.date(2080, 7, 10))[1] == 2**63 - 1
    with pytest.raises(ValueError):
        id_range_for_day(dt.date(2009, 1, 1))
    with pytest.raises(ValueError):
        id_range_for_day(dt.date(2090, 1, 1))


@pytest.mark.parametrize("tweet_id", [20, 1_000_000, 20_000_000_000, FIRST_SNOWFLAKE_ID - 1])
def test_pre_snowflake_ids_carry_no_time(tweet_id: int) -> None:
    assert tweet_time(tweet_id) is None
    assert date_mismatch(tweet_id, OCT_1) is False


def test_first_snowflake_id_has_a_time() -> None:
    created = tweet_time(FIRST_SNOWFLAKE_ID)
    assert created is not None and created.date() == dt.date(2010, 11, 4)


@pytest.mark.parametrize(
    "tweet_id",
    [-1, -SEED_ID, 2**63, 2**64, "", "abc", "12a", "-5", "1.5", "١٢٣٤٥٦٧٨٩٠١٢", True, None, 1.5],
)
def test_invalid_ids_give_none(tweet_id: object) -> None:
    assert tweet_time(tweet_id) is None  # type: ignore[arg-type]
    assert date_mismatch(tweet_id, OCT_1) is False  # type: ignore[arg-type]


def test_largest_id_decodes() -> None:
    assert tweet_time(2**63 - 1) is not None


def test_date_mismatch() -> None:
    assert date_mismatch(SEED_ID, OCT_1) is False
    assert date_mismatch(SEED_ID, dt.date(2020, 9, 30)) is False  # time zones
    assert date_mismatch(SEED_ID, dt.date(2020, 10, 2)) is False
    assert date_mismatch(SEED_ID, dt.date(2020, 10, 3)) is True
    assert date_mismatch(SEED_ID, dt.date(2019, 10, 1)) is True
    assert date_mismatch(SEED_ID, dt.date(2020, 9, 30), tolerance_days=0) is True
    assert date_mismatch(str(SEED_ID), dt.date(2020, 10, 3), tolerance_days=2) is False


_moments = st.datetimes(
    min_value=dt.datetime(2011, 1, 1),
    max_value=dt.datetime(2040, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))


@settings(max_examples=300)
@given(moment=_moments, low_bits=st.integers(min_value=0, max_value=(1 << 22) - 1))
def test_round_trip(moment: dt.datetime, low_bits: int) -> None:
    tweet_id = _id_at(moment, low_bits)
    assert tweet_time(tweet_id) == moment
    assert tweet_time(str(tweet_id)) == moment
    low, high = id_range_for_day(moment.date())
    assert low <= tweet_id <= high
    assert date_mismatch(tweet_id, moment.date(), tolerance_days=0) is False


@settings(max_examples=200)
@given(day=st.dates(min_value=dt.date(2011, 1, 1), max_value=dt.date(2070, 12, 31)))
def test_consecutive_days_tile_the_id_space(day: dt.date) -> None:
    low, high = id_range_for_day(day)
    next_low, _ = id_range_for_day(day + dt.timedelta(days=1))
    assert low < high and high + 1 == next_low
    assert tweet_time(low).date() == day and tweet_time(high).date() == day
