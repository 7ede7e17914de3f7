"""What webhook events do to the cache and the ledger, against the Cloudbeds simulator."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from roomgate.cache import keys
from roomgate.cache.client import fresh_in_process_redis
from roomgate.ledger.models import Listing, RoomTypeRow
from roomgate.payments.base import PaymentStatus
from roomgate.simulators.pms_state import nights
from roomgate.simulators.seed import DEMO_PROPERTIES
from tests.fake_keys import cloudbeds_key
from tests.integration.webhook_world import HOTEL, ROOM, World, checkout_body, stay, webhook_world


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    redis = fresh_in_process_redis()
    async with webhook_world(redis, str(tmp_path), monkeypatch) as w:
        yield w
    await redis.aclose()


async def warm(world: World, start: Any, end: Any) -> None:
    await world.container.refresher.refresh_nights("cloudbeds", HOTEL, [ROOM], start, end)


def cloudbeds_event(event: str, reservation_id: str, timestamp: float, **extra: Any) -> dict[str, Any]:
    return {
        "reservationID": reservation_id,
        "propertyID": HOTEL,
        "propertyID_str": HOTEL,
        **extra,
        "version": "1.0",
        "event": event,
        "timestamp": timestamp,
    }


async def other_channel_books(world: World, start: Any, end: Any, quantity: int = 1) -> list[str]:
    body = {"roomTypeId": ROOM, "from": start.isoformat(), "to": end.isoformat(), "quantity": quantity}
    answer = await world.sim.post(f"/_sim/properties/{HOTEL}/reservations", json=body)
    answer.raise_for_status()
    return list(answer.json()["reservationIds"])


async def test_inventory_update_refreshes_exactly_the_named_nights_and_bumps_the_view_version(
    world: World,
) -> None:
    # given four nights cached at 5 rooms, then every one of them closed in the PMS
    start, end = stay(offset_days=30, nights=4)
    await warm(world, start, end)
    await world.set_pms_inventory(0, start, end)
    version = await world.redis.get(keys.view_version(HOTEL))
    # when the PMS says only nights 2 and 3 changed
    event = world.spec_event(
        roomTypeId=ROOM, **{"from": str(start + timedelta(1)), "to": str(start + timedelta(3))}
    )
    assert (await world.post_signed(event)).status_code == 200
    assert await world.drain() == ["processed"]
    # then exactly those nights were re-read, and readers see a new view version
    assert await world.cached_available(start, end) == [5, 0, 0, 5]
    assert await world.redis.get(keys.view_version(HOTEL)) != version


async def test_another_channels_booking_refreshes_the_nights_it_touches(world: World) -> None:
    # given the last room of a stay is cached as free
    start, end = stay(offset_days=31)
    await world.set_pms_inventory(1, start, end)
    await warm(world, start, end)
    assert await world.cached_available(start, end) == [1, 1]
    # when another channel books it and Cloudbeds sends its thin event
    (reservation,) = await other_channel_books(world, start, end)
    event = cloudbeds_event("reservation/created", reservation, world.clock.now(), startDate=str(start))
    assert (await world.post_native("cloudbeds", event)).status_code == 200
    assert await world.drain() == ["processed"]
    # then the cache shows it sold out
    assert await world.cached_available(start, end) == [0, 0]


async def test_a_date_change_refreshes_the_old_and_the_new_nights(world: World) -> None:
    # given another channel's reservation on nights A, seen through its created event
    old_in, old_out = stay(offset_days=50)
    new_in, new_out = stay(offset_days=60)
    await warm(world, old_in, old_out)
    await warm(world, new_in, new_out)
    (reservation,) = await other_channel_books(world, old_in, old_out)
    await world.post_native("cloudbeds", cloudbeds_event("reservation/created", reservation, 1.0))
    await world.drain()
    assert await world.cached_available(old_in, old_out) == [4, 4]
    # when the hotel moves it to nights B in the PMS (the payload names no old dates)
    sim = world.sim_app.state.simulator
    res = sim.state.reservations[reservation]
    book = sim.state.properties[HOTEL]
    book.give_back(ROOM, nights(old_in, old_out))
    res.check_in, res.check_out = new_in, new_out
    book.try_take(ROOM, nights(new_in, new_out))
    moved = cloudbeds_event("reservation/dates_changed", reservation, 2.0)
    assert (await world.post_native("cloudbeds", moved)).status_code == 200
    assert await world.drain() == ["processed"]
    # then both the nights it left and the nights it took are right
    assert await world.cached_available(old_in, old_out) == [5, 5]
    assert await world.cached_available(new_in, new_out) == [4, 4]


async def test_events_out_of_order_leave_the_cache_as_the_pms_is_now(world: World) -> None:
    # given another channel booked and then cancelled (the PMS has all 5 rooms free again)
    start, end = stay(offset_days=33)
    await warm(world, start, end)
    (reservation,) = await other_channel_books(world, start, end)
    created = cloudbeds_event("reservation/created", reservation, 1.0, startDate=str(start), endDate=str(end))
    cancel = await world.sim.put(
        "/api/v1.3/putReservation",
        data={"propertyID": HOTEL, "reservationID": reservation, "status": "canceled"},
        headers={"x-api-key": cloudbeds_key("hotel_staff")},
    )
    assert cancel.json()["success"] is True
    cancelled = cloudbeds_event("reservation/status_changed", reservation, 2.0, status="canceled")
    # when the events arrive newest first
    await world.post_native("cloudbeds", cancelled)
    await world.drain()
    await world.post_native("cloudbeds", created)
    assert await world.drain() == ["processed"]
    # then the late "created" did not take a room away: state was re-read, not replayed
    assert await world.cached_available(start, end) == [5, 5]


async def test_a_hotel_side_cancellation_of_our_booking_refunds_the_guest_and_alerts(world: World) -> None:
    # given a confirmed booking of ours
    start, end = stay(offset_days=34)
    answer = await world.http.post("/api/booking/checkout", json=checkout_body(start, end))
    assert answer.status_code == 200, answer.text
    booking_id = answer.json()["bookingId"]
    booking = await world.container.bookings.get(booking_id)
    assert booking.status == "confirmed"
    # when the hotel cancels it in its PMS and the event arrives
    cancel = await world.sim.put(
        "/api/v1.3/putReservation",
        data={"propertyID": HOTEL, "reservationID": booking.pms_reservation_id, "status": "canceled"},
        headers={"x-api-key": cloudbeds_key("hotel_staff")},
    )
    assert cancel.json()["success"] is True
    event = cloudbeds_event(
        "reservation/status_changed", str(booking.pms_reservation_id), 3.0, status="canceled"
    )
    await world.post_native("cloudbeds", event)
    assert await world.drain() == ["processed"]
    # then the booking has its own state, the guest got the money back, an operator was told
    booking = await world.container.bookings.get(booking_id)
    assert booking.status == "cancelled_by_hotel"
    shown = (await world.http.get(f"/api/bookings/{booking_id}")).json()
    assert shown["status"] == "cancelled_by_hotel" and shown["paymentStatus"] == "refunded"
    gateway = world.container.gateway(booking.payment_provider or "sandbox")
    assert await gateway.get_status(str(booking.payment_auth_id)) is PaymentStatus.REFUNDED
    assert [a[:2] for a in world.alerts.sent] == [("booking_cancelled_by_hotel", booking_id)]
    assert await world.cached_available(start, end) == [5, 5]
    # and the same event again changes nothing (no second refund, no second alert)
    world.clock.advance(1)
    await world.post_native("cloudbeds", {**event, "timestamp": 4.0})
    await world.drain()
    assert len(world.alerts.sent) == 1
    assert [e.event for e in await world.container.bookings.events(booking_id)].count("payment_refunded") == 1


async def test_room_update_refreshes_the_room_types_in_the_cache_and_the_database(world: World) -> None:
    # given an imported room type row and a cached room-type list
    async with world.container.sessions.begin() as session:
        listing = Listing(name="Seoul")
        session.add(listing)
        await session.flush()
        session.add(
            RoomTypeRow(
                listing_id=listing.id,
                pms_vendor="cloudbeds",
                pms_hotel_id=HOTEL,
                pms_room_type_id=ROOM,
                name="old",
            )
        )
    await world.container.refresher.refresh_room_types("cloudbeds", HOTEL)
    # when the hotel renames the room type in its PMS and says so
    seed = copy.deepcopy(DEMO_PROPERTIES[HOTEL])
    seed["roomTypes"][0]["name"] = "Deluxe Double (renovated)"
    (await world.sim.put(f"/_sim/properties/{HOTEL}", json=seed)).raise_for_status()
    await world.post_signed(world.spec_event(type="room_update"))
    assert await world.drain() == ["processed"]
    # then both copies carry the new name
    cached = await world.container.inventory.get_room_types(HOTEL)
    assert cached is not None and cached.find(ROOM).name == "Deluxe Double (renovated)"  # type: ignore[union-attr]
    async with world.container.sessions() as session:
        row = await session.get(RoomTypeRow, 1)
    assert row is not None and row.name == "Deluxe Double (renovated)"


@pytest.mark.parametrize("learns", [True, False], ids=["learns", "negative-control"])
async def test_a_sold_out_refusal_teaches_the_cache_before_the_next_guest_pays(
    world: World, learns: bool
) -> None:
    # given the cache still offers the last room that another channel sold (no webhook came)
    start, end = stay(offset_days=35)
    await world.set_pms_inventory(1, start, end)
    await warm(world, start, end)
    await world.set_pms_inventory(0, start, end)
    if not learns:
        world.container.checkout.refresher = None
    # when a guest checks out: the PMS refuses the reservation
    first = await world.http.post("/api/booking/checkout", json=checkout_body(start, end))
    assert first.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
    # then the next guest is told 재고 부족 before any payment (without learning: the PMS refuses again)
    second = await world.http.post("/api/booking/checkout", json=checkout_body(start, end))
    if learns:
        assert second.status_code == 409
        assert second.json()["errorCode"] == "INVENTORY_UNAVAILABLE"
        assert "재고 부족" in second.json()["error"]
    else:
        assert second.json()["errorCode"] == "BOOKING_CONFIRM_FAILED"
