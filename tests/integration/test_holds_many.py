"""Multi-room holds (`hold_many.lua`): several room types held in one step on the in-process Redis, a
real server and the Redis Cluster fixture — all or nothing, and release/convert undo every line."""

from __future__ import annotations

from typing import Any

import pytest

from roomgate.cache import keys
from roomgate.cache.hold_models import ConvertResult, HoldStatus, ReleaseResult
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from tests.integration.cache_support import HOTEL, make_cache, nights, put_snapshot

SUITE = "room_suite"
TWIN = "room_twin"


async def setup(
    redis: Any, suites: int | dict[Any, int] = 3, twins: int = 2
) -> tuple[InventoryCache, RedisHoldLedger]:
    clock = FakeClock()
    cache = make_cache(redis, clock)
    await put_snapshot(cache, suites, nights(3), room=SUITE)
    await put_snapshot(cache, twins, nights(3), room=TWIN)
    return cache, RedisHoldLedger(redis, clock)


async def for_sale(cache: InventoryCache, room: str) -> list[int]:
    return [n.for_sale for n in await cache.get_range(HOTEL, room, nights(3))]


async def cached(cache: InventoryCache, room: str) -> list[int]:
    return [n.available for n in await cache.get_range(HOTEL, room, nights(3))]


async def test_every_line_is_held_on_every_night_in_one_step(any_redis: Any) -> None:
    # given 3 suites and 2 twins on 3 nights
    cache, ledger = await setup(any_redis)
    # when a family holds 2 suites and 1 twin
    outcome = await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 1)], nights(3), "h1")
    # then
    assert outcome.status is HoldStatus.HELD and outcome.ok
    assert await for_sale(cache, SUITE) == [1, 1, 1]
    assert await for_sale(cache, TWIN) == [1, 1, 1]
    record = await ledger.get(HOTEL, "h1")
    assert record is not None
    assert record.room_lines == ((SUITE, 2), (TWIN, 1))
    assert (record.room_type_id, record.quantity) == (SUITE, 3)


async def test_one_short_room_type_holds_nothing_and_names_the_first_short_type_and_night(
    any_redis: Any,
) -> None:
    # given plenty of suites, but the middle night has a single twin, already held
    stay = nights(3)
    cache, ledger = await setup(any_redis, 5, 2)
    assert (await ledger.create_hold(HOTEL, TWIN, [stay[1]], 2, "other")).ok
    # when
    outcome = await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 1)], stay, "h1")
    # then nothing of the suites was held either
    assert outcome.status is HoldStatus.SHORT and not outcome.ok
    assert (outcome.room_type_id, outcome.night, outcome.for_sale) == (TWIN, stay[1], 0)
    assert await for_sale(cache, SUITE) == [5, 5, 5]
    assert await for_sale(cache, TWIN) == [2, 0, 2]
    assert await ledger.get(HOTEL, "h1") is None


async def test_the_quantity_of_a_line_is_checked_not_just_one_room(any_redis: Any) -> None:
    # given 3 suites
    cache, ledger = await setup(any_redis)
    # when 4 are asked for
    outcome = await ledger.create_many(HOTEL, [(TWIN, 1), (SUITE, 4)], nights(3), "h1")
    # then
    assert (outcome.status, outcome.room_type_id, outcome.for_sale) == (HoldStatus.SHORT, SUITE, 3)
    assert await for_sale(cache, TWIN) == [2, 2, 2]


async def test_a_room_type_without_a_cached_count_is_missing(any_redis: Any) -> None:
    # given the twins are cached, a third room type is not
    cache, ledger = await setup(any_redis)
    # when
    outcome = await ledger.create_many(HOTEL, [(TWIN, 1), ("room_loft", 1)], nights(3), "h1")
    # then
    assert (outcome.status, outcome.room_type_id, outcome.night) == (
        HoldStatus.MISSING,
        "room_loft",
        nights(3)[0],
    )
    assert await for_sale(cache, TWIN) == [2, 2, 2]


async def test_release_gives_every_line_back_and_is_idempotent(any_redis: Any) -> None:
    # given
    cache, ledger = await setup(any_redis)
    assert (await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 1)], nights(3), "h1")).ok
    # when
    first = await ledger.release(HOTEL, "h1")
    second = await ledger.release(HOTEL, "h1")
    # then
    assert (first, second) == (ReleaseResult.RELEASED, ReleaseResult.ALREADY_RELEASED)
    assert await for_sale(cache, SUITE) == [3, 3, 3]
    assert await for_sale(cache, TWIN) == [2, 2, 2]


