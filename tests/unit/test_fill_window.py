"""Fill windows: aligned blocks around the requested nights, never into unrequested past nights."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomgate.services.fill_window import EPOCH, earliest_today, fill_window

LONG_AGO = date(2000, 1, 1)


def window(
    start: date, end: date, block: int = 14, cap: int | None = 90, not_before: date = LONG_AGO
) -> tuple[date, date]:
    return fill_window(start, end, block_days=block, max_nights=cap, not_before=not_before)


def test_a_stay_inside_a_block_reads_the_whole_block() -> None:
    # given 14-night blocks from the epoch (2024-01-01): 2026-03-09 starts one
    block_start = date(2026, 3, 9)
    assert (block_start - EPOCH).days % 14 == 0
    # when
    first, last = window(date(2026, 3, 12), date(2026, 3, 15))
    # then
    assert (first, last) == (block_start, block_start + timedelta(days=14))


def test_stays_in_the_same_block_share_one_window() -> None:
    # given / when
    nights = [date(2026, 3, 9) + timedelta(days=d) for d in range(14)]
    windows = {window(night, night + timedelta(days=1)) for night in nights}
    # then one window, hence one single-flight key and one fill lease
    assert windows == {(date(2026, 3, 9), date(2026, 3, 23))}


def test_a_stay_across_a_block_boundary_reads_both_blocks() -> None:
    # given / when
    first, last = window(date(2026, 3, 21), date(2026, 3, 24))
    # then
    assert (first, last) == (date(2026, 3, 9), date(2026, 4, 6))


def test_a_window_over_the_cap_is_just_the_request() -> None:
    # given a 30-day cap and a stay whose two blocks span 56 nights
    # when
    first, last = window(date(2026, 3, 21), date(2026, 3, 24), block=28, cap=30)
    # then
    assert (first, last) == (date(2026, 3, 21), date(2026, 3, 24))


def test_block_days_of_one_reads_exactly_the_request() -> None:
    # given / when / then
    assert window(date(2026, 3, 5), date(2026, 3, 8), block=1) == (date(2026, 3, 5), date(2026, 3, 8))


def test_unrequested_past_nights_are_left_out() -> None:
    # given "today" is 2026-03-13 in the earliest zone, inside the block 2026-03-09..23
    today = date(2026, 3, 13)
    # when
    first, last = window(date(2026, 3, 16), date(2026, 3, 18), not_before=today)
    # then the window starts today, not on the block's first (past) night
    assert (first, last) == (today, date(2026, 3, 23))


def test_a_request_for_past_nights_is_read_as_asked() -> None:
    # given / when
    first, last = window(date(2026, 3, 10), date(2026, 3, 12), not_before=date(2026, 3, 13))
    # then
    assert (first, last) == (date(2026, 3, 10), date(2026, 3, 12))


def test_earliest_today_is_the_date_at_utc_plus_14() -> None:
    # given 2026-01-01 09:59:59 UTC and 10:00:00 UTC
    before, after = 1_767_225_600.0 + 9 * 3600 + 3599, 1_767_225_600.0 + 10 * 3600
    # when / then: Kiritimati (UTC+14) reaches 2 January at 10:00 UTC
    assert (earliest_today(before), earliest_today(after)) == (date(2026, 1, 1), date(2026, 1, 2))


@given(
    start=st.dates(date(2025, 1, 1), date(2028, 1, 1)),
    nights=st.integers(1, 60),
    block=st.integers(1, 45),
    cap=st.integers(1, 120),
    today_offset=st.integers(-30, 30),
)
def test_a_window_always_covers_the_request_within_the_limits(
    start: date, nights: int, block: int, cap: int, today_offset: int
) -> None:
    # given
    end = start + timedelta(days=nights)
    today = start + timedelta(days=today_offset)
    # when
    first, last = window(start, end, block=block, cap=cap, not_before=today)
    # then it covers the request, stays within the cap (unless the request alone exceeds it),
    # and adds no night before "today" that was not requested
    assert first <= start and end <= last
    assert (last - first).days <= max(cap, nights)
    assert first >= min(start, today)
    # and where it widened, it ends on a block boundary
    if (first, last) != (start, end):
        assert (last - EPOCH).days % block == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(9999, 12, 29), date(9999, 12, 31)),
        (date.max - timedelta(days=1), date.max),
        (date(1, 1, 1), date(1, 1, 3)),
        (date.min, date.min + timedelta(days=1)),
    ],
)
def test_windows_stop_at_the_ends_of_the_calendar(start: date, end: date) -> None:
    # given nights whose aligned blocks would run past date.max or before date.min
    # when
    first, last = window(start, end, block=28, not_before=date.min)
    # then: clamped to the calendar, still covering the request
    assert date.min <= first <= start and end <= last <= date.max
