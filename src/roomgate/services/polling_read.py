"""One poll's reads and writes: room types, the polled window of nights, the reservations delta and
the nights it touches beyond the window; each write through `PmsRefresh` (cache-fill rules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from roomgate.domain.hotel import HotelConfig
from roomgate.domain.polling import PollingStatus, PollOutcome
from roomgate.pms.base import ListsModifiedReservations, PMSConnector
from roomgate.pms.types import Reservation
from roomgate.services.pms_refresh import PmsRefresh, RefreshResult

Progress = Callable[[int, int], None]  # (steps done, steps known so far)
MAX_DELTA_SECONDS = 90 * 86400  # Mews caps an UpdatedUtc interval at 3 months
DELTA_HORIZON_DAYS = 365  # nights further out than this are left to the next cache fill


@dataclass(frozen=True, slots=True)
class PollWindow:
    days: int  # nights from today read every poll
    delta_overlap_seconds: int  # each delta starts this much before the previous one ended
    now: float


async def read_and_store(
    refresh: PmsRefresh,
    connector: PMSConnector,
    config: HotelConfig,
    status: PollingStatus,
    window: PollWindow,
    guard: Callable[[], Awaitable[bool]],
    progress: Progress | None,
) -> tuple[PollOutcome, datetime | None]:
    """Read and cache; returns what changed and where the delta now stands (None: no delta read)."""
    vendor, hotel_id = config.vendor, config.hotel_id
    delta_to = datetime.fromtimestamp(window.now, UTC)  # later changes show up in the next delta
    today = delta_to.date()
    end = today + timedelta(days=window.days)
    ranges = refresh.ranges(connector, today, end)
    steps = [0, 2 + len(ranges)]

    def step() -> None:
        steps[0] += 1
        if progress is not None:
            progress(steps[0], steps[1])

    room_types = await refresh.room_types(connector, hotel_id, guard)
    step()
    rooms = [rt.room_type_id for rt in room_types]
    polled = RefreshResult()
    for first, last in ranges:
        polled += await refresh.nights(connector, hotel_id, rooms, first, last, guard)
        step()
    reservations = await _delta(connector, status, delta_to, config.polling_interval_seconds, window)
    outside = _nights_outside(reservations, end, today + timedelta(days=DELTA_HORIZON_DAYS))
    steps[1] += len(outside)
    step()
    extra = RefreshResult()
    for first, last in outside:
        extra += await refresh.nights(connector, hotel_id, rooms, first, last, guard)
        step()
    total = polled + extra
    outcome = PollOutcome(
        vendor=vendor,
        hotel_id=hotel_id,
        room_types=len(rooms),
        nights_read=total.nights_read,
        changed_nights=total.changed,
        skipped_newer_local=total.skipped_newer_local,
        reservations_seen=len(reservations),
        delta_nights_refreshed=extra.nights_read,
        pms_reads=1 + total.reads + (1 if isinstance(connector, ListsModifiedReservations) else 0),
    )
    return outcome, delta_to if isinstance(connector, ListsModifiedReservations) else None


async def _delta(
    connector: PMSConnector, status: PollingStatus, until: datetime, interval: int, window: PollWindow
) -> list[Reservation]:
    if not isinstance(connector, ListsModifiedReservations):
        return []
    overlap = timedelta(seconds=window.delta_overlap_seconds)
    since = (status.delta_synced_to or until - timedelta(seconds=interval)) - overlap
    since = max(since, until - timedelta(seconds=MAX_DELTA_SECONDS))
    return await connector.get_modified_reservations(since, until)


def _nights_outside(reservations: Sequence[Reservation], end: date, horizon: date) -> list[tuple[date, date]]:
    """The nights from `end` (where the polled window stops) up to `horizon` that the reservations
    touch, merged into ranges; nights before the window are in the past."""
    spans = []
    for res in reservations:
        if res.check_in is None or res.check_out is None:
            continue
        first, last = max(res.check_in, end), min(res.check_out, horizon)
        if first < last:
            spans.append((first, last))
    merged: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
