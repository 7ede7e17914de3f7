"""Undo a booking's side effects in reverse order; every step checks before acting, so reruns are harmless."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from roomgate.domain.booking import Booking, BookingChange, BookingStatus, Step
from roomgate.domain.errors import DomainError
from roomgate.logging import get_logger
from roomgate.metrics import COMPENSATIONS
from roomgate.payments.base import PaymentError, PaymentGateway, PaymentProviderUnusable, PaymentStatus
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSError, PMSNotFound
from roomgate.pms.types import ReservationStatus
from roomgate.services.booking_ledger import BookingLedger, StaleBookingState
from roomgate.services.ports import ConnectorProvider, GatewayProvider, HoldLedger

log = get_logger(__name__)


def hold_id_for(booking_id: str) -> str:
    """Deterministic, so a crash before the hold id was recorded still lets recovery release it."""
    return f"h_{booking_id}"


# How many live reservations one booking id may have left at the PMS (retried creates) that we cancel.
MAX_DUPLICATES = 10
# Saga steps whose request may be carried out by the vendor after we gave up on its answer.
PMS_STEP = "pms"
PAYMENT_STEP = "payment"


def recorded_gateway(gateways: GatewayProvider, booking: Booking) -> PaymentGateway:
    """The gateway of the provider the booking recorded at checkout — never a default: a booking
    without one is reported (ERROR) and left for an operator, its money is not looked for elsewhere."""
    if not booking.payment_provider:
        log.error("booking_without_payment_provider", booking_id=booking.booking_id, status=booking.status)
        raise PaymentProviderUnusable(f"booking {booking.booking_id} recorded no payment provider")
    try:
        return gateways(booking.payment_provider)
    except PaymentProviderUnusable as exc:
        log.error(
            "payment_provider_unusable",
            booking_id=booking.booking_id,
            provider=booking.payment_provider,
            reason=exc.message,
        )
        raise


class CompensationIncomplete(RuntimeError):
    """A compensation step failed; the booking stays open for the recovery job to retry."""


@dataclass
class Compensator:
    bookings: BookingLedger
    holds: HoldLedger
    connectors: ConnectorProvider
    gateways: GatewayProvider

    async def compensate(
        self,
        booking: Booking,
        *,
        error_code: str,
        error_message: str,
        unsettled: str | None = None,
        owner: str | None = None,
        earlier: Sequence[Step] = (),
    ) -> None:
        """Cancel the PMS reservation, void/refund the payment, release the hold, mark the booking failed.

        `unsettled` ("pms" or "payment"): that step's request got no answer, so the vendor may carry it
        out after our lookups here. If they find nothing, the booking stays open
        (`CompensationIncomplete`) for recovery to look again once anything in flight has landed.
        `owner`: the lease holder compensating; the booking is failed only while it still holds the
        lease and no late step result was attached meanwhile, else `CompensationIncomplete`.
        `earlier`: steps the owner did but had not recorded yet, audited with the failure."""
        status = booking.status
        pms_called = status in {BookingStatus.AUTHORIZED, BookingStatus.RESERVED}
        # Every step is tried even when one fails: a PMS that cannot cancel now must not keep the
        # guest's money or the rooms held until it can.
        failed: list[str] = []
        try:
            reserved = await self.cancel_pms(booking, lookup=pms_called)
        except CompensationIncomplete as exc:
            failed, reserved = [*failed, str(exc)], True
        payment: PaymentStatus | None = None
        try:
            payment = await self.release_payment(booking)
            authorised = payment is not None
        except CompensationIncomplete as exc:
            failed, authorised = [*failed, str(exc)], True
        await self.release_hold(booking)
        if failed:
            raise CompensationIncomplete("; ".join(failed))
        if (unsettled == PMS_STEP and not reserved) or (unsettled == PAYMENT_STEP and not authorised):
            await self.bookings.add_event(booking.booking_id, "compensation_recheck", {"step": unsettled})
            raise CompensationIncomplete(f"{unsettled}: outcome unknown and nothing found yet")
        try:
            await self.bookings.transition(
                booking.booking_id,
                status,
                BookingStatus.FAILED,
                event="failed",
                detail={"errorCode": error_code},
                change=BookingChange(
                    error_code=error_code,
                    error_message=error_message[:500],
                    # what became of the money (voided, refunded), not the `authorized` of the saga's step
                    payment_status=payment.value if payment is not None else booking.payment_status,
                    lease_owner=None,
                    lease_until=None,
                ),
                owner=owner,
                earlier=earlier,
                unchanged={
                    "pms_reservation_id": booking.pms_reservation_id,
                    "payment_auth_id": booking.payment_auth_id,
                },
            )
        except StaleBookingState:
            # A late step result was attached, or another actor holds the booking: look again later.
            log.info("compensation_raced", booking_id=booking.booking_id)
            raise CompensationIncomplete("the booking changed while it was being compensated") from None

    async def cancel_pms(self, booking: Booking, *, lookup: bool) -> bool:
        """Cancel the booking's PMS reservation, and with `lookup` every live one found by our booking
        id (a retried create can leave several); False if there was none."""
        reservation_id = booking.pms_reservation_id
        if reservation_id is None and not lookup:
            return False
        try:
            connector = await self.connectors(booking.vendor, booking.hotel_id)
        except (DomainError, PMSError) as exc:  # e.g. the hotel's PMS credentials were removed
            detail = {"step": "pms_connector", "error": type(exc).__name__}
            await self.bookings.add_event(booking.booking_id, "compensation_failed", detail)
            raise CompensationIncomplete("no PMS connector for the hotel") from exc
        cancelled: list[str] = []
        try:
            if reservation_id is not None:
                await self._cancel_one(connector, reservation_id, cancelled)
            for _ in range(MAX_DUPLICATES if lookup else 0):
                # The connectors answer a live match before a cancelled one.
                found = await connector.find_reservation_by_external_id(booking.booking_id)
                if found is None or found.status is ReservationStatus.CANCELLED:
                    break
                if found.reservation_id in cancelled:  # a PMS that still reports it live: don't spin
                    break
                await self._cancel_one(connector, found.reservation_id, cancelled)
        except PMSError as exc:
            COMPENSATIONS.labels("pms_cancel", "error").inc()
            detail = {"step": "pms_cancel", "error": type(exc).__name__}
            await self.bookings.add_event(booking.booking_id, "compensation_failed", detail)
            raise CompensationIncomplete("PMS cancel failed") from exc
        for cancelled_id in cancelled:
            COMPENSATIONS.labels("pms_cancel", "ok").inc()
            detail = {"reservationId": cancelled_id}
            await self.bookings.add_event(booking.booking_id, "pms_cancelled", detail)
        return bool(cancelled)

    @staticmethod
    async def _cancel_one(connector: PMSConnector, reservation_id: str, cancelled: list[str]) -> None:
        with contextlib.suppress(PMSNotFound):
            await connector.cancel_reservation(reservation_id)
        cancelled.append(reservation_id)

    async def release_payment(self, booking: Booking) -> PaymentStatus | None:
        """Void (or refund) the booking's authorisation, found by booking id if unrecorded; the payment's
        state after that (`voided`, `refunded`, or whatever the provider reports), None if there was none."""
        auth_id = booking.payment_auth_id
        try:
            gateway = recorded_gateway(self.gateways, booking)
            if auth_id is None:
                found = await gateway.find_by_booking(booking.booking_id)
                if found is None:
                    return None
                auth_id = found.authorization_id
            state = await gateway.get_status(auth_id)
            if state is PaymentStatus.AUTHORIZED:
                await gateway.void(auth_id, booking.booking_id)
                step, state = "payment_voided", PaymentStatus.VOIDED
            elif state is PaymentStatus.CAPTURED:
                amount = booking.amount
                await gateway.refund(auth_id, booking.booking_id, amount, "booking failed")
                step, state = "payment_refunded", PaymentStatus.REFUNDED
            else:
                return state
        except PaymentError as exc:
            COMPENSATIONS.labels("payment", "error").inc()
            await self.bookings.add_event(
                booking.booking_id, "compensation_failed", {"step": "payment", "error": type(exc).__name__}
            )
            raise CompensationIncomplete("payment release failed") from exc
        COMPENSATIONS.labels("payment", "ok").inc()
        await self.bookings.add_event(booking.booking_id, step, {"authorizationId": auth_id})
        return state

    async def release_hold(self, booking: Booking) -> None:
        try:
            await self.holds.release(booking.hotel_id, booking.hold_id or hold_id_for(booking.booking_id))
        except Exception as exc:  # Redis down: the hold expires by itself within its TTL
            COMPENSATIONS.labels("hold", "error").inc()
            log.warning("hold_release_failed", booking_id=booking.booking_id, error=type(exc).__name__)
            return
        COMPENSATIONS.labels("hold", "ok").inc()
