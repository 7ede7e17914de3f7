"""Mews connector against the Mews simulator: reads, Optional holds, confirm, release, cancel, lookup."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from roomgate.domain.money import Money
from roomgate.pms.base import PMSConnector
from roomgate.pms.errors import PMSBadRequest, PMSNotFound, PMSSoldOut
from roomgate.pms.types import GuestInfo, ReservationRequest, ReservationStatus
from tests.contract.pms.harness import SimHarness

MAR_1, MAR_2, MAR_3, MAR_4 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR")


def booking(
    external_id: str,
    room_type: str = "room_456",
    hold: int | None = 180,
    children: int = 0,
) -> ReservationRequest:
    return ReservationRequest(external_id, room_type, MAR_1, MAR_3, 2, children, GUEST, hold_seconds=hold)


async def free_rooms(connector: PMSConnector, room_type: str = "room_456") -> list[int]:
    return [night.available for night in await connector.get_inventory([room_type], MAR_1, MAR_4)]


async def test_the_connector_satisfies_the_port(mews: SimHarness) -> None:
    # given / when
    connector = mews.mews()
    # then
    assert isinstance(connector, PMSConnector)
    assert connector.vendor == "mews"


async def test_hotel_details_come_from_configuration_get(mews: SimHarness) -> None:
    # given
    connector = mews.mews(hotel_id="hotel_777")
    # when
    hotel = await connector.get_hotel_details()
    # then
    assert (hotel.hotel_id, hotel.name, hotel.currency) == ("hotel_777", "Roomgate Demo Hotel Busan", "KRW")
    assert (hotel.timezone, hotel.city, hotel.country) == ("Asia/Seoul", "Busan", "KR")


async def test_setup_is_read_once_per_connector(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when
    await connector.get_room_types()
    await connector.get_inventory(None, MAR_1, MAR_2)
    await connector.get_rates(None, MAR_1, MAR_2, 2, 0)
    # then
    assert await mews.calls("configuration/get") == 1
    assert await mews.calls("services/getAll") == 1


async def test_room_types_are_the_resource_categories_of_the_bookable_service(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when
    room_types = await connector.get_room_types()
    # then
    assert [(rt.room_type_id, rt.name, rt.max_occupancy) for rt in room_types] == [
        ("room_456", "Deluxe Double", 2),
        ("room_457", "Standard Twin", 2),
        ("room_458", "Family Suite", 4),
    ]


async def test_resource_categories_are_paged_by_cursor(mews: SimHarness) -> None:
    # given 250 room types: three pages of at most 100
    room_types = [
        {"id": f"rt_{i:03d}", "name": f"Type {i}", "totalRooms": 1, "nightlyRate": "1000"} for i in range(250)
    ]
    await mews.control("PUT", "/_sim/properties/big_hotel", {"name": "Big", "roomTypes": room_types})
    # when
    found = await mews.mews(hotel_id="big_hotel").get_room_types()
    # then
    assert [rt.room_type_id for rt in found] == [f"rt_{i:03d}" for i in range(250)]
    assert await mews.calls("resourceCategories/getAll") == 3


async def test_the_demo_room_costs_exactly_125000_krw_a_night_with_five_rooms(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when
    rates = await connector.get_rates(["room_456"], MAR_1, MAR_3, 2, 0)
    inventory = await connector.get_inventory(["room_456"], MAR_1, MAR_3)
    # then
    assert [(r.date, r.price) for r in rates] == [
        (MAR_1, Money(Decimal(125000), "KRW")),
        (MAR_2, Money(Decimal(125000), "KRW")),
    ]
    assert [(n.date, n.available) for n in inventory] == [(MAR_1, 5), (MAR_2, 5)]


async def test_a_hold_is_an_optional_reservation_released_at_now_plus_hold_seconds(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    now = datetime.fromtimestamp(mews.clock.now(), UTC)
    # when
    held = await connector.create_reservation(booking("bk_hold", hold=180))
    # then
    assert held.status is ReservationStatus.TENTATIVE and held.raw_status == "Optional"
    assert held.extra["release_utc"] == (now + timedelta(seconds=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (held.external_id, held.room_type_id, held.check_in, held.check_out) == (
        "bk_hold",
        "room_456",
        MAR_1,
        MAR_3,
    )
    assert await free_rooms(connector) == [4, 4, 5]


async def test_without_hold_seconds_the_reservation_is_confirmed_at_once(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when
    created = await connector.create_reservation(booking("bk_direct", hold=None))
    # then
    assert created.status is ReservationStatus.CONFIRMED


async def test_confirming_a_hold_keeps_the_rooms_past_its_release_time(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    held = await connector.create_reservation(booking("bk_keep", hold=180))
    # when
    confirmed = await connector.confirm_reservation(held.reservation_id)
    again = await connector.confirm_reservation(held.reservation_id)
    mews.clock.advance(600)
    # then
    assert (confirmed.status, again.status) == (ReservationStatus.CONFIRMED, ReservationStatus.CONFIRMED)
    assert (await connector.get_reservation(held.reservation_id)).status is ReservationStatus.CONFIRMED
    assert await free_rooms(connector) == [4, 4, 5]


async def test_an_unconfirmed_hold_is_released_at_released_utc(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    held = await connector.create_reservation(booking("bk_lapse", hold=180))
    # when the clock passes ReleasedUtc
    mews.clock.advance(179)
    before = await free_rooms(connector)
    mews.clock.advance(2)
    after = await free_rooms(connector)
    # then the rooms come back and the hold can no longer be confirmed
    assert (before, after) == ([4, 4, 5], [5, 5, 5])
    assert (await connector.get_reservation(held.reservation_id)).status is ReservationStatus.CANCELLED
    with pytest.raises(PMSBadRequest):
        await connector.confirm_reservation(held.reservation_id)


async def test_cancelling_twice_succeeds_and_returns_the_rooms_once(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    created = await connector.create_reservation(booking("bk_twice", hold=None))
    # when
    await connector.cancel_reservation(created.reservation_id)
    await connector.cancel_reservation(created.reservation_id)
    # then
    assert (await connector.get_reservation(created.reservation_id)).status is ReservationStatus.CANCELLED
    assert await free_rooms(connector) == [5, 5, 5]


async def test_a_stay_short_on_one_night_is_refused_whole(mews: SimHarness) -> None:
    # given one room left on the second night
    await mews.control(
        "PUT",
        "/_sim/properties/hotel_123/inventory",
        {"roomTypeId": "room_456", "from": "2026-03-02", "to": "2026-03-03", "available": 1},
    )
    connector = mews.mews()
    await connector.create_reservation(booking("bk_first"))
    # when / then
    with pytest.raises(PMSSoldOut):
        await connector.create_reservation(booking("bk_second"))
    assert await free_rooms(connector) == [4, 0, 5]


async def test_children_are_sent_as_their_own_age_category(mews: SimHarness) -> None:
    # given a family room
    connector = mews.mews()
    # when
    await connector.create_reservation(booking("bk_family", room_type="room_458", children=2))
    # then two person counts with distinct age categories, two of each
    sent = [e for e in mews.recorder.vendor_calls() if e.request.url.path.endswith("reservations/add")][0]
    counts = json.loads(sent.request.content)["Reservations"][0]["PersonCounts"]
    assert [c["Count"] for c in counts] == [2, 2]
    assert len({c["AgeCategoryId"] for c in counts}) == 2


async def test_reservations_are_found_by_our_booking_id_in_channel_number(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    for index in range(3):
        await connector.create_reservation(booking(f"bk_{index}", room_type="room_457"))
    # when
    found = await connector.find_reservation_by_external_id("bk_1")
    missing = await connector.find_reservation_by_external_id("bk_unknown")
    # then one server-side filtered call each
    assert found is not None and (found.external_id, found.room_type_id) == ("bk_1", "room_457")
    assert missing is None
    assert await mews.calls("reservations/getAll/2023-06-06") == 2


async def test_a_live_reservation_wins_over_a_cancelled_duplicate(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    first = await connector.create_reservation(booking("bk_dup", hold=None))
    second = await connector.create_reservation(booking("bk_dup", hold=None))
    await connector.cancel_reservation(first.reservation_id)
    # when
    found = await connector.find_reservation_by_external_id("bk_dup")
    # then
    assert found is not None and found.reservation_id == second.reservation_id


async def test_an_unknown_reservation_is_not_found(mews: SimHarness) -> None:
    # given
    connector = mews.mews()
    # when / then
    with pytest.raises(PMSNotFound):
        await connector.get_reservation("00000000-0000-4000-8000-000000000000")
    with pytest.raises(PMSNotFound):
        await connector.cancel_reservation("00000000-0000-4000-8000-000000000000")


async def test_each_enterprise_sees_its_own_rooms(mews: SimHarness) -> None:
    # given
    seoul, busan = mews.mews(hotel_id="hotel_123"), mews.mews(hotel_id="hotel_777")
    # when
    await busan.create_reservation(booking("bk_busan", room_type="room_771"))
    # then
    assert [rt.room_type_id for rt in await busan.get_room_types()] == ["room_771", "room_772"]
    assert await free_rooms(busan, "room_771") == [3, 3, 4]
    assert await free_rooms(seoul) == [5, 5, 5]
