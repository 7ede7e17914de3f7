"""Recovery adopting a PMS reservation it finds by our booking id must check that it is still a booking.

Mews holds a room with an `Optional` reservation that the PMS releases at `ReleasedUtc` (our hold
window). A saga that dies between `reservations/add` and `reservations/confirm` leaves exactly that
behind; recovery runs later than the release, so what it finds is a cancelled reservation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from tests.e2e.saga_harness import HOTEL, DiesAt, checkout_body, running_roomgate, running_vendors, stay


def _live(reservations: list[dict[str, object]], booking_id: str) -> list[dict[str, object]]:
    live = {"Confirmed", "Optional"}
    return [r for r in reservations if r["externalId"] == booking_id and r["status"] in live]


@pytest.mark.parametrize(("late_by_seconds", "expected"), [(600, "failed"), (60, "confirmed")])
async def test_recovery_never_confirms_a_booking_on_an_unconfirmed_mews_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late_by_seconds: int, expected: str
) -> None:
    # given a Mews hotel (holds released after 180 s), sagas whose lease lapses after 30 s, and a saga
    # that dies right after the PMS created the Optional reservation
    with running_vendors("mews") as vendors:
        database = f"sqlite:///{tmp_path}/ledger.db"
        async with running_roomgate(
            database, vendors, monkeypatch, ROOMGATE_RECOVERY_AFTER_SECONDS="30"
        ) as roomgate:
            roomgate.container.checkout.faults = DiesAt(point="after_pms_create")
            start, end = stay(offset_days=30)
            await roomgate.checkout_dies(checkout_body(start, end, vendor="mews"))
            booking = await roomgate.only_booking()
            assert booking.status == BookingStatus.AUTHORIZED.value
            [optional] = vendors.state("mews")["reservations"]
            assert optional["status"] == "Optional"
            # when recovery runs `late_by_seconds` later (600: the PMS has released the hold by then;
            # 60: it would release it after recovery left)
            vendors.clock.advance(late_by_seconds)
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()
            vendors.clock.advance(3600)  # and time goes on past any release time
            # then the booking ended in an allowed state: confirmed on a confirmed reservation, or failed
            after = await roomgate.booking(booking.booking_id)
            gateway = roomgate.container.gateway("sandbox")
            payment = await gateway.get_status(after.payment_auth_id or "")
            live = _live(vendors.state("mews")["reservations"], booking.booking_id)
            if after.status == BookingStatus.CONFIRMED.value:
                assert payment is PaymentStatus.CAPTURED
                assert [r["status"] for r in live] == ["Confirmed"]
            else:
                assert after.status == BookingStatus.FAILED.value
                assert payment is PaymentStatus.VOIDED and live == []
            # and recovery went forward exactly when the PMS still held the room
            assert after.status == expected


async def test_recovery_never_captures_for_a_reservation_the_hotel_cancelled_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a saga that died right after the PMS confirmed (booking `reserved`, money only authorised)
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            roomgate.container.checkout.faults = DiesAt(point="after_pms_confirm")
            start, end = stay(offset_days=31)
            await roomgate.checkout_dies(checkout_body(start, end))
            booking = await roomgate.only_booking()
            assert booking.status == BookingStatus.RESERVED.value and booking.pms_reservation_id
            # and the hotel cancels that reservation in its PMS before recovery comes by
            connector = await roomgate.container.connector("cloudbeds", HOTEL)
            await connector.cancel_reservation(booking.pms_reservation_id)
            # when recovery runs
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()
            # then the guest is not charged for a stay the PMS no longer holds
            after = await roomgate.booking(booking.booking_id)
            payment = await roomgate.container.gateway("sandbox").get_status(after.payment_auth_id or "")
            assert after.status == BookingStatus.FAILED.value
            assert payment is PaymentStatus.VOIDED