async def test_convert_lowers_each_line_by_its_own_quantity(any_redis: Any) -> None:
    # given
    cache, ledger = await setup(any_redis)
    assert (await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 1)], nights(3), "h1")).ok
    # when
    result = await ledger.convert(HOTEL, "h1")
    again = await ledger.convert(HOTEL, "h1")
    # then the holds are gone and the cached counts carry the booking
    assert (result, again) == (ConvertResult.CONVERTED, ConvertResult.ALREADY_CONVERTED)
    assert await cached(cache, SUITE) == [1, 1, 1]
    assert await cached(cache, TWIN) == [1, 1, 1]
    assert await for_sale(cache, SUITE) == [1, 1, 1]
    assert await for_sale(cache, TWIN) == [1, 1, 1]


async def test_an_expired_multi_room_hold_frees_every_line_and_is_not_converted(any_redis: Any) -> None:
    # given a hold that lapsed (the counts refreshed, as the availability service would)
    cache, ledger = await setup(any_redis)
    assert (await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 2)], nights(3), "h1", ttl_seconds=60)).ok
    cache.clock.advance(61)  # type: ignore[attr-defined]
    await put_snapshot(cache, 3, nights(3), room=SUITE)
    await put_snapshot(cache, 2, nights(3), room=TWIN)
    # when
    result = await ledger.convert(HOTEL, "h1")
    # then
    assert result is ConvertResult.REFUSED_EXPIRED
    assert await for_sale(cache, SUITE) == [3, 3, 3]
    assert await for_sale(cache, TWIN) == [2, 2, 2]


async def test_replay_with_the_same_lines_holds_once_and_other_lines_conflict(any_redis: Any) -> None:
    # given
    cache, ledger = await setup(any_redis)
    assert (await ledger.create_many(HOTEL, [(SUITE, 1), (TWIN, 1)], nights(3), "h1")).ok
    # when
    replay = await ledger.create_many(HOTEL, [(SUITE, 1), (TWIN, 1)], nights(3), "h1")
    other = await ledger.create_many(HOTEL, [(SUITE, 2), (TWIN, 1)], nights(3), "h1")
    single = await ledger.create_hold(HOTEL, SUITE, nights(3), 2, "h1")
    # then
    assert replay.status is HoldStatus.REPLAYED
    assert other.status is HoldStatus.CONFLICT
    assert single.status is HoldStatus.CONFLICT
    assert await for_sale(cache, SUITE) == [2, 2, 2]


async def test_bad_lines_are_refused_before_touching_redis(any_redis: Any) -> None:
    # given
    cache, ledger = await setup(any_redis)
    # when / then
    for lines in ([], [(SUITE, 0)], [(SUITE, 1), (SUITE, 1)], [("a\nb", 1)]):
        with pytest.raises(ValueError):
            await ledger.create_many(HOTEL, lines, nights(3), "h1")
    assert await ledger.get(HOTEL, "h1") is None


async def test_the_keys_of_one_hold_share_one_cluster_slot(any_redis: Any) -> None:
    # given every key a multi-room hold touches (the script ran above on the cluster fixture too)
    touched = [keys.hold(HOTEL, "h1"), keys.view_version(HOTEL)]
    for room in (SUITE, TWIN):
        for night in nights(3):
            touched += [keys.inv(HOTEL, room, night), keys.night_holds(HOTEL, room, night)]
    # then they all hash by the hotel's tag
    assert {k[k.index("{") : k.index("}") + 1] for k in touched} == {"{" + HOTEL + "}"}


async def test_the_check_is_skipped_only_for_the_negative_control(any_redis: Any) -> None:
    # given 2 twins, and a ledger built with the product's negative-control switch
    cache = make_cache(any_redis, FakeClock())
    await put_snapshot(cache, 2, nights(3), room=TWIN)
    unchecked = RedisHoldLedger(any_redis, cache.clock, skip_check=True)  # type: ignore[arg-type]
    # when it holds 5
    outcome = await unchecked.create_many(HOTEL, [(TWIN, 5)], nights(3), "h1")
    # then the oversell shows
    assert outcome.ok
    assert await for_sale(cache, TWIN) == [0, 0, 0]
    assert [n.held for n in await cache.get_range(HOTEL, TWIN, nights(3))] == [5, 5, 5]
