"""Mews time units: dates are local midnights of the enterprise expressed in UTC (`YYYY-MM-DDThh:mm:ssZ`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str | None) -> timedelta:
    """An ISO 8601 duration such as `P0M0DT15H0M0S` or `PT14H` (day-based; years/months must be zero)."""
    if not value:
        return timedelta(0)
    match = _DURATION.match(value.strip())
    if match is None or int(match["years"] or 0) or int(match["months"] or 0):
        raise ValueError(f"unsupported duration {value!r}")
    delta = timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"] or 0),
        minutes=int(match["minutes"] or 0),
        seconds=float(match["seconds"] or 0),
    )
    return -delta if match["sign"] else delta


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in the enterprise's time zone, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> datetime:
    """Mews UTC timestamps (`...Z`, optionally with fractions) as aware datetimes."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def local_date(value: str, zone: ZoneInfo) -> date:
    """The enterprise-local calendar date of a UTC timestamp."""
    return parse_utc(value).astimezone(zone).date()


def unit_interval(start: date, end: date, zone: ZoneInfo, max_units: int) -> dict[str, str]:
    """`FirstTimeUnitStartUtc`/`LastTimeUnitStartUtc` for the nights [start, end) of a daily service."""
    nights = (end - start).days
    if not 1 <= nights <= max_units:
        raise ValueError(f"date range must cover 1..{max_units} nights")
    return {
        "FirstTimeUnitStartUtc": format_utc(local_midnight(start, zone)),
        "LastTimeUnitStartUtc": format_utc(local_midnight(end - timedelta(days=1), zone)),
    }
