"""A warm availability request is ONE Redis round trip: the room-type list and the nights together.

Counted on the wire (tests/redis_wire.py), against the in-process Redis and a real server.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from roomgate.domain.occupancy import OccupancyPricing
from roomgate.domain.stay import Stay
from roomgate.domain.taxes import TaxBasis, TaxRule
from roomgate.pms.types import RoomType
from roomgate.services.availability import AvailabilityService
from tests.redis_wire import WireCounter
from tests.unit.availability_support import DOUBLE, FAMILY, HOTEL, VENDOR, World, build_world

NOV_1 = date(2025, 11, 1)
STAY = Stay.of(NOV_1, NOV_1 + timedelta(days=30))


async def warm_world(redis: Any) -> World:
    """Scripts loaded, the room-type list and 30 nights of both room types cached."""
    world = build_world(redis)
    await world.cache.preload_scripts()
    await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=1, children=0)
    return world


async def test_a_warm_stay_is_one_round_trip_whatever_the_number_of_nights(any_redis: Any) -> None:
    # given
    world = await warm_world(any_redis)
    wire = WireCounter(any_redis)
    # when
    result = await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=0)
    # then
    assert wire.round_trips == [["EVALSHA"]]
    assert result.source == "cache"
    assert [o.room_type.room_type_id for o in result.options] == [DOUBLE.room_type_id, FAMILY.room_type_id]
    assert all(len(o.nights) == 30 for o in result.options)


async def test_warm_room_type_inventory_and_ensure_cached_are_one_round_trip_each(any_redis: Any) -> None:
    # given
    world = await warm_world(any_redis)
    wire = WireCounter(any_redis)
    # when
    inventory = await world.service.room_type_inventory(
        VENDOR, HOTEL, DOUBLE.room_type_id, STAY.check_in, STAY.check_out
    )
    cached = await world.service.ensure_cached(
        VENDOR, HOTEL, FAMILY.room_type_id, NOV_1, NOV_1 + timedelta(2)
    )
    # then
    assert wire.round_trips == [["EVALSHA"], ["EVALSHA"]]
    assert inventory.source == "cache" and len(inventory.nights) == 30
    assert [n.available for n in cached] == [5, 5]


async def test_a_process_that_has_not_seen_the_hotel_yet_needs_a_second_read(any_redis: Any) -> None:
    # given a warm cache, but a new service (a fresh process) that has never read this hotel
    world = await warm_world(any_redis)
    fresh = AvailabilityService(
        world.cache, world.service.connector_provider, world.service.settings, world.clock
    )
    wire = WireCounter(any_redis)
    # when
    first = await fresh.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=0)
    second = await fresh.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=0)
    # then the first read learns the room types, the second needs one round trip only
    # (and this shows the counter would see a second round trip in the tests above)
    assert wire.round_trips == [["EVALSHA"], ["EVALSHA"], ["EVALSHA"]]
    assert replace(first, stamp=None) == replace(second, stamp=None)
    # only an answer built from its one warm read can be served again (api/view_memo.py)
    assert first.stamp is None and second.stamp is not None
    assert world.pms.calls["get_inventory"] == 1  # both answered from the cache


async def test_the_room_type_list_read_in_the_same_call_decides_not_the_remembered_one(
    any_redis: Any,
) -> None:
    # given a warm service, then the hotel adds a room type (the cached list changes)
    world = await warm_world(any_redis)
    suite = RoomType("room_900", "Garden Suite", 3)
    world.pms.room_types.append(suite)
    await world.cache.put_room_types(HOTEL, world.pms.room_types, read_started_at=world.clock.now())
    wire = WireCounter(any_redis)
    # when
    result = await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=0)
    # then the new room type is offered (its nights read from the PMS), at the cost of more reads
    ids = [o.room_type.room_type_id for o in result.options]
    assert ids == [DOUBLE.room_type_id, FAMILY.room_type_id, suite.room_type_id]
    assert len(wire.round_trips) > 1
    assert world.pms.calls["get_room_types"] == 1


async def test_a_removed_room_type_is_no_longer_offered_though_it_was_remembered(any_redis: Any) -> None:
    # given a warm service, then the hotel drops the family suite from its list
    world = await warm_world(any_redis)
    await world.cache.put_room_types(HOTEL, [DOUBLE], read_started_at=world.clock.now())
    # when
    result = await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=0)
    # then
    assert [o.room_type.room_type_id for o in result.options] == [DOUBLE.room_type_id]


async def test_the_party_size_picks_the_room_types_read(any_redis: Any) -> None:
    # given a warm service
    world = await warm_world(any_redis)
    wire = WireCounter(any_redis)
    # when a family of four asks (only the suite fits)
    result = await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=2, children=2)
    # then still one round trip, and only the suite
    assert wire.round_trips == [["EVALSHA"]]
    assert [o.room_type.room_type_id for o in result.options] == [FAMILY.room_type_id]


async def test_every_party_of_one_to_four_is_one_round_trip_and_priced_from_the_one_reply(
    any_redis: Any,
) -> None:
    # given a suite that charges extra adults and children and a 10 % tax, cached once (one fill)
    world = build_world(any_redis)
    world.pms.occupancy[FAMILY.room_type_id] = OccupancyPricing(2, 0, Decimal(30000), Decimal(15000))
    world.pms.taxes = [TaxRule("VAT", "VAT", "tax", TaxBasis.PERCENT, Decimal(10))]
    await world.cache.preload_scripts()
    await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=1, children=0)
    parties = [(1, 0), (2, 0), (1, 1), (3, 0), (2, 1), (1, 2), (4, 0), (3, 1), (2, 2)]
    for adults, children in parties:  # the process has seen each party size once
        await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=adults, children=children)
    wire = WireCounter(any_redis)
    # when every party asks again
    suites = {}
    for adults, children in parties:
        result = await world.service.stay_availability(VENDOR, HOTEL, STAY, adults=adults, children=children)
        suites[(adults, children)] = next(o for o in result.options if o.room_type == FAMILY)
    # then one EVALSHA each, no PMS call since the fill, and each party its own price plus the tax
    assert wire.round_trips == [["EVALSHA"]] * len(parties)
    assert world.pms.calls["get_rates"] == 1
    for (adults, children), option in suites.items():
        nightly = 250000 + 30000 * max(0, adults - 2) + 15000 * children
        assert option.total.minor == nightly * 30, (adults, children)
        assert option.total_with_taxes.minor == nightly * 30 * 11 // 10
