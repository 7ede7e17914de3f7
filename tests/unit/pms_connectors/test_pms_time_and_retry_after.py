"""Mews time units (local midnights in UTC, ISO durations) and Retry-After parsing."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from roomgate.pms.mews_time import format_utc, local_date, local_midnight, parse_duration
from roomgate.pms.transport import parse_retry_after


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [  # the Mews serialization guide's own examples, and Seoul
        ("America/Chicago", date(2023, 3, 22), "2023-03-22T05:00:00Z"),
        ("Asia/Shanghai", date(2023, 3, 22), "2023-03-21T16:00:00Z"),
        ("Asia/Seoul", date(2025, 11, 1), "2025-10-31T15:00:00Z"),
    ],
)
def test_a_date_is_its_local_midnight_in_utc(zone: str, day: date, expected: str) -> None:
    # given / when
    moment = format_utc(local_midnight(day, ZoneInfo(zone)))
    # then
    assert moment == expected
    assert local_date(moment, ZoneInfo(zone)) == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P0M0DT15H0M0S", timedelta(hours=15)),
        ("PT14H", timedelta(hours=14)),
        ("P1DT30M", timedelta(days=1, minutes=30)),
        ("-PT2H", timedelta(hours=-2)),
        (None, timedelta(0)),
    ],
)
def test_iso_durations(text: str | None, expected: timedelta) -> None:
    # given / when / then
    assert parse_duration(text) == expected


def test_durations_in_months_are_refused() -> None:
    # given / when / then
    with pytest.raises(ValueError):
        parse_duration("P1M")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0),
        ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, expected: float | None) -> None:
    # given a clock at 2026-01-01T00:00:00Z
    now = 1_767_225_600.0
    # when / then
    assert parse_retry_after(value, now) == expected
