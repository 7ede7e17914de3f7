"""Polling sync state of one hotel (pure data): whether it runs, when it last and next syncs, its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

STOPPED_BY_FAILURES = "consecutive_failures"
STOPPED_BY_ADMIN = "stopped_by_admin"


@dataclass(frozen=True, slots=True)
class PollingStatus:
    vendor: str
    hotel_id: str
    is_running: bool
    last_sync_at: datetime | None = None
    next_sync_at: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    stopped_reason: str | None = None
    fence_token: int = 0
    delta_synced_to: datetime | None = None  # the reservations delta has been read up to here
    last_changes: dict[str, Any] = field(default_factory=dict)

    def due(self, now: datetime) -> bool:
        return self.is_running and (self.next_sync_at is None or self.next_sync_at <= now)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll read and changed; `changed_nights` counts room-nights whose count or price moved."""

    vendor: str
    hotel_id: str
    room_types: int = 0
    nights_read: int = 0
    changed_nights: int = 0
    skipped_newer_local: int = 0
    reservations_seen: int = 0
    delta_nights_refreshed: int = 0
    pms_reads: int = 0  # vendor reads (a Mews read sends two requests; pages count once)

    def as_dict(self) -> dict[str, int]:
        return {
            "roomTypes": self.room_types,
            "nightsRead": self.nights_read,
            "changedNights": self.changed_nights,
            "skippedNewerLocal": self.skipped_newer_local,
            "reservationsSeen": self.reservations_seen,
            "deltaNightsRefreshed": self.delta_nights_refreshed,
            "pmsReads": self.pms_reads,
        }


@dataclass(frozen=True, slots=True)
class BookedStay:
    """A confirmed booking as reconciliation sees it (ours, in the ledger)."""

    booking_id: str
    vendor: str
    hotel_id: str
    room_type_id: str
    check_in: date
    check_out: date
    pms_reservation_id: str | None
    # A multi-room booking the PMS keeps as one reservation per room (a Mews group): every member's
    # reservation id with the room type booked in it, in line order (empty otherwise).
    group: tuple[tuple[str, str], ...] = ()
