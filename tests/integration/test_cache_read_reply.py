"""The packed reply of lua/read_range.lua (one JSON string) decodes to exactly what the original
array reply decodes to, for any cached state: present, expired or missing counts and rates, prices
or 'no price', active and lapsed holds, and last-known-good copies. Real Redis and fakeredis."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomgate.cache import keys, scripts
from roomgate.cache.models import READ_WIDTH, parse_night
from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.pms.types import NightRate, RoomType
from tests.integration.cache_support import make_cache, put_snapshot

NOW_MS = 1_767_225_600_000
ROOMS = ["room_456", "room_789"]
_hotels = itertools.count()


@dataclass(frozen=True)
class Entry:
    """One cached hash: None (missing) or its logical expiry relative to now and its fields."""

    expires_in_ms: int
    fields: dict[str, str]


def entries(fields: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy[Entry | None]:
    expiry = st.sampled_from([-1000, 0, 1, 90_000])  # lapsed, lapsing exactly now, live
    return st.none() | st.builds(Entry, expiry, fields)


read_ms = st.integers(NOW_MS - 86_400_000, NOW_MS).map(str)
inventory = st.fixed_dictionaries({"a": st.integers(0, 12).map(str), "r": read_ms})
priced = st.builds(
    lambda price, plan, read, rule: {"p": price[0], "c": price[1], "rp": plan, "r": read, **rule},
    st.sampled_from([("250000", "KRW"), ("0", "KRW"), ("19.99", "USD"), ("120.50", "USD")]),
    st.sampled_from(["rp_std", 'BAR|weird,"plan"', "요금"]),
    read_ms,
    # the extra-guest rule: none (cached before it existed), empty, a rule, an unreadable value
    st.sampled_from([{}, {"o": ""}, {"o": "2|1|30000|15000|0"}, {"o": "3|0|12.5|0|1"}, {"o": "x|y"}]),
)
unpriced = st.fixed_dictionaries({"p": st.just(""), "c": st.just(""), "rp": st.just(""), "r": read_ms})
holds = st.lists(st.tuples(st.integers(1, 3), st.sampled_from([-5, 0, 1, 180_000])), max_size=3)
night_state = st.tuples(
    entries(inventory), entries(priced | unpriced), holds, entries(inventory), entries(priced)
)


async def store(redis: Any, key: str, entry: Entry | None) -> None:
    if entry is not None:
        await redis.hset(key, mapping={"e": str(NOW_MS + entry.expires_in_ms), **entry.fields})


async def legacy_rows(redis: Any, hotel: str, room: str, nights: list[date], mode: str) -> list[Any]:
    """The original reading: the array layout and `parse_night`."""
    names = [
        name
        for night in nights
        for name in (
            keys.inv(hotel, room, night),
            keys.rate(hotel, room, night),
            keys.night_holds(hotel, room, night),
            keys.lkg_inv(hotel, room, night),
            keys.lkg_rate(hotel, room, night),
        )
    ]
    reply = await scripts.register(redis, "read_range")(keys=names, args=[NOW_MS])
    return [
        parse_night(room, night, reply[i * READ_WIDTH : (i + 1) * READ_WIDTH], mode=mode)
        for i, night in enumerate(nights)
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(state=st.lists(st.lists(night_state, min_size=1, max_size=3), min_size=2, max_size=2))
async def test_packed_and_array_replies_decode_alike(any_redis: Any, state: list[list[Any]]) -> None:
    # given a random cached state for two room types (a new hotel per example: no leftovers)
    hotel = f"hotel_rr{next(_hotels)}"
    night_count = min(len(per_room) for per_room in state)
    nights = [date(2026, 1, 1) + timedelta(days=i) for i in range(night_count)]
    for room, per_room in zip(ROOMS, state, strict=True):
        for night, (inv, rate, held, lkg_inv, lkg_rate) in zip(nights, per_room, strict=False):
            await store(any_redis, keys.inv(hotel, room, night), inv)
            await store(any_redis, keys.rate(hotel, room, night), rate)
            await store(any_redis, keys.lkg_inv(hotel, room, night), lkg_inv)
            await store(any_redis, keys.lkg_rate(hotel, room, night), lkg_rate)
            for n, (quantity, expires_in_ms) in enumerate(held):
                member = f"{quantity}:hold{n}"
                await any_redis.zadd(keys.night_holds(hotel, room, night), {member: NOW_MS + expires_in_ms})
    cache = make_cache(any_redis, FakeClock(NOW_MS / 1000))
    # when each mode is read both ways
    fresh = await cache.get_many(hotel, ROOMS, nights)
    fallback = await cache.get_many(hotel, ROOMS, nights, allow_stale=True)
    lkg = {room: await cache.get_last_known_good(hotel, room, nights) for room in ROOMS}
    read = await cache.read_hotel(hotel, ROOMS, nights)
    # then
    for room in ROOMS:
        assert fresh[room] == await legacy_rows(any_redis, hotel, room, nights, "fresh")
        assert fallback[room] == await legacy_rows(any_redis, hotel, room, nights, "fallback")
        assert lkg[room] == await legacy_rows(any_redis, hotel, room, nights, "lkg")
        assert read.rows()[room] == fresh[room]
    assert read.room_types is None


async def test_a_grid_with_nothing_cached_decodes_as_missing_nights(any_redis: Any) -> None:
    # given nothing at all in Redis
    cache = make_cache(any_redis, FakeClock(NOW_MS / 1000))
    nights = [date(2026, 1, 1), date(2026, 1, 2)]
    # when
    rows = await cache.get_many("hotel_empty", ROOMS, nights)
    # then
    for room in ROOMS:
        assert [(n.available, n.held, n.price, n.rate_cached, n.read_at) for n in rows[room]] == [
            (None, 0, None, False, None)
        ] * 2


async def test_an_empty_grid_needs_no_round_trip_and_an_empty_reply_is_an_array(any_redis: Any) -> None:
    # given
    cache = make_cache(any_redis, FakeClock(NOW_MS / 1000))
    # when no nights are asked for
    rows = await cache.get_many("hotel_empty", ROOMS, [])
    read = await cache.read_hotel("hotel_empty", [], [])
    # then (real Redis' cjson would encode an empty table as {}: the script answers [] itself)
    assert rows == {room: [] for room in ROOMS}
    assert read.room_types is None and read.rows() == {}


@pytest.mark.parametrize("night_count", [1, 9, 73, 90])
async def test_the_warm_read_keeps_every_value_in_its_place(any_redis: Any, night_count: int) -> None:
    # given 1-5 room types cached for 1, 9, 73 or 90 nights (the sizes at which the in-process
    # Redis' cjson.encode once swapped a night's fields), and the room-type list
    clock = FakeClock(NOW_MS / 1000)
    cache = make_cache(any_redis, clock)
    for room_count in range(1, 6):
        hotel, rooms = f"hotel_place{night_count}_{room_count}", [f"room_{i}" for i in range(room_count)]
        nights = [date(2027, 5, 20) + timedelta(days=i) for i in range(night_count)]
        await cache.put_room_types(
            hotel, [RoomType(r, 'Twin "Sea"', 2) for r in rooms], read_started_at=clock.now()
        )
        for room in rooms:
            await put_snapshot(cache, 3, nights, room=room, hotel=hotel, price="98000")
        # when
        read = await cache.read_hotel(hotel, rooms, nights)
        # then
        assert read.room_types is not None and [rt.room_type_id for rt in read.room_types.room_types] == rooms
        for room in rooms:
            assert [(n.available, n.held, n.price, n.rate_plan_id, n.read_at) for n in read.rows()[room]] == [
                (3, 0, Money(Decimal("98000"), "KRW"), "rp_std", clock.now())
            ] * night_count


async def test_values_that_need_escaping_come_back_as_stored(any_redis: Any) -> None:
    # given a rate plan id and a room name with quotes, backslashes, control characters and Hangul
    clock = FakeClock(NOW_MS / 1000)
    cache = make_cache(any_redis, clock)
    odd = 'BAR|"q"\\x\x00\t\x1b요금/'
    nights = [date(2027, 5, 20), date(2027, 5, 21)]
    await cache.put_room_types("hotel_odd", [RoomType("room_456", odd, 2)], read_started_at=clock.now())
    rates = [NightRate("room_456", n, Money(Decimal("98000"), "KRW"), odd) for n in nights]
    await cache.store_snapshot("hotel_odd", ["room_456"], nights, [], rates, read_started_at=clock.now())
    # when
    read = await cache.read_hotel("hotel_odd", ["room_456"], nights)
    # then
    assert read.room_types is not None and read.room_types.room_types[0].name == odd
    assert [n.rate_plan_id for n in read.rows()["room_456"]] == [odd, odd]
