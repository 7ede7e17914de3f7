"""The fallback seam: when the PMS fails, serve last-known-good data with source "cache" and its age."""

from __future__ import annotations

from datetime import date

import pytest

from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.stay import Stay, date_range
from roomgate.pms.errors import PMSTimeout, PMSUnavailable
from tests.unit.availability_support import DOUBLE, HOTEL, VENDOR, World, build_world

NOV_1, NOV_3 = date(2025, 11, 1), date(2025, 11, 3)


async def cached_then_pms_down(seconds_later: float) -> World:
    world = build_world()
    await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    world.clock.advance(seconds_later)
    world.pms.fail_with = PMSTimeout("no answer", vendor=VENDOR, hotel_id=HOTEL)
    return world


async def test_with_fallback_expired_data_is_served_from_last_known_good_with_its_age() -> None:
    # given data read 10 minutes ago (inv and rate TTLs passed) and a PMS that times out
    world = await cached_then_pms_down(600)
    # when
    result = await world.service.room_type_inventory(
        VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3, fallback=True
    )
    # then
    assert (result.source, result.age_seconds) == ("cache", 600.0)
    assert [n.available for n in result.nights] == [5, 5]
    assert world.pms.calls["get_inventory"] == 2  # it did try the PMS first


async def test_without_fallback_the_pms_error_propagates() -> None:
    # given
    world = await cached_then_pms_down(600)
    # when / then
    with pytest.raises(PMSTimeout):
        await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)


async def test_an_open_breaker_error_falls_back_too() -> None:
    # given the resilience layer refuses locally (breaker open)
    world = await cached_then_pms_down(120)
    world.pms.fail_with = PMSUnavailable("breaker open", vendor=VENDOR, hotel_id=HOTEL)
    # when
    result = await world.service.room_type_inventory(
        VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3, fallback=True
    )
    # then
    assert result.source == "cache" and result.age_seconds == 120.0


async def test_room_types_fall_back_too_once_their_hour_has_passed() -> None:
    # given a stay search an hour ago, and the PMS down now
    world = build_world()
    await world.service.stay_availability(VENDOR, HOTEL, Stay.of(NOV_1, NOV_3), 2, 0)
    world.clock.advance(3601)
    world.pms.fail_with = PMSTimeout("no answer", vendor=VENDOR, hotel_id=HOTEL)
    # when
    result = await world.service.stay_availability(VENDOR, HOTEL, Stay.of(NOV_1, NOV_3), 2, 0, fallback=True)
    # then
    assert result.source == "cache" and len(result.options) == 2
    assert result.age_seconds == 3601.0


async def test_with_nothing_cached_the_fallback_reports_pms_unavailable() -> None:
    # given a cold cache and a PMS that is down
    world = build_world()
    world.pms.fail_with = PMSTimeout("no answer", vendor=VENDOR, hotel_id=HOTEL)
    # when / then
    with pytest.raises(DomainError) as caught:
        await world.service.room_type_inventory(
            VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3, fallback=True
        )
    assert caught.value.code is ErrorCode.PMS_UNAVAILABLE
    assert isinstance(caught.value.__cause__, PMSTimeout)


async def test_last_known_good_data_shows_local_bookings() -> None:
    # given a booking converted after the data was read
    world = build_world()
    await world.service.ensure_cached(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    await world.ledger.create_hold(HOTEL, DOUBLE.room_type_id, date_range(NOV_1, NOV_3), 2, "h1")
    await world.ledger.convert(HOTEL, "h1")
    world.clock.advance(600)
    world.pms.fail_with = PMSTimeout("no answer", vendor=VENDOR, hotel_id=HOTEL)
    # when
    result = await world.service.room_type_inventory(
        VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3, fallback=True
    )
    # then
    assert [n.available for n in result.nights] == [3, 3]
