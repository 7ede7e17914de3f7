"""A multi-room checkout whose process dies at each saga fault point, then the recovery job: the
booking ends confirmed with every room booked and the one payment captured, or failed with no room
booked, the payment voided (or never taken) and the whole hold released — never anything between."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from tests.e2e.multiroom_support import held, live_reservations, priced, rooms_body
from tests.e2e.saga_harness import DiesAt, running_roomgate, running_vendors, stay

# Where the process dies → how recovery must settle it.
EXPECTED = {
    "after_hold": "failed",
    "after_authorize": "failed",
    "after_pms_create": "confirmed",
    "after_pms_confirm": "confirmed",
    "after_capture": "confirmed",
}


@pytest.mark.parametrize("vendor", ["cloudbeds", "mews"])
@pytest.mark.parametrize("point", list(EXPECTED))
async def test_killed_at_each_point_with_several_rooms_then_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str, point: str
) -> None:
    with running_vendors(vendor) as vendors:
        # recovery comes 30 s after the crash, before Mews releases an Optional group (the 180 s hold)
        async with running_roomgate(
            f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch, ROOMGATE_RECOVERY_AFTER_SECONDS="30"
        ) as roomgate:
            # given a family's 3-room checkout (2 Deluxe Doubles + 1 Family Suite) that dies at `point`
            start, end = stay(offset_days=40)
            nights = [start, start + timedelta(days=1)]
            roomgate.container.checkout.faults = DiesAt(point=point)
            body = rooms_body(start, end, vendor=vendor)
            await priced(roomgate, body)
            await roomgate.checkout_dies(body)
            booking = await roomgate.only_booking()
            assert await held(roomgate, "room_456", nights) == [2, 2]  # the hold outlived the process
            # when the recovery job finds it (its lease ran out)
            await roomgate.age(booking.booking_id)
            report = await roomgate.container.recovery.run_once()
            # then it is settled as expected, all rooms together
            after = await roomgate.booking(booking.booking_id)
            assert after.status == EXPECTED[point], (report, after.error_code)
            live = live_reservations(vendors, vendor, booking.booking_id)
            gateway = roomgate.container.gateway("sandbox")
            payment = await gateway.get_status(after.payment_auth_id) if after.payment_auth_id else None
            if after.status == BookingStatus.CONFIRMED.value:
                assert payment is PaymentStatus.CAPTURED
                if vendor == "cloudbeds":
                    assert [(r["rooms"], r["status"]) for r in live] == [(3, "confirmed")]
                else:
                    assert sorted(r["roomTypeId"] for r in live) == ["room_456", "room_456", "room_458"]
                    assert {r["status"] for r in live} == {"Confirmed"}
            else:
                assert live == []
                assert payment in (None, PaymentStatus.VOIDED)
                if point == "after_authorize":
                    assert payment is PaymentStatus.VOIDED
            # and no room of either type is held any more (released, or become the booking)
            assert await held(roomgate, "room_456", nights) == [0, 0]
            assert await held(roomgate, "room_458", nights) == [0, 0]
            # a second round finds nothing left to do
            again = await roomgate.container.recovery.run_once()
            assert again.confirmed == again.failed == again.deferred == []


async def test_a_mews_group_whose_hold_lapsed_before_recovery_is_cancelled_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("mews") as vendors:
        # recovery comes 30 s after the crash, before Mews releases an Optional group (the 180 s hold)
        async with running_roomgate(
            f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch, ROOMGATE_RECOVERY_AFTER_SECONDS="30"
        ) as roomgate:
            # given the group was made (Optional), the process died before confirming any of it
            start, end = stay(offset_days=41)
            roomgate.container.checkout.faults = DiesAt(point="after_pms_create")
            body = rooms_body(start, end, vendor="mews")
            await priced(roomgate, body)
            await roomgate.checkout_dies(body)
            booking = await roomgate.only_booking()
            made = [r for r in vendors.state("mews")["reservations"] if r["externalId"] == booking.booking_id]
            assert len(made) == 3 and {r["status"] for r in made} == {"Optional"}
            # and one room of it was released by the PMS (cancelled by the hotel) before recovery came
            connector = await roomgate.container.connector("mews", booking.hotel_id)
            await connector.cancel_reservation(made[1]["reservationId"])
            # when
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()
            # then not 2 of 3 rooms confirmed and charged in full: every room cancelled, money voided
            after = await roomgate.booking(booking.booking_id)
            assert after.status == BookingStatus.FAILED.value
            assert live_reservations(vendors, "mews", booking.booking_id) == []
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(after.payment_auth_id or "") is PaymentStatus.VOIDED


async def test_a_mews_group_released_by_the_pms_before_recovery_fails_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("mews") as vendors:
        # recovery comes after the default window (300 s): Mews has released the 180 s Optional group
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            start, end = stay(offset_days=42)
            roomgate.container.checkout.faults = DiesAt(point="after_pms_create")
            body = rooms_body(start, end, vendor="mews")
            await priced(roomgate, body)
            await roomgate.checkout_dies(body)
            booking = await roomgate.only_booking()
            # when
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()
            # then nothing is confirmed or charged, and no room of the group is live
            after = await roomgate.booking(booking.booking_id)
            assert after.status == BookingStatus.FAILED.value
            assert live_reservations(vendors, "mews", booking.booking_id) == []
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(after.payment_auth_id or "") is PaymentStatus.VOIDED


async def test_a_retry_of_a_multi_room_checkout_recovery_confirmed_gets_its_rooms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(
            f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch, ROOMGATE_RECOVERY_AFTER_SECONDS="30"
        ) as roomgate:
            # given a 3-room checkout under an Idempotency-Key whose process died after the PMS confirmed
            start, end = stay(offset_days=44)
            roomgate.container.checkout.faults = DiesAt(point="after_pms_confirm")
            body = rooms_body(start, end, vendor="cloudbeds")
            await priced(roomgate, body)
            await roomgate.checkout_dies(body, key="family-trip-1")
            booking = await roomgate.only_booking()
            # and recovery that confirmed it
            await roomgate.age(booking.booking_id)
            assert (await roomgate.container.recovery.run_once()).confirmed == [booking.booking_id]
            # when the client retries with the same key and body
            retry = await roomgate.checkout(body, key="family-trip-1")
            # then it is told the booking, room lines included, as the first answer would have been
            assert retry.status_code == 200, retry.text
            answer = retry.json()
            assert answer["bookingId"] == booking.booking_id
            lines = {(r["roomTypeId"], r["quantity"]) for r in answer["rooms"]}
            assert lines == {(line["roomTypeId"], line["quantity"]) for line in body["rooms"]}
