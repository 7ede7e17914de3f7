"""Reconciliation: our confirmed upcoming bookings against the PMS, looked up by its reservation id
(or by our booking id when that fails). Drift — missing, cancelled at the hotel, dates or room
changed — is reported (metric, stored report for the admin endpoint, one alert per booking).

The only fix applied is a safe one: the cached nights the booking occupied and now occupies are
refreshed from the PMS (written like a cache fill). Bookings and money are left alone: a hotel-side
cancellation is not refunded here (an operator, or the webhook path's own booking state, decides)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from roomgate.clock import Clock
from roomgate.domain.polling import BookedStay
from roomgate.logging import get_logger
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSBadRequest, PMSNotFound
from roomgate.pms.types import Reservation, ReservationStatus
from roomgate.services.pms_refresh import PmsRefresh
from roomgate.services.polling_metrics import RECONCILIATION_DRIFT
from roomgate.services.ports import Alerts, ConfirmedBookings, ConnectorProvider, ReportStore

log = get_logger(__name__)

DRIFT_KINDS = ("missing", "cancelled", "dates_changed", "room_changed")
MAX_BOOKINGS_PER_RUN = 5000


@dataclass(frozen=True, slots=True)
class Drift:
    bookingId: str
    vendor: str
    hotelId: str
    kinds: list[str]
    reservationId: str | None
    ours: dict[str, str]
    pms: dict[str, str | None]
    action: str


@dataclass
class ReconciliationReport:
    checkedAt: str
    bookingsChecked: int = 0
    unreachable: int = 0
    drift: list[Drift] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for d in self.drift if kind in d.kinds) for kind in DRIFT_KINDS}

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts()}


def compare(stay: BookedStay, found: Reservation | None, room_type_id: str | None = None) -> list[str]:
    """What differs between our booking and the PMS reservation (empty: in agreement); `room_type_id`:
    the room type booked in this reservation when it is one member of a group (else the booking's)."""
    if found is None:
        return ["missing"]
    if found.status is ReservationStatus.CANCELLED:
        return ["cancelled"]
    kinds = []
    if (found.check_in, found.check_out) != (stay.check_in, stay.check_out):
        kinds.append("dates_changed")
    if found.room_type_id is not None and found.room_type_id != (room_type_id or stay.room_type_id):
        kinds.append("room_changed")
    return kinds


class Reconciler:
    def __init__(
        self,
        *,
        bookings: ConfirmedBookings,
        connectors: ConnectorProvider,
        refresh: PmsRefresh,
        alerts: Alerts,
        reports: ReportStore,
        clock: Clock,
        days: int = 365,
    ) -> None:
        self.bookings = bookings
        self.connectors = connectors
        self.refresh = refresh
        self.alerts = alerts
        self.reports = reports
        self.clock = clock
        self.days = days

    async def run_once(self) -> ReconciliationReport:
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        today = now.date()
        report = ReconciliationReport(checkedAt=now.isoformat())
        stays = await self.bookings.confirmed_between(
            today, today + timedelta(days=self.days), MAX_BOOKINGS_PER_RUN
        )
        for stay in stays:
            try:
                connector = await self.connectors(stay.vendor, stay.hotel_id)
                reservation_id, found, kinds = await self._check(connector, stay)
            except Exception as exc:
                report.unreachable += 1
                log.warning("reconcile_lookup_failed", booking=stay.booking_id, error=type(exc).__name__)
                continue
            report.bookingsChecked += 1
            if kinds:
                report.drift.append(await self._drift(connector, stay, reservation_id, found, kinds))
        for kind, count in report.counts().items():
            RECONCILIATION_DRIFT.labels(kind=kind).set(count)
        await self.reports.save(report.as_dict())
        log.info(
            "reconciliation_done",
            checked=report.bookingsChecked,
            drift=len(report.drift),
            unreachable=report.unreachable,
        )
        return report

    async def last_report(self) -> dict[str, Any] | None:
        return await self.reports.load()

    async def _check(
        self, connector: PMSConnector, stay: BookedStay
    ) -> tuple[str | None, Reservation | None, list[str]]:
        """The booking's reservation as the PMS has it and how it differs; for a booking kept as one
        reservation per room (a Mews group), the first member that differs (a hotel may cancel or
        move one room of a group), else the booking's own reservation, in agreement."""
        found = await self._look_up(connector, stay)
        checked = found.reservation_id if found is not None else stay.pms_reservation_id
        kinds = compare(stay, found)
        if kinds:
            return checked, found, kinds
        for member, room_type_id in stay.group:
            if member != checked:
                other = await self._reservation(connector, member)
                kinds = compare(stay, other, room_type_id)
                if kinds:
                    return member, other, kinds
        return checked, found, []

    async def _look_up(self, connector: PMSConnector, stay: BookedStay) -> Reservation | None:
        if stay.pms_reservation_id:
            found = await self._reservation(connector, stay.pms_reservation_id)
            if found is not None:
                return found  # else deleted, or never under this id: try our own id
        return await connector.find_reservation_by_external_id(stay.booking_id)

    @staticmethod
    async def _reservation(connector: PMSConnector, reservation_id: str) -> Reservation | None:
        try:
            return await connector.get_reservation(reservation_id)
        except (PMSNotFound, PMSBadRequest):
            return None

    async def _drift(
        self,
        connector: PMSConnector,
        stay: BookedStay,
        reservation_id: str | None,
        found: Reservation | None,
        kinds: list[str],
    ) -> Drift:
        action = "reported"
        if found is not None:
            try:
                await self._refresh_nights(connector, stay, found)
                action = "reported; cached nights refreshed"
            except Exception as exc:
                log.warning("reconcile_refresh_failed", booking=stay.booking_id, error=type(exc).__name__)
        drift = Drift(
            bookingId=stay.booking_id,
            vendor=stay.vendor,
            hotelId=stay.hotel_id,
            kinds=kinds,
            reservationId=reservation_id,
            ours={
                "checkIn": stay.check_in.isoformat(),
                "checkOut": stay.check_out.isoformat(),
                "roomTypeId": stay.room_type_id,
            },
            pms={
                "status": found.raw_status if found else None,
                "checkIn": _iso(found.check_in) if found else None,
                "checkOut": _iso(found.check_out) if found else None,
                "roomTypeId": found.room_type_id if found else None,
            },
            action=action,
        )
        await self.alerts.alert(
            "booking_drift",
            stay.booking_id,
            f"booking {stay.booking_id} at {stay.vendor} hotel {stay.hotel_id} differs from the PMS: "
            f"{', '.join(kinds)}",
            reservation=drift.reservationId,
        )
        return drift

    async def _refresh_nights(self, connector: PMSConnector, stay: BookedStay, found: Reservation) -> None:
        rooms = sorted({stay.room_type_id, found.room_type_id or stay.room_type_id})
        spans: Sequence[tuple[date | None, date | None]] = [
            (stay.check_in, stay.check_out),
            (found.check_in, found.check_out),
        ]
        today = datetime.fromtimestamp(self.clock.now(), UTC).date()
        for first, last in {span for span in spans if span[0] and span[1]}:
            assert first is not None and last is not None
            start = max(first, today)
            if start < last:
                await self.refresh.nights(connector, stay.hotel_id, rooms, start, last)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
