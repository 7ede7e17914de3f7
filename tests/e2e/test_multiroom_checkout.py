"""Several rooms in one checkout over HTTP, against the Cloudbeds and Mews simulators: one hold, one
pre-authorisation, one PMS booking for every room — or nothing; bad requests change nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from tests.e2e.multiroom_support import counts, held, live_reservations, priced, rooms_body
from tests.e2e.saga_harness import HOTEL, checkout_body, running_roomgate, running_vendors, stay

VENDORS = ["cloudbeds", "mews"]


@pytest.mark.parametrize("vendor", VENDORS)
async def test_a_family_books_three_rooms_of_two_types_in_one_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str
) -> None:
    with running_vendors(vendor) as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given 2 Deluxe Doubles (2 adults each) and a Family Suite (2 adults, 2 children), 2 nights
            start, end = stay(offset_days=30)
            body = rooms_body(start, end, vendor=vendor)
            quote = await priced(roomgate, body)  # each room for its party, taxes included
            line_totals = [q.total.minor for q in quote.lines]
            assert sum(line_totals) == quote.total.minor
            # when
            response = await roomgate.checkout(body, key="family-1")
            # then one confirmed booking listing its rooms
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["rooms"] == [
                {
                    "roomTypeId": "room_456",
                    "quantity": 2,
                    "adults": 2,
                    "children": 0,
                    "amount": line_totals[0],
                },
                {
                    "roomTypeId": "room_458",
                    "quantity": 1,
                    "adults": 2,
                    "children": 2,
                    "amount": line_totals[1],
                },
            ]
            booking = await roomgate.booking(answer["bookingId"])
            assert booking.status == BookingStatus.CONFIRMED.value
            assert (booking.room_type_id, booking.adults, booking.children) == ("room_456", 6, 2)
            assert booking.total_minor == quote.total.minor
            # one pre-authorisation for the total, captured
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(booking.payment_auth_id or "") is PaymentStatus.CAPTURED
            # the PMS holds every room: Cloudbeds one reservation with 3 rooms, Mews 3 reservations
            live = live_reservations(vendors, vendor, booking.booking_id)
            if vendor == "cloudbeds":
                assert [(r["rooms"], r["status"]) for r in live] == [(3, "confirmed")]
            else:
                assert sorted(r["roomTypeId"] for r in live) == ["room_456", "room_456", "room_458"]
                assert {r["status"] for r in live} == {"Confirmed"}
            stored = await roomgate.container.booking_rooms.lines(booking.booking_id)
            assert [(s.line.room_type_id, s.line.quantity, s.total_minor) for s in stored] == [
                ("room_456", 2, line_totals[0]),
                ("room_458", 1, line_totals[1]),
            ]
            made = [rid for s in stored for rid in s.pms_reservation_ids]
            assert sorted(made) == sorted(r["reservationId"] for r in live)
            # the booking's status page lists the lines with their PMS reservations
            detail = (await roomgate.client.get(f"/api/bookings/{booking.booking_id}")).json()
            assert [(r["roomTypeId"], r["quantity"], r["amount"]) for r in detail["rooms"]] == [
                ("room_456", 2, line_totals[0]),
                ("room_458", 1, line_totals[1]),
            ]
            assert sorted(rid for r in detail["rooms"] for rid in r["pmsReservationIds"]) == sorted(made)
            # the hold became the booking: nothing held any more
            nights = [start, start + timedelta(days=1)]
            assert await held(roomgate, "room_456", nights) == [0, 0]
            # and the same key with the same body replays the answer, booking nothing more
            again = await roomgate.checkout(body, key="family-1")
            assert again.status_code == 200 and again.json() == answer
            assert again.headers.get("idempotent-replayed") == "true"
            assert len(live_reservations(vendors, vendor)) == len(live)


@pytest.mark.parametrize("vendor", VENDORS)
async def test_one_room_type_short_books_nothing_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str
) -> None:
    with running_vendors(vendor) as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given the hotel's 2 Family Suites, and a request for 3 of them beside 2 Deluxe Doubles
            start, end = stay(offset_days=32)
            rooms = [
                {"roomTypeId": "room_456", "quantity": 2, "adults": 2},
                {"roomTypeId": "room_458", "quantity": 3, "adults": 2},
            ]
            # when
            response = await roomgate.checkout(rooms_body(start, end, rooms, vendor=vendor))
            # then refused for the short type, before anything was held, charged or booked
            assert response.status_code == 409, response.text
            assert response.json()["errorCode"] == "INVENTORY_UNAVAILABLE"
            assert "room_458" in response.json()["error"]
            assert live_reservations(vendors, vendor) == []
            assert await counts(roomgate) == (0, 0)


async def test_the_pms_refusing_one_type_after_the_hold_undoes_every_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("mews") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given our cache believes the Family Suites are free, but the PMS sold them elsewhere
            start, end = stay(offset_days=33)
            body = rooms_body(start, end, vendor="mews")
            await priced(roomgate, body)
            for room in ("room_456", "room_458"):  # a wrong amount is refused, after the cache was filled
                warm = {**checkout_body(start, end, vendor="mews", price=1), "roomTypeId": room}
                assert (await roomgate.checkout(warm)).status_code == 400
            connector = await roomgate.container.connector("mews", HOTEL)
            await _sell_elsewhere(vendors, "mews", "room_458", start, end)
            # when
            response = await roomgate.checkout(body)
            # then the PMS refusal undid everything: no reservation, the one pre-authorisation voided
            assert response.status_code == 502, response.text
            assert response.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
            assert live_reservations(vendors, "mews") == []
            booking = await roomgate.booking(response.headers["x-booking-id"])
            assert booking.status == BookingStatus.FAILED.value
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(booking.payment_auth_id or "") is PaymentStatus.VOIDED
            nights = [start, start + timedelta(days=1)]
            assert await held(roomgate, "room_456", nights) == [0, 0]
            assert [n.available for n in await connector.get_inventory(["room_456"], start, end)] == [5, 5]


async def test_a_partly_confirmed_mews_group_is_cancelled_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("mews") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given Mews makes the group, then fails while the rooms are being confirmed
            start, end = stay(offset_days=34)
            body = rooms_body(start, end, vendor="mews")
            await priced(roomgate, body)
            vendors.faults("mews", status=500, endpoints=["reservations/confirm"])
            # when
            response = await roomgate.checkout(body)
            # then every reservation of the group was cancelled, the money voided, the hold released
            vendors.faults("mews")
            assert response.status_code == 502 and response.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
            booking = await roomgate.booking(response.headers["x-booking-id"])
            made = [r for r in vendors.state("mews")["reservations"] if r["externalId"] == booking.booking_id]
            assert len(made) == 3 and {r["status"] for r in made} == {"Canceled"}
            assert booking.status == BookingStatus.FAILED.value
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(booking.payment_auth_id or "") is PaymentStatus.VOIDED
            nights = [start, start + timedelta(days=1)]
            assert await held(roomgate, "room_456", nights) == [0, 0]
            assert await held(roomgate, "room_458", nights) == [0, 0]


BAD_ROOMS: dict[str, Any] = {
    "too many lines": [{"roomTypeId": f"room_{i}", "quantity": 1, "adults": 1} for i in range(11)],
    "too many rooms": [
        {"roomTypeId": "room_456", "quantity": 5, "adults": 1},
        {"roomTypeId": "room_457", "quantity": 6, "adults": 1},
    ],
    "quantity 0": [{"roomTypeId": "room_456", "quantity": 0, "adults": 1}],
    "no adult": [{"roomTypeId": "room_456", "quantity": 1, "adults": 0}],
    "a type twice": [
        {"roomTypeId": "room_456", "quantity": 1, "adults": 1},
        {"roomTypeId": "room_456", "quantity": 1, "adults": 2},
    ],
    "empty list": [],
    "unknown field": [{"roomTypeId": "room_456", "quantity": 1, "adults": 1, "price": 1}],
    "party too big": [{"roomTypeId": "room_456", "quantity": 1, "adults": 3}],
}


async def test_bad_multi_room_requests_are_400_and_store_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            start, end = stay(offset_days=35)
            answers = {}
            for name, rooms in BAD_ROOMS.items():
                body = rooms_body(start, end, rooms)
                answers[name] = await roomgate.checkout(body)
            # a room type the hotel does not have: 404 NOT_FOUND, as for the spec's single-room form
            unknown = rooms_body(start, end, [{"roomTypeId": "room_999", "quantity": 1, "adults": 1}])
            unknown["payment"]["amount"] = 250_000
            missing = await roomgate.checkout(unknown)
            assert (missing.status_code, missing.json()["errorCode"]) == (404, "NOT_FOUND")
            # both forms at once, and neither
            both = {**rooms_body(start, end), "roomTypeId": "room_456"}
            answers["both forms"] = await roomgate.checkout(both)
            with_party = {**rooms_body(start, end), "adults": 2}
            answers["rooms with top-level adults"] = await roomgate.checkout(with_party)
            neither = rooms_body(start, end)
            neither.pop("rooms")
            answers["neither form"] = await roomgate.checkout(neither)
            # then each is a 400 in the spec's error shape, and nothing was stored, held or booked
            shapes = {
                name: (r.status_code, r.json().get("success"), r.json().get("errorCode"))
                for name, r in answers.items()
            }
            assert shapes == {name: (400, False, "VALIDATION_ERROR") for name in answers}, shapes
            assert all(r.json()["error"] for r in answers.values())
            assert await counts(roomgate) == (0, 0)
            assert live_reservations(vendors, "cloudbeds") == []


async def test_the_spec_single_room_request_is_answered_exactly_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            start, end = stay(offset_days=36)
            response = await roomgate.checkout(checkout_body(start, end))
            assert response.status_code == 200, response.text
            assert set(response.json()) == {"success", "bookingId", "confirmationNumber"}
            assert await counts(roomgate) == (1, 0)
            detail = (await roomgate.client.get(f"/api/bookings/{response.json()['bookingId']}")).json()
            assert "rooms" not in detail
            [reservation] = live_reservations(vendors, "cloudbeds")
            assert reservation["rooms"] == 1


async def _sell_elsewhere(vendors: Any, vendor: str, room: str, start: Any, end: Any) -> None:
    import httpx2

    body = {"roomTypeId": room, "from": start.isoformat(), "to": end.isoformat(), "available": 0}
    httpx2.put(
        f"{vendors.urls[vendor]}/_sim/properties/{HOTEL}/inventory", json=body, timeout=10
    ).raise_for_status()


@pytest.mark.parametrize("vendor", VENDORS)
async def test_cancelling_a_multi_room_booking_cancels_every_room_and_refunds_the_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str
) -> None:
    with running_vendors(vendor) as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given a confirmed 3-room booking
            start, end = stay(offset_days=37)
            body = rooms_body(start, end, vendor=vendor)
            await priced(roomgate, body)
            booked = await roomgate.checkout(body)
            assert booked.status_code == 200, booked.text
            booking_id = booked.json()["bookingId"]
            assert live_reservations(vendors, vendor, booking_id)
            # when the guest cancels
            response = await roomgate.client.post(f"/api/bookings/{booking_id}/cancel")
            # then every room's reservation is cancelled and the one payment refunded
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "cancelled"
            assert live_reservations(vendors, vendor, booking_id) == []
            booking = await roomgate.booking(booking_id)
            gateway = roomgate.container.gateway("sandbox")
            assert await gateway.get_status(booking.payment_auth_id or "") is PaymentStatus.REFUNDED
            connector = await roomgate.container.connector(vendor, HOTEL)
            assert [n.available for n in await connector.get_inventory(["room_458"], start, end)] == [2, 2]
