"""Which nights a cache fill reads: whole blocks aligned on a fixed epoch around the requested nights.

Reading a block instead of the exact stay costs the same one PMS call, spares the next miss a day
later its own call, and gives neighbouring misses the same window, hence the same single-flight
key and the same Redis fill lease.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# Any fixed date works; every process must use the same one so that windows (and lease keys) agree.
EPOCH = date(2024, 1, 1)
# UTC+14 starts each calendar day first: a night from its "today" on is in the past for no hotel.
EARLIEST_ZONE = timedelta(hours=14)


def earliest_today(now: float) -> date:
    """The date that is 'today' in the earliest time zone: no hotel anywhere has that night behind it."""
    return (datetime.fromtimestamp(now, UTC) + EARLIEST_ZONE).date()


def fill_window(
    start: date, end: date, *, block_days: int, max_nights: int | None, not_before: date
) -> tuple[date, date]:
    """The aligned blocks covering the nights [start, end), less unrequested nights before
    `not_before`; the request itself when it ends before `not_before` or the window would exceed
    `max_nights`."""
    if block_days <= 1 or end <= not_before:
        return start, end
    # In ordinals, clamped to the calendar: a block may run past date.max or before date.min.
    epoch = EPOCH.toordinal()
    first_day = epoch + (start.toordinal() - epoch) // block_days * block_days
    last_day = epoch - (epoch - end.toordinal()) // block_days * block_days
    first = date.fromordinal(max(first_day, 1))
    last = date.fromordinal(min(last_day, date.max.toordinal()))
    first = max(first, min(start, not_before))
    if max_nights is not None and (last - first).days > max_nights:
        return start, end
    return first, last
