"""A hotel cancelling one reservation of a multi-room Mews group must not refund the whole booking.

The booking's other rooms may still be live at the PMS; a full refund would pay back rooms the guest
keeps. The negative control: the same booking made of one PMS reservation is refunded in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import fakeredis

from roomgate.clock import FakeClock
from roomgate.domain.booking import Booking, BookingStatus
from roomgate.domain.money import Money
from roomgate.payments.base import PaymentSource, PaymentStatus
from roomgate.payments.sandbox import SandboxGateway
from roomgate.services.hotel_cancellation import HotelCancellation
from tests.memory_ledger import MemoryLedger

BOOKING = "bk_group_1"


@dataclass
class RecordedAlerts:
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        self.sent.append((kind, key, details))


@dataclass
class Reservations:
    ids: list[str]

    async def reservation_ids(self, booking_id: str) -> list[str]:
        return list(self.ids) if booking_id == BOOKING else []


async def cancelled_by_hotel(
    reservation_ids: list[str],
) -> tuple[BookingStatus, PaymentStatus, list[str], list[str]]:
    """A confirmed, captured booking made of `reservation_ids`; the PMS says one was cancelled."""
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    ledger = MemoryLedger(clock)
    gateway = SandboxGateway(fakeredis.FakeAsyncRedis(decode_responses=True))
    amount = Money.of(Decimal("500000"), "KRW")
    authorization = await gateway.authorize(BOOKING, amount, PaymentSource(card_token="tok_visa_1234"))
    await gateway.capture(authorization, BOOKING)
    now = datetime.fromtimestamp(clock.now(), UTC)
    await ledger.create(
        Booking(
            booking_id=BOOKING,
            vendor="mews",
            hotel_id="hotel_555",
            room_type_id="room_a",
            check_in=date(2027, 1, 10),
            check_out=date(2027, 1, 12),
            adults=2,
            children=0,
            status=BookingStatus.CONFIRMED,
            currency="KRW",
            total_minor=500000,
            total_price=Decimal("500000"),
            created_at=now,
            updated_at=now,
            payment_provider="sandbox",
            payment_auth_id=authorization.authorization_id,
            payment_status=PaymentStatus.CAPTURED.value,
            pms_reservation_id=reservation_ids[0],
        )
    )
    alerts = RecordedAlerts()
    cancellation = HotelCancellation(
        ledger, lambda _name: gateway, alerts, rooms=Reservations(reservation_ids)
    )
    await cancellation.apply(await ledger.get(BOOKING), pms_status="Canceled", source="reservation/updated")
    booking = await ledger.get(BOOKING)
    events = [event.event for event in await ledger.events(BOOKING)]
    return (
        BookingStatus(booking.status),
        await gateway.get_status(authorization.authorization_id),
        events,
        [kind for kind, _key, _details in alerts.sent],
    )


async def test_one_cancelled_reservation_of_a_group_is_not_refunded_but_referred_to_an_operator() -> None:
    status, payment, events, alerts = await cancelled_by_hotel(["res_1", "res_2", "res_3"])
    assert (status, payment) == (BookingStatus.CONFIRMED, PaymentStatus.CAPTURED)
    assert events[-1] == "hotel_cancelled_part_of_group"
    assert alerts == ["group_reservation_cancelled_by_hotel"]


async def test_negative_control_a_booking_of_one_reservation_is_refunded_in_full() -> None:
    status, payment, events, alerts = await cancelled_by_hotel(["res_1"])
    assert (status, payment) == (BookingStatus.CANCELLED_BY_HOTEL, PaymentStatus.REFUNDED)
    assert "cancelled_by_hotel" in events
    assert alerts == ["booking_cancelled_by_hotel"]
