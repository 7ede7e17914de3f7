"""Cloudbeds connector against the Cloudbeds simulator: reads, reservations and inventory effects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from roomgate.domain.money import Money
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSBadRequest, PMSNotFound, PMSSoldOut
from roomgate.pms.types import GuestInfo, ReservationRequest, ReservationStatus
from tests.contract.pms.harness import SimHarness

MAR_1, MAR_2, MAR_3, MAR_4 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR", "04524")


def booking(
    external_id: str,
    room_type: str = "room_456",
    check_in: date = MAR_1,
    check_out: date = MAR_3,
) -> ReservationRequest:
    return ReservationRequest(external_id, room_type, check_in, check_out, 2, 0, GUEST)


async def free_rooms(
    connector: PMSConnector, room_type: str, start: date = MAR_1, end: date = MAR_4
) -> list[int]:
    return [night.available for night in await connector.get_inventory([room_type], start, end)]


async def test_the_connector_satisfies_the_port(cloudbeds: SimHarness) -> None:
    # given / when
    connector = cloudbeds.cloudbeds()
    # then
    assert isinstance(connector, PMSConnector)
    assert connector.vendor == "cloudbeds"


async def test_hotel_details_come_from_get_hotel_details_and_get_hotels(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    # when
    hotel = await connector.get_hotel_details()
    # then
    assert (hotel.hotel_id, hotel.name, hotel.currency) == ("hotel_123", "Roomgate Demo Hotel Seoul", "KRW")
    assert (hotel.timezone, hotel.city, hotel.country) == ("Asia/Seoul", "Seoul", "KR")
    assert hotel.latitude == pytest.approx(37.5663)


async def test_room_types_are_read_page_by_page_until_a_short_page(cloudbeds: SimHarness) -> None:
    # given a property with 25 room types and a page size of 10
    room_types = [
        {"id": f"rt_{i:02d}", "name": f"Type {i}", "maxGuests": 2, "totalRooms": 1, "nightlyRate": "1000"}
        for i in range(25)
    ]
    await cloudbeds.control("PUT", "/_sim/properties/big_hotel", {"name": "Big", "roomTypes": room_types})
    connector = cloudbeds.cloudbeds(hotel_id="big_hotel", page_size=10)
    # when
    found = await connector.get_room_types()
    # then every room type arrives, in three pages
    assert [rt.room_type_id for rt in found] == [f"rt_{i:02d}" for i in range(25)]
    assert await cloudbeds.calls("getRoomTypes") == 3


async def test_the_demo_room_costs_exactly_125000_krw_a_night_with_five_rooms(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    # when
    rates = await connector.get_rates(["room_456"], MAR_1, MAR_3, 2, 0)
    inventory = await connector.get_inventory(["room_456"], MAR_1, MAR_3)
    # then one entry per night, money exact as Decimal
    assert [(r.date, r.price) for r in rates] == [
        (MAR_1, Money(Decimal(125000), "KRW")),
        (MAR_2, Money(Decimal(125000), "KRW")),
    ]
    assert {r.rate_plan_id for r in rates} == {"rate_room_456"}
    assert [(n.date, n.available) for n in inventory] == [(MAR_1, 5), (MAR_2, 5)]


async def test_a_reservation_takes_every_night_and_cancelling_gives_them_back(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    # when
    created = await connector.create_reservation(booking("bk_take"))
    after_booking = await free_rooms(connector, "room_456")
    await connector.cancel_reservation(created.reservation_id)
    after_cancel = await free_rooms(connector, "room_456")
    # then nights 1 and 2 were taken, the check-out night never was
    assert created.status is ReservationStatus.CONFIRMED
    assert created.total == Money(Decimal(250000), "KRW")
    assert (created.external_id, created.check_in, created.check_out) == ("bk_take", MAR_1, MAR_3)
    assert after_booking == [4, 4, 5]
    assert after_cancel == [5, 5, 5]


async def test_a_stay_short_on_one_night_is_refused_whole(cloudbeds: SimHarness) -> None:
    # given only one room left on the second night
    await cloudbeds.control(
        "PUT",
        "/_sim/properties/hotel_123/inventory",
        {"roomTypeId": "room_456", "from": "2026-03-02", "to": "2026-03-03", "available": 1},
    )
    connector = cloudbeds.cloudbeds()
    await connector.create_reservation(booking("bk_first"))
    # when
    with pytest.raises(PMSSoldOut) as refused:
        await connector.create_reservation(booking("bk_second"))
    # then nothing of the refused stay was taken
    assert await free_rooms(connector, "room_456") == [4, 0, 5]
    assert "cloudbeds/hotel_123" in str(refused.value)


async def test_pending_reservations_are_confirmed_once(cloudbeds: SimHarness) -> None:
    # given Busan's policy leaves new reservations not_confirmed
    connector = cloudbeds.cloudbeds(hotel_id="hotel_777")
    created = await connector.create_reservation(booking("bk_busan", room_type="room_771"))
    # when
    confirmed = await connector.confirm_reservation(created.reservation_id)
    again = await connector.confirm_reservation(created.reservation_id)
    # then
    assert created.status is ReservationStatus.TENTATIVE
    assert (confirmed.status, again.status) == (ReservationStatus.CONFIRMED, ReservationStatus.CONFIRMED)
    assert await cloudbeds.calls("putReservation") == 1


async def test_a_cancelled_reservation_cannot_be_confirmed(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds(hotel_id="hotel_777")
    created = await connector.create_reservation(booking("bk_gone", room_type="room_771"))
    await connector.cancel_reservation(created.reservation_id)
    # when / then
    with pytest.raises(PMSBadRequest):
        await connector.confirm_reservation(created.reservation_id)


async def test_cancelling_twice_succeeds_and_returns_the_rooms_once(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    created = await connector.create_reservation(booking("bk_twice"))
    # when
    await connector.cancel_reservation(created.reservation_id)
    await connector.cancel_reservation(created.reservation_id)
    # then
    assert (await connector.get_reservation(created.reservation_id)).status is ReservationStatus.CANCELLED
    assert await free_rooms(connector, "room_456") == [5, 5, 5]


async def test_reservations_are_found_by_our_booking_id_across_pages(cloudbeds: SimHarness) -> None:
    # given five reservations and a page size of 2
    connector = cloudbeds.cloudbeds(page_size=2)
    for index in range(5):
        await connector.create_reservation(booking(f"bk_{index}", room_type="room_457"))
    # when
    found = await connector.find_reservation_by_external_id("bk_4")
    missing = await connector.find_reservation_by_external_id("bk_unknown")
    # then
    assert found is not None and found.external_id == "bk_4" and found.room_type_id == "room_457"
    assert missing is None
    assert await cloudbeds.calls("getReservations") == 6  # three pages for each search


async def test_a_live_reservation_wins_over_a_cancelled_duplicate(cloudbeds: SimHarness) -> None:
    # given a retry that booked twice, the first one cancelled
    connector = cloudbeds.cloudbeds()
    first = await connector.create_reservation(booking("bk_dup"))
    second = await connector.create_reservation(booking("bk_dup"))
    await connector.cancel_reservation(first.reservation_id)
    # when
    found = await connector.find_reservation_by_external_id("bk_dup")
    # then
    assert found is not None and found.reservation_id == second.reservation_id


async def test_an_unknown_reservation_is_not_found(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    # when / then
    with pytest.raises(PMSNotFound):
        await connector.get_reservation("9999999999999")


async def test_too_many_guests_is_a_bad_request_not_sold_out(cloudbeds: SimHarness) -> None:
    # given
    connector = cloudbeds.cloudbeds()
    request = ReservationRequest("bk_crowd", "room_456", MAR_1, MAR_3, 3, 1, GUEST)
    # when / then
    with pytest.raises(PMSBadRequest):
        await connector.create_reservation(request)
    assert await free_rooms(connector, "room_456") == [5, 5, 5]
