"""Cancel a confirmed booking: PMS cancel, refund, rooms back to the cached count — idempotently.

The booking moves `confirmed → cancelling` before any side effect, so a cancellation interrupted by
a crash or a vendor error is resumed by the next request or by the recovery worker.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.booking import Booking, BookingChange, BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.stay import Stay
from roomgate.logging import get_logger
from roomgate.metrics import CANCELLATIONS
from roomgate.payments.base import PaymentError, PaymentGateway, PaymentProviderUnusable, PaymentStatus
from roomgate.pms.errors import PMSError, PMSNotFound
from roomgate.services.booking_ledger import BookingLedger, BookingNotFound, StaleBookingState
from roomgate.services.compensation import recorded_gateway
from roomgate.services.ports import ConnectorProvider, GatewayProvider, Restocker

log = get_logger(__name__)


@dataclass
class Cancellation:
    bookings: BookingLedger
    connectors: ConnectorProvider
    gateways: GatewayProvider
    restocker: Restocker
    clock: Clock = SYSTEM_CLOCK

    async def cancel(self, booking_id: str, reason: str = "guest request") -> Booking:
        """Cancel; a booking already cancelled is returned as it is (idempotent)."""
        try:
            booking = await self.bookings.get(booking_id)
        except BookingNotFound:
            raise DomainError(ErrorCode.NOT_FOUND, f"예약 {booking_id}") from None
        if booking.status == BookingStatus.CONFIRMED.value:
            if booking.payment_auth_id:
                self._gateway(booking)  # refunded where it was paid, or not cancelled at all
            # A concurrent request may have moved it first: carry on from its state.
            with contextlib.suppress(StaleBookingState):
                await self.bookings.transition(
                    booking_id,
                    BookingStatus.CONFIRMED,
                    BookingStatus.CANCELLING,
                    event="cancel_requested",
                    detail={"reason": reason[:100]},
                )
            booking = await self.bookings.get(booking_id)
        if booking.status == BookingStatus.CANCELLED.value:
            return booking
        if booking.status != BookingStatus.CANCELLING.value:
            only_confirmed = f"확정된 예약만 취소할 수 있습니다 (현재 상태: {booking.status})"
            raise DomainError(ErrorCode.VALIDATION_ERROR, only_confirmed)
        return await self.finish(booking)

    async def finish(self, booking: Booking) -> Booking:
        """Complete a `cancelling` booking: PMS cancel, refund, then `cancelled` and rooms back on sale."""
        # Where the money is comes first: a booking whose gateway is unknown or unusable here is left
        # for an operator before anything is cancelled at the PMS.
        gateway = self._gateway(booking) if booking.payment_auth_id else None
        cancel_sent_at = self.clock.now()
        try:
            await self._cancel_at_pms(booking)
            payment = await self._refund(booking, gateway) if gateway is not None else None
        except DomainError:
            CANCELLATIONS.labels("incomplete").inc()
            raise
        try:
            await self.bookings.transition(
                booking.booking_id,
                BookingStatus.CANCELLING,
                BookingStatus.CANCELLED,
                event="cancelled",
                change=BookingChange(
                    payment_status=payment.value if payment is not None else booking.payment_status
                ),
            )
        except StaleBookingState:  # a concurrent request finished first
            return await self.bookings.get(booking.booking_id)
        # Only the request that moved the row gives the rooms back, so a retry cannot count them twice.
        stay = Stay(booking.check_in, booking.check_out)
        try:
            await self.restocker.restock(
                booking.hotel_id, booking.room_type_id, list(stay.nights()), 1, cancel_sent_at
            )
        except Exception as exc:
            log.warning("cache_increment_failed", booking_id=booking.booking_id, error=type(exc).__name__)
        CANCELLATIONS.labels("cancelled").inc()
        log.info("booking_cancelled", booking_id=booking.booking_id, hotel_id=booking.hotel_id)
        return await self.bookings.get(booking.booking_id)

    async def _cancel_at_pms(self, booking: Booking) -> None:
        if not booking.pms_reservation_id:
            return
        connector = await self.connectors(booking.vendor, booking.hotel_id)
        try:
            await connector.cancel_reservation(booking.pms_reservation_id)
        except PMSNotFound:
            pass
        except PMSError as exc:
            retry_later = "PMS 취소에 실패했습니다. 잠시 후 다시 시도하세요"
            raise DomainError(ErrorCode.PMS_UNAVAILABLE, message=retry_later) from exc
        detail = {"reservationId": booking.pms_reservation_id}
        await self.bookings.add_event(booking.booking_id, "pms_cancelled", detail)

    def _gateway(self, booking: Booking) -> PaymentGateway:
        try:
            return recorded_gateway(self.gateways, booking)
        except PaymentProviderUnusable:
            operator = "결제 정보를 확인할 수 없어 자동으로 취소할 수 없습니다. 운영자가 처리합니다"
            raise DomainError(ErrorCode.INTERNAL_ERROR, message=operator) from None

    async def _refund(self, booking: Booking, gateway: PaymentGateway) -> PaymentStatus | None:
        """Give the money back; the payment's state after that (None: the booking had no payment)."""
        auth_id = booking.payment_auth_id
        if not auth_id:
            return None
        try:
            state = await gateway.get_status(auth_id)
            if state is PaymentStatus.CAPTURED:
                amount = booking.amount
                await gateway.refund(auth_id, booking.booking_id, amount, "cancelled")
                state = PaymentStatus.REFUNDED
            elif state is PaymentStatus.AUTHORIZED:
                await gateway.void(auth_id, booking.booking_id)
                state = PaymentStatus.VOIDED
            elif state in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}:
                return state  # already given back (a retry of this cancellation)
            else:  # UNKNOWN or FAILED: never mark money returned without the provider saying so
                raise PaymentError(f"payment state {state.value}", provider=gateway.name)
        except PaymentError as exc:
            retry_later = "환불 처리에 실패했습니다. 잠시 후 다시 시도하세요"
            raise DomainError(ErrorCode.PMS_UNAVAILABLE, message=retry_later) from exc
        detail = {"authorizationId": booking.payment_auth_id}
        event = "payment_voided" if state is PaymentStatus.VOIDED else "payment_refunded"
        await self.bookings.add_event(booking.booking_id, event, detail)
        return state
