"""InventoryCache against the in-process Redis and a real server (the `any_redis` fixture)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from roomgate.cache import keys
from roomgate.cache.client import create_redis
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from roomgate.domain.money import Money
from roomgate.pms.types import NightInventory, NightRate, RoomType
from tests.integration.cache_support import (
    HOTEL,
    NOV_1,
    ROOM,
    make_cache,
    nights,
    put_snapshot,
    settings,
)
from tests.redis_wire import WireCounter


async def test_get_range_returns_what_a_snapshot_stored(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    stay = nights(3)
    await put_snapshot(cache, {stay[0]: 4, stay[1]: 0, stay[2]: 7}, stay)
    clock.advance(5)
    # when
    got = await cache.get_range(HOTEL, ROOM, stay)
    # then
    assert [n.available for n in got] == [4, 0, 7]
    assert [n.held for n in got] == [0, 0, 0]
    assert {n.price for n in got} == {Money.of(250000, "KRW")}
    assert {n.rate_plan_id for n in got} == {"rp_std"}
    assert all(n.complete and not n.stale for n in got)
    assert got[0].age(clock.now()) == pytest.approx(5.0)


async def test_prices_keep_their_decimal_exactly(any_redis: Any) -> None:
    # given a USD price with cents
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    rate = NightRate(ROOM, NOV_1, Money(Decimal("129.95"), "USD"), "bar")
    await cache.store_snapshot(
        HOTEL, [ROOM], [NOV_1], [NightInventory(ROOM, NOV_1, 2)], [rate], read_started_at=clock.now()
    )
    # when
    night = await cache.get(HOTEL, ROOM, NOV_1)
    # then
    assert night.price == Money(Decimal("129.95"), "USD")
    assert night.price is not None and night.price.minor == 12995


async def test_nights_the_pms_left_out_are_cached_as_not_for_sale(any_redis: Any) -> None:
    # given a PMS answer that covers only the first of two requested nights
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    stay = nights(2)
    await cache.store_snapshot(
        HOTEL, [ROOM], stay, [NightInventory(ROOM, stay[0], 3)], [], read_started_at=clock.now()
    )
    # when
    first, second = await cache.get_range(HOTEL, ROOM, stay)
    # then both nights are cached (no refetch storm), the gap as 0 rooms and no price
    assert first.complete and second.complete
    assert (first.available, first.price) == (3, None)
    assert (second.available, second.price) == (0, None)


@pytest.mark.parametrize("night_count", [1, 7, 90])
async def test_get_range_is_one_round_trip_whatever_the_number_of_nights(
    any_redis: Any, night_count: int
) -> None:
    # given scripts loaded at start-up and a client whose wire traffic is counted
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await cache.preload_scripts()
    await put_snapshot(cache, 5, nights(night_count))
    wire = WireCounter(any_redis)
    # when
    got = await cache.get_range(HOTEL, ROOM, nights(night_count))
    many = await cache.get_many(HOTEL, [ROOM, "room_789"], nights(night_count), allow_stale=True)
    # then each read was exactly one command on the wire
    assert wire.round_trips == [["EVALSHA"], ["EVALSHA"]]
    assert len(got) == night_count and all(n.available == 5 for n in got)
    assert len(many[ROOM]) == len(many["room_789"]) == night_count


async def test_the_wire_counter_sees_every_round_trip_of_the_client(any_redis: Any) -> None:
    # given (negative control for the one-round-trip tests: the counter is not blind)
    cache = make_cache(any_redis, FakeClock())
    await cache.preload_scripts()
    await put_snapshot(cache, 5, nights(3))
    wire = WireCounter(any_redis)
    # when the room-type list and the nights are read separately
    await cache.get_room_types(HOTEL)
    await cache.get_range(HOTEL, ROOM, nights(3))
    await any_redis.get("anything")
    # then all three show up
    assert wire.round_trips == [["MGET"], ["EVALSHA"], ["GET"]]


async def test_a_flushed_script_is_loaded_again_and_the_read_still_answers(any_redis: Any) -> None:
    # given a cache whose read script Redis has forgotten (restart, SCRIPT FLUSH)
    cache = make_cache(any_redis, FakeClock())
    await cache.preload_scripts()
    await put_snapshot(cache, 3, nights(2))
    await any_redis.script_flush()
    wire = WireCounter(any_redis)
    # when
    got = await cache.get_range(HOTEL, ROOM, nights(2))
    # then NOSCRIPT, load, and the same call again
    assert [n.available for n in got] == [3, 3]
    assert wire.round_trips == [["EVALSHA"], ["SCRIPT"], ["EVALSHA"]]


async def test_a_read_on_a_connection_the_server_dropped_is_made_again(
    real_redis: Any, real_redis_url: str
) -> None:
    # given a pooled connection that Redis has since closed (only ours: the server may be shared)
    cache = make_cache(real_redis, FakeClock())
    await put_snapshot(cache, 3, nights(2))
    assert [n.available for n in await cache.get_range(HOTEL, ROOM, nights(2))] == [3, 3]
    assert len(real_redis.connection_pool._available_connections) == 1  # the one the read will reuse
    pooled_id = await real_redis.client_id()
    killer = create_redis(real_redis_url)
    assert await killer.client_kill_filter(_id=pooled_id) == 1
    await killer.aclose()
    # when
    got = await cache.get_range(HOTEL, ROOM, nights(2))
    # then the failed send is repeated on a new connection
    assert [n.available for n in got] == [3, 3]


async def test_a_single_connection_client_reads_through_redis_py(real_redis_url: str) -> None:
    # given a client that owns one connection instead of a pool
    client = aioredis.Redis.from_url(real_redis_url, decode_responses=True, single_connection_client=True)
    await client.flushdb()
    cache = make_cache(client, FakeClock())
    await put_snapshot(cache, 2, nights(3))
    # when
    got = await cache.get_range(HOTEL, ROOM, nights(3))
    # then
    assert [n.available for n in got] == [2, 2, 2]
    await client.flushdb()
    await client.aclose()


async def test_read_hotel_answers_room_types_and_nights_in_one_round_trip(any_redis: Any) -> None:
    # given a cached room-type list and 30 nights of one room type
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await cache.preload_scripts()
    await cache.put_room_types(HOTEL, [RoomType(ROOM, "Deluxe Double", 2)], read_started_at=clock.now())
    await put_snapshot(cache, 4, nights(30))
    wire = WireCounter(any_redis)
    # when
    read = await cache.read_hotel(HOTEL, [ROOM], nights(30))
    # then
    assert wire.round_trips == [["EVALSHA"]]
    assert read.room_types is not None and [rt.room_type_id for rt in read.room_types.room_types] == [ROOM]
    assert [n.available for n in read.rows()[ROOM]] == [4] * 30


async def test_read_hotel_reports_a_missing_or_expired_room_type_list_as_none(any_redis: Any) -> None:
    # given nights cached but the room-type list only until its hour is up
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 4, nights(2))
    assert (await cache.read_hotel(HOTEL, [ROOM], nights(2))).room_types is None
    await cache.put_room_types(HOTEL, [RoomType(ROOM, "Deluxe Double", 2)], read_started_at=clock.now())
    # when the list's hour passes
    clock.advance(3601)
    read = await cache.read_hotel(HOTEL, [ROOM], nights(2))
    # then it reads as absent, while the nights (fresh for 90 s only) read as missing
    assert read.room_types is None
    assert [n.available for n in read.rows()[ROOM]] == [None, None]


async def test_freshness_follows_the_clock_from_fresh_to_stale_to_last_known_good(any_redis: Any) -> None:
    # given a snapshot with the spec's TTLs: inv 90 s, rate 300 s, last-known-good 24 h
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 3, [NOV_1])
    # when / then: fresh just before 90 s
    clock.advance(89.9)
    fresh = await cache.get(HOTEL, ROOM, NOV_1)
    assert fresh.available == 3 and fresh.complete and not fresh.stale
    # when / then: at 90 s the count is a miss, the rate still fresh
    clock.advance(0.1)
    stale = await cache.get(HOTEL, ROOM, NOV_1)
    assert stale.available is None and stale.rate_cached and not stale.complete
    # when / then: the fallback read serves the last-known-good count, marked stale, with its age
    served = await cache.get(HOTEL, ROOM, NOV_1, allow_stale=True)
    assert served.available == 3 and served.stale and served.complete
    assert served.age(clock.now()) == pytest.approx(90.0)
    # when / then: after 24 h even the last-known-good copy is gone
    clock.advance(86_400)
    assert (await cache.get_last_known_good(HOTEL, ROOM, [NOV_1]))[0].available is None


async def test_last_known_good_is_readable_on_its_own(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 6, [NOV_1])
    clock.advance(600)
    # when
    (lkg,) = await cache.get_last_known_good(HOTEL, ROOM, [NOV_1])
    # then
    assert lkg.available == 6 and lkg.stale and lkg.price == Money.of(250000, "KRW")
    assert lkg.age(clock.now()) == pytest.approx(600.0)


async def test_ttls_get_jitter_so_a_hotels_keys_do_not_expire_together(any_redis: Any) -> None:
    # given 10 % jitter on the 90 s inventory TTL
    clock = FakeClock()
    cache = InventoryCache(any_redis, settings(ttl_jitter_ratio=0.1), clock, rng=random.Random(7))
    await put_snapshot(cache, 1, nights(30))
    # when
    ttls = [await any_redis.pttl(keys.inv(HOTEL, ROOM, n)) for n in nights(30)]
    # then every TTL is within ±10 % and they are not all the same
    assert all(81_000 - 50 <= t <= 99_000 for t in ttls)
    assert len(set(ttls)) > 10


async def test_a_snapshot_read_before_a_local_mutation_does_not_overwrite_it(any_redis: Any) -> None:
    # given 5 rooms cached, and a PMS read that begins now (before the booking)
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 5, nights(2))
    read_began = clock.now()
    clock.advance(1)
    # when a booking lowers the count, then the old read (still saying 5) arrives
    assert await cache.decrement_inventory(HOTEL, ROOM, nights(2), 1) == [4, 4]
    clock.advance(1)
    result = await put_snapshot(cache, 5, nights(2), read_started_at=read_began)
    # then the local mutation stands, and the write says why it skipped
    assert [n.available for n in await cache.get_range(HOTEL, ROOM, nights(2))] == [4, 4]
    assert result.skipped_mutated == [(ROOM, n) for n in nights(2)] and result.stored == []


async def test_a_snapshot_read_after_the_mutation_is_stored(any_redis: Any) -> None:
    # given a local mutation
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 5, [NOV_1])
    await cache.decrement_inventory(HOTEL, ROOM, NOV_1)
    clock.advance(1)
    # when a PMS read that began afterwards is stored
    result = await put_snapshot(cache, 4, [NOV_1])
    # then it wins
    assert result.stored == [(ROOM, NOV_1)]
    assert (await cache.get(HOTEL, ROOM, NOV_1)).available == 4


async def test_an_older_snapshot_never_replaces_a_newer_one(any_redis: Any) -> None:
    # given two reads; the later-started one is stored first
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    early = clock.now()
    clock.advance(2)
    await put_snapshot(cache, 2, [NOV_1])
    # when the earlier read finishes last
    result = await put_snapshot(cache, 9, [NOV_1], read_started_at=early)
    # then
    assert result.skipped_newer == [(ROOM, NOV_1)]
    assert (await cache.get(HOTEL, ROOM, NOV_1)).available == 2


async def test_increment_restores_rooms_on_cancellation_and_updates_last_known_good(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 1, nights(2))
    # when
    counts = await cache.increment_inventory(HOTEL, ROOM, nights(2), 2)
    # then
    assert counts == [3, 3]
    assert [n.available for n in await cache.get_last_known_good(HOTEL, ROOM, nights(2))] == [3, 3]


async def test_an_adjustment_skips_copies_that_already_include_the_pms_change(any_redis: Any) -> None:
    # given the PMS cancelled at t0 and a copy read at t0+1 (it already shows the freed room)
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    cancelled_at = clock.now()
    clock.advance(1)
    await put_snapshot(cache, 3, [NOV_1])
    # when the cancellation is applied late
    counts = await cache.increment_inventory(HOTEL, ROOM, NOV_1, pms_changed_at=cancelled_at)
    # then the room is not counted twice (that would oversell)
    assert counts == [3]


async def test_counts_never_go_below_zero_and_uncached_nights_report_none(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 1, [NOV_1])
    # when
    counts = await cache.decrement_inventory(HOTEL, ROOM, [NOV_1, date(2025, 11, 2)], 3)
    # then
    assert counts == [0, None]


async def test_invalidate_drops_fresh_copies_and_fences_older_reads(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    read_began = clock.now()
    await put_snapshot(cache, 5, [NOV_1])
    clock.advance(1)
    # when a webhook invalidates, and a read begun before it arrives
    await cache.invalidate(HOTEL, ROOM, [NOV_1])
    result = await put_snapshot(cache, 5, [NOV_1], read_started_at=read_began)
    # then the night stays a miss, and last-known-good survives for the fallback
    assert result.skipped_mutated == [(ROOM, NOV_1)]
    assert (await cache.get(HOTEL, ROOM, NOV_1)).available is None
    assert (await cache.get(HOTEL, ROOM, NOV_1, allow_stale=True)).available == 5


async def test_room_types_round_trip_expire_by_the_clock_and_keep_a_last_known_good(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    rooms = [RoomType("room_456", "Deluxe Double", 2, total_rooms=10), RoomType("room_789", "Family", 4)]
    await cache.put_room_types(HOTEL, rooms, read_started_at=clock.now())
    # when / then
    cached = await cache.get_room_types(HOTEL)
    assert cached is not None and cached.room_types == rooms and not cached.stale
    assert cached.find("room_789") == rooms[1] and cached.find("nope") is None
    clock.advance(3600)
    assert await cache.get_room_types(HOTEL) is None
    stale = await cache.get_room_types(HOTEL, allow_stale=True)
    assert stale is not None and stale.stale and stale.room_types == rooms


def cache_sample(kind: str, result: str) -> float:
    value = REGISTRY.get_sample_value("roomgate_cache_requests_total", {"kind": kind, "result": result})
    return value or 0.0


def counts(kinds: tuple[str, ...]) -> dict[tuple[str, str], float]:
    return {(k, r): cache_sample(k, r) for k in kinds for r in ("hit", "miss")}


async def test_hit_and_miss_counters_move_per_key_kind(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 1, [NOV_1])
    before = counts(("inv", "rate", "lkg_inv"))
    # when one cached night and one uncached night are read
    await cache.get_range(HOTEL, ROOM, [NOV_1, date(2025, 11, 2)])
    # then
    after = counts(("inv", "rate", "lkg_inv"))
    for kind in ("inv", "rate"):
        assert (
            after[(kind, "hit")] - before[(kind, "hit")],
            after[(kind, "miss")] - before[(kind, "miss")],
        ) == (1, 1)
    assert after[("lkg_inv", "hit")] == before[("lkg_inv", "hit")]  # not consulted on a plain read


async def test_a_fallback_read_counts_the_fresh_miss_and_the_last_known_good_hit(any_redis: Any) -> None:
    # given a count past its 90 s
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await put_snapshot(cache, 1, [NOV_1])
    clock.advance(100)
    before = counts(("inv", "lkg_inv"))
    # when
    await cache.get(HOTEL, ROOM, NOV_1, allow_stale=True)
    # then
    after = counts(("inv", "lkg_inv"))
    assert after[("inv", "miss")] - before[("inv", "miss")] == 1
    assert after[("lkg_inv", "hit")] - before[("lkg_inv", "hit")] == 1


async def test_a_quantity_below_one_is_refused(any_redis: Any) -> None:
    # given
    cache = make_cache(any_redis, FakeClock())
    # when / then (a negative decrement must never turn into an increment)
    with pytest.raises(ValueError):
        await cache.decrement_inventory(HOTEL, ROOM, NOV_1, -1)
    with pytest.raises(ValueError):
        await cache.increment_inventory(HOTEL, ROOM, NOV_1, 0)


async def test_invalidating_room_types_forces_a_fresh_read_but_keeps_the_fallback_copy(
    any_redis: Any,
) -> None:
    # given
    clock = FakeClock()
    cache = make_cache(any_redis, clock)
    await cache.put_room_types(HOTEL, [RoomType("room_456", "Deluxe Double", 2)], read_started_at=clock.now())
    # when
    await cache.invalidate_room_types(HOTEL)
    # then
    assert await cache.get_room_types(HOTEL) is None
    assert await cache.get_room_types(HOTEL, allow_stale=True) is not None
