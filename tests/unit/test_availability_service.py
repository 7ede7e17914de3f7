"""AvailabilityService: cache first, one PMS fill on a miss, validation, stays, ensure_cached."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from roomgate.cache.hold_models import HoldStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.stay import Stay, date_range
from roomgate.pms.errors import PMSTransientError
from tests.unit.availability_support import DOUBLE, FAMILY, HOTEL, VENDOR, build_world

NOV_1, NOV_3 = date(2025, 11, 1), date(2025, 11, 3)


async def test_a_miss_is_filled_from_the_pms_then_served_from_the_cache() -> None:
    # given an empty cache
    world = build_world()
    world.pms.available[(DOUBLE.room_type_id, date(2025, 11, 2))] = 1
    # when
    first = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    world.clock.advance(30)
    second = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then
    assert (first.source, first.age_seconds) == ("pms", 0.0)
    assert [(n.date, n.available, n.currency) for n in first.nights] == [
        (NOV_1, 5, "KRW"),
        (date(2025, 11, 2), 1, "KRW"),
    ]
    assert first.nights[0].price == Money(Decimal(250000), "KRW")
    assert (second.source, second.age_seconds) == ("cache", 30.0)
    assert second.nights == first.nights
    assert (
        world.pms.calls["get_inventory"],
        world.pms.calls["get_rates"],
        world.pms.calls["get_room_types"],
    ) == (1, 1, 1)


async def test_the_pms_is_asked_again_once_the_90_second_inventory_ttl_has_passed() -> None:
    # given
    world = build_world()
    await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    world.pms.available[(DOUBLE.room_type_id, NOV_1)] = 2
    # when
    world.clock.advance(90)
    again = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then
    assert again.source == "pms" and again.nights[0].available == 2
    assert world.pms.calls["get_inventory"] == 2


async def test_active_holds_are_not_for_sale() -> None:
    # given
    world = build_world()
    await world.service.ensure_cached(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    assert (await world.ledger.create_hold(HOTEL, DOUBLE.room_type_id, date_range(NOV_1, NOV_3), 2, "h1")).ok
    # when
    result = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then
    assert [n.available for n in result.nights] == [3, 3]


async def test_an_unknown_room_type_is_not_found_and_costs_no_inventory_call() -> None:
    # given
    world = build_world()
    # when / then
    with pytest.raises(DomainError) as caught:
        await world.service.room_type_inventory(VENDOR, HOTEL, "room_000", NOV_1, NOV_3)
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert world.pms.calls["get_inventory"] == 0


@pytest.mark.parametrize(
    ("start", "end"), [(NOV_3, NOV_1), (NOV_1, NOV_1), (NOV_1, NOV_1 + timedelta(days=91))]
)
async def test_a_bad_range_is_a_validation_error(start: date, end: date) -> None:
    # given
    world = build_world()
    # when / then
    with pytest.raises(DomainError) as caught:
        await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, start, end)
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert sum(world.pms.calls.values()) == 0


async def test_stay_availability_lists_room_types_that_fit_the_party_and_have_a_room_every_night() -> None:
    # given nightly prices that differ, and the family suite sold out on the second night
    world = build_world()
    nov_2 = date(2025, 11, 2)
    world.pms.prices[(DOUBLE.room_type_id, nov_2)] = Money(Decimal(300000), "KRW")
    world.pms.available[(FAMILY.room_type_id, nov_2)] = 0
    stay = Stay.of(NOV_1, NOV_3)
    # when
    couple = await world.service.stay_availability(VENDOR, HOTEL, stay, adults=2, children=0)
    family = await world.service.stay_availability(VENDOR, HOTEL, stay, adults=2, children=2)
    # then
    assert [o.room_type.room_type_id for o in couple.options] == [DOUBLE.room_type_id]
    (double,) = couple.options
    assert [n.price for n in double.nights] == [Money(Decimal(250000), "KRW"), Money(Decimal(300000), "KRW")]
    assert double.total == Money(Decimal(550000), "KRW") and double.available == 5
    assert family.options == []  # only the family suite fits four, and it is sold out on the 2nd
    assert (couple.source, family.source) == ("pms", "cache")  # the first fill covered both room types
    assert world.pms.calls["get_inventory"] == 1


async def test_a_night_without_a_price_makes_the_stay_unbookable() -> None:
    # given
    world = build_world()
    world.pms.prices[(DOUBLE.room_type_id, NOV_1)] = None
    # when
    result = await world.service.stay_availability(VENDOR, HOTEL, Stay.of(NOV_1, NOV_3), adults=1, children=0)
    # then
    assert [o.room_type.room_type_id for o in result.options] == [FAMILY.room_type_id]


@pytest.mark.parametrize(("adults", "children", "nights"), [(0, 0, 2), (1, -1, 2), (1, 0, 31)])
async def test_stay_input_is_validated(adults: int, children: int, nights: int) -> None:
    # given
    world = build_world()
    stay = Stay.of(NOV_1, NOV_1 + timedelta(days=nights), max_nights=60)
    # when / then
    with pytest.raises(DomainError) as caught:
        await world.service.stay_availability(VENDOR, HOTEL, stay, adults=adults, children=children)
    assert caught.value.code is ErrorCode.VALIDATION_ERROR


async def test_ensure_cached_lets_a_checkout_retry_a_hold_whose_nights_were_missing() -> None:
    # given a cached range whose inventory TTL has passed
    world = build_world()
    nights = date_range(NOV_1, NOV_3)
    await world.service.ensure_cached(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    world.clock.advance(91)
    missing = await world.ledger.create_hold(HOTEL, DOUBLE.room_type_id, nights, 1, "h1")
    # when
    cached = await world.service.ensure_cached(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    retried = await world.ledger.create_hold(HOTEL, DOUBLE.room_type_id, nights, 1, "h1")
    # then
    assert missing.status is HoldStatus.MISSING
    assert all(n.complete for n in cached)
    assert retried.status is HoldStatus.HELD


async def test_pms_failures_propagate_as_pms_errors_without_fallback() -> None:
    # given
    world = build_world()
    world.pms.fail_with = PMSTransientError("503", vendor=VENDOR, hotel_id=HOTEL, status=503)
    # when / then
    with pytest.raises(PMSTransientError):
        await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)


async def test_an_async_connector_provider_is_awaited() -> None:
    # given a provider that is a coroutine function (as a credentials look-up would be)
    base = build_world()

    async def provider(vendor: str, hotel_id: str) -> object:
        return base.pms

    from roomgate.services.availability import AvailabilityService

    service = AvailabilityService(base.cache, provider, base.service.settings, base.clock)
    # when
    result = await service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then
    assert result.source == "pms" and len(result.nights) == 2


async def test_room_type_returns_the_hotels_room_type_from_the_cached_list() -> None:
    # given
    world = build_world()
    # when
    first = await world.service.room_type(VENDOR, HOTEL, FAMILY.room_type_id)
    second = await world.service.room_type(VENDOR, HOTEL, FAMILY.room_type_id)
    # then
    assert first == second == FAMILY and first.max_occupancy == 4
    assert world.pms.calls["get_room_types"] == 1
