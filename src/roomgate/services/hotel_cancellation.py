"""The hotel cancelled one of our confirmed bookings in its PMS: refund the guest, record it, alert.

Idempotent and resumable: the refund asks the provider first (a retry after a crash finds the money
already returned), and only the `confirmed → cancelled_by_hotel` move records it. A booking that is
not `confirmed` (a guest cancellation under way, a saga still running) is left alone.

A multi-room booking made of several PMS reservations (a Mews group: one reservation per room) is
never refunded here: one cancelled reservation says nothing of the others, which may still be live
at the hotel, and a full refund would pay back rooms the guest keeps. The booking stays `confirmed`,
an audit event records what the PMS said, and an operator is alerted to settle it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from roomgate.domain.booking import NO_CHANGE, Booking, BookingChange, BookingStatus
from roomgate.logging import get_logger
from roomgate.payments.base import PaymentError, PaymentStatus
from roomgate.services.booking_ledger import BookingLedger, StaleBookingState
from roomgate.services.ports import Alerts, GatewayProvider


class ReservationIds(Protocol):
    async def reservation_ids(self, booking_id: str) -> list[str]:
        """Every PMS reservation recorded for a multi-room booking's lines (empty for one room)."""
        ...


log = get_logger(__name__)


class RefundNotSettled(RuntimeError):
    """The provider could not confirm the money went back: try again later."""


@dataclass
class HotelCancellation:
    bookings: BookingLedger
    gateways: GatewayProvider
    alerts: Alerts
    rooms: ReservationIds | None = None

    async def apply(self, booking: Booking, *, pms_status: str, source: str) -> bool:
        """Refund and mark `cancelled_by_hotel`; False when the booking was not `confirmed`, or is made
        of several PMS reservations (an operator settles those: see the module's docstring)."""
        if booking.status != BookingStatus.CONFIRMED.value:
            return False
        reservations = await self.rooms.reservation_ids(booking.booking_id) if self.rooms else []
        if len(reservations) > 1:
            await self._refer_to_operator(booking, reservations, pms_status=pms_status, source=source)
            return False
        await self._refund(booking)
        paid = (
            BookingChange(payment_status=PaymentStatus.REFUNDED.value)
            if booking.payment_auth_id
            else NO_CHANGE
        )
        try:
            await self.bookings.transition(
                booking.booking_id,
                BookingStatus.CONFIRMED,
                BookingStatus.CANCELLED_BY_HOTEL,
                event="cancelled_by_hotel",
                detail={"pmsStatus": pms_status[:40], "source": source[:40]},
                change=paid,
            )
        except StaleBookingState:  # a guest cancellation got there first; it refunds too
            return False
        log.warning(
            "booking_cancelled_by_hotel",
            booking_id=booking.booking_id,
            hotel_id=booking.hotel_id,
            pms_reservation_id=booking.pms_reservation_id,
        )
        await self.alerts.alert(
            "booking_cancelled_by_hotel",
            booking.booking_id,
            "호텔이 PMS에서 확정된 예약을 취소했습니다; 고객에게 환불했습니다",
            hotel_id=booking.hotel_id,
            vendor=booking.vendor,
            pms_reservation_id=booking.pms_reservation_id,
            amount=booking.total_minor,
            currency=booking.currency,
        )
        return True

    async def _refer_to_operator(
        self, booking: Booking, reservations: list[str], *, pms_status: str, source: str
    ) -> None:
        detail = {"pmsStatus": pms_status[:40], "source": source[:40], "reservations": len(reservations)}
        await self.bookings.add_event(booking.booking_id, "hotel_cancelled_part_of_group", detail)
        log.warning(
            "group_reservation_cancelled_by_hotel",
            booking_id=booking.booking_id,
            hotel_id=booking.hotel_id,
            reservations=len(reservations),
        )
        await self.alerts.alert(
            "group_reservation_cancelled_by_hotel",
            booking.booking_id,
            "호텔이 여러 객실 예약 중 일부를 PMS에서 취소했습니다; 자동 환불하지 않았습니다 (운영자 확인)",
            hotel_id=booking.hotel_id,
            vendor=booking.vendor,
            reservations=",".join(reservations)[:200],
            amount=booking.total_minor,
            currency=booking.currency,
        )

    async def _refund(self, booking: Booking) -> None:
        if not booking.payment_auth_id:
            return
        gateway = self.gateways(booking.payment_provider or "sandbox")
        try:
            state = await gateway.get_status(booking.payment_auth_id)
            if state is PaymentStatus.CAPTURED:
                await gateway.refund(
                    booking.payment_auth_id, booking.booking_id, booking.amount, "cancelled by hotel"
                )
            elif state is PaymentStatus.AUTHORIZED:
                await gateway.void(booking.payment_auth_id, booking.booking_id)
            elif state not in {PaymentStatus.VOIDED, PaymentStatus.REFUNDED}:
                raise RefundNotSettled(f"payment state {state.value}")
        except PaymentError as exc:
            raise RefundNotSettled(f"{gateway.name}: {type(exc).__name__}") from exc
        await self.bookings.add_event(
            booking.booking_id, "payment_refunded", {"authorizationId": booking.payment_auth_id}
        )
