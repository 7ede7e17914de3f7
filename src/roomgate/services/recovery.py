"""Finish or compensate bookings a crash or a stuck step left unfinished (DESIGN §5, step 5).

Whatever the crash point, a booking ends confirmed (PMS reservation + captured payment) or failed
(no reservation, authorisation voided, hold released). Forward when the PMS reservation exists and
the money can be captured; otherwise backward.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.booking import Booking, BookingChange, BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.logging import get_logger
from roomgate.metrics import RECOVERIES
from roomgate.payments.base import (
    Authorization,
    PaymentError,
    PaymentGateway,
    PaymentProviderUnusable,
    PaymentStatus,
)
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSBadRequest, PMSError, PMSNotFound, PMSSoldOut
from roomgate.pms.types import Reservation, ReservationStatus
from roomgate.services import recovery_rooms
from roomgate.services.booking_ledger import BookingLedger, StaleBookingState
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import confirmation_of
from roomgate.services.compensation import (
    CompensationIncomplete,
    Compensator,
    hold_id_for,
    recorded_gateway,
)
from roomgate.services.ports import Alerts
from roomgate.services.price_check import (
    PRICE_CHECKED_EVENT,
    PriceMismatch,
    PriceTolerance,
    check_pms_price,
    decide,
)

log = get_logger(__name__)

RECOVERY_MESSAGE = "예약 처리가 중단되어 자동으로 취소되었습니다"
# Reservation states a booking may be confirmed on (OTHER: checked in/out, no-show — the stay is real).
_ADOPTABLE = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.OTHER})


@dataclass
class RecoveryReport:
    confirmed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    # Bookings no gateway can settle here (no recorded provider, or one not configured): left untouched
    # and alerted on every round until an operator settles them.
    needs_operator: list[str] = field(default_factory=list)


@dataclass
class Recovery:
    bookings: BookingLedger
    compensator: Compensator
    after_seconds: int
    cancellation: Cancellation | None = None
    alerts: Alerts | None = None
    clock: Clock = SYSTEM_CLOCK
    price_tolerance: PriceTolerance = PriceTolerance()
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    async def run_once(self, limit: int = 100) -> RecoveryReport:
        """Claim every stale unfinished booking and settle it."""
        report = RecoveryReport()
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        cutoff = now - timedelta(seconds=self.after_seconds)
        claimed = await self.bookings.claim_stale(
            owner=self.owner, older_than=cutoff, lease_seconds=120, limit=limit
        )
        for booking_id in claimed:
            try:
                outcome = await self.settle(await self.bookings.get(booking_id))
            except PaymentProviderUnusable as exc:
                await self._needs_operator(report, booking_id, exc)
                continue
            except (CompensationIncomplete, PMSError, PaymentError, DomainError) as exc:
                log.warning("recovery_deferred", booking_id=booking_id, error=type(exc).__name__)
                await self._defer(report, booking_id)
                continue
            except Exception as exc:  # a bug or a broken vendor answer: the other bookings still get settled
                log.error("recovery_error", booking_id=booking_id, error=type(exc).__name__, exc_info=exc)
                await self._defer(report, booking_id)
                continue
            by_outcome = {"confirmed": report.confirmed, "cancelled": report.cancelled}
            by_outcome.get(outcome, report.failed).append(booking_id)
            RECOVERIES.labels(outcome).inc()
            log.info("booking_recovered", booking_id=booking_id, outcome=outcome)
        return report

    async def _needs_operator(
        self, report: RecoveryReport, booking_id: str, exc: PaymentProviderUnusable
    ) -> None:
        report.needs_operator.append(booking_id)
        RECOVERIES.labels("needs_operator").inc()
        if self.alerts is None:
            log.error("recovery_needs_operator", booking_id=booking_id, provider=exc.provider or None)
        else:
            await self.alerts.alert(
                "booking_needs_operator",
                booking_id,
                "no usable payment provider recorded: settle the payment and the PMS reservation by hand",
                provider=exc.provider or None,
            )
        await self._release_lease(booking_id)

    async def _defer(self, report: RecoveryReport, booking_id: str) -> None:
        report.deferred.append(booking_id)
        RECOVERIES.labels("deferred").inc()
        await self._release_lease(booking_id)

    async def _release_lease(self, booking_id: str) -> None:
        try:
            await self.bookings.release_lease(booking_id, self.owner)
        except Exception as exc:  # the lease then simply runs out
            log.warning("recovery_lease_release_failed", booking_id=booking_id, error=type(exc).__name__)

    async def settle(self, booking: Booking) -> str:
        status = booking.status
        # Before any step: which gateway holds the money. Unknown → nothing is touched (an operator's case).
        recorded_gateway(self.compensator.gateways, booking)
        await self.bookings.add_event(booking.booking_id, "recovery_started", {"status": status.value})
        if status is BookingStatus.CANCELLING and self.cancellation is not None:
            await self.cancellation.finish(booking)
            return "cancelled"
        if status is BookingStatus.AUTHORIZED:
            booking = await self._adopt_pms_reservation(booking)
            status = booking.status
        forward = status is BookingStatus.RESERVED and await self._still_booked(booking)
        code = booking.error_code or ErrorCode.INTERNAL_ERROR.value
        message = booking.error_message or RECOVERY_MESSAGE
        try:
            if forward and await self._capture(booking):
                await self._confirm(booking)
                return "confirmed"
        except PriceMismatch as mismatch:  # the same rule as the saga's: no wrong amount is captured
            code, message = ErrorCode.PRICE_MISMATCH.value, mismatch.message
        await self.compensator.compensate(booking, error_code=code, error_message=message, owner=self.owner)
        return "failed"

    async def _adopt_pms_reservation(self, booking: Booking) -> Booking:
        """A crash after the PMS call but before recording it: find the reservation by our booking id."""
        if booking.error_code:  # the saga already decided to compensate
            return booking
        connector = await self.compensator.connectors(booking.vendor, booking.hotel_id)
        multi, recorded = await recovery_rooms.recorded_group(self.compensator.rooms, booking.booking_id)
        if multi:  # several rooms: adopted only when every recorded reservation still holds its rooms
            group = await recovery_rooms.live_group(connector, recorded, _live)
            found = group[0] if group else None
        else:
            found = await _live(
                connector, await connector.find_reservation_by_external_id(booking.booking_id)
            )
        if found is None:  # none, or cancelled: nothing to adopt
            return booking
        with contextlib.suppress(StaleBookingState):
            await self.bookings.transition(
                booking.booking_id,
                BookingStatus.AUTHORIZED,
                BookingStatus.RESERVED,
                event="pms_reserved",
                detail={"reservationId": found.reservation_id, "recovered": True},
                change=BookingChange(
                    pms_reservation_id=found.reservation_id, confirmation_number=confirmation_of(found)
                ),
                owner=self.owner,
            )
        return await self.bookings.get(booking.booking_id)

    async def _still_booked(self, booking: Booking) -> bool:
        """Capture only for a stay the PMS still holds: the hotel may have cancelled it meanwhile."""
        if booking.error_code or not booking.pms_reservation_id:
            return False
        try:
            connector = await self.compensator.connectors(booking.vendor, booking.hotel_id)
        except (DomainError, PMSError):  # the hotel's connection is gone: trust what the PMS confirmed
            return True
        multi, recorded = await recovery_rooms.recorded_group(self.compensator.rooms, booking.booking_id)
        if multi:  # every room's reservation, not just the first
            return await recovery_rooms.live_group(connector, recorded, _live) is not None
        try:
            reservation = await connector.get_reservation(booking.pms_reservation_id)
        except PMSNotFound:
            return False
        return await _live(connector, reservation) is not None

    async def _capture(self, booking: Booking) -> bool:
        if booking.error_code or not booking.payment_auth_id:
            return False
        gateway = recorded_gateway(self.compensator.gateways, booking)
        state = await gateway.get_status(booking.payment_auth_id)
        if state is PaymentStatus.CAPTURED:
            return True
        if state is not PaymentStatus.AUTHORIZED:
            return False
        authorization = Authorization(
            provider=gateway.name,
            authorization_id=booking.payment_auth_id,
            amount=booking.amount,
        )
        amount = await self._price_checked(booking, authorization, gateway)
        try:
            await gateway.capture(authorization, booking.booking_id, amount)
        except PaymentError:
            return await gateway.get_status(booking.payment_auth_id) is PaymentStatus.CAPTURED
        return True

    async def _price_checked(
        self, booking: Booking, authorization: Authorization, gateway: PaymentGateway
    ) -> Money:
        """Read the PMS total back as the saga does (`services/price_check.py`): the amount to capture,
        recorded on the booking, or `PriceMismatch`. The booking's total is the bound: the authorised
        amount, or the PMS's amount if the saga decided on it before it died."""
        try:
            connector = await self.compensator.connectors(booking.vendor, booking.hotel_id)
        except (DomainError, PMSError):  # the hotel's connection is gone: as `_still_booked`, trust it
            connector = None
        if connector is None:
            decision = decide(authorization.amount, None, self.price_tolerance, partial_capture=False)
            log.warning("pms_price_unverified", booking_id=booking.booking_id, reason="no PMS connector")
        else:  # a PMS that cannot be read now raises: the booking is deferred, nothing captured
            _, group = await recovery_rooms.recorded_group(self.compensator.rooms, booking.booking_id)
            decision = await check_pms_price(
                connector,
                booking.pms_reservation_id or "",
                authorization.amount,
                self.price_tolerance,
                gateway,
                booking_id=booking.booking_id,
                group_ids=group,  # a multi-room booking: every recorded reservation's total
            )
        await self.bookings.record(
            booking.booking_id,
            BookingStatus.RESERVED,
            event=PRICE_CHECKED_EVENT,
            detail={**decision.detail(), "recovered": True},
            change=decision.booking_change(),
            owner=self.owner,
        )
        if decision.capture is None:
            raise PriceMismatch(ErrorCode.PRICE_MISMATCH.describe(decision.mismatch_detail))
        return decision.capture

    async def _confirm(self, booking: Booking) -> None:
        await self.bookings.transition(
            booking.booking_id,
            BookingStatus.RESERVED,
            BookingStatus.CONFIRMED,
            event="payment_captured",
            detail={"recovered": True},
            change=BookingChange(
                payment_status=PaymentStatus.CAPTURED.value, lease_owner=None, lease_until=None
            ),
            owner=self.owner,
        )
        try:
            hold_id = booking.hold_id or hold_id_for(booking.booking_id)
            await self.compensator.holds.convert(booking.hotel_id, hold_id)
        except Exception as exc:
            log.warning("hold_convert_failed", booking_id=booking.booking_id, error=type(exc).__name__)


async def _live(connector: PMSConnector, reservation: Reservation | None) -> Reservation | None:
    """The reservation if it holds the stay, confirming a native PMS hold (Mews `Optional`), which
    would otherwise lapse on its own; None if it is gone, cancelled or released."""
    if reservation is not None and reservation.status is ReservationStatus.TENTATIVE:
        try:
            reservation = await connector.confirm_reservation(reservation.reservation_id)
        except (PMSBadRequest, PMSNotFound, PMSSoldOut):  # released meanwhile
            return None
    return reservation if reservation is not None and reservation.status in _ADOPTABLE else None
