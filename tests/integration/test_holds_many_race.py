"""Two OS processes race for the last rooms with multi-room holds (2 doubles + 1 suite each) on a real
Redis: the suite runs out first, and every loser holds nothing at all — not even the doubles it could
have had. Negative controls: the same race with the check skipped (`hold_check=skip`) oversells, and
holding the types one after the other (two steps, not one) strands doubles for losers."""

from __future__ import annotations

from typing import Any

import pytest

from roomgate.cache.inventory import InventoryCache
from roomgate.clock import SystemClock
from tests.integration.cache_support import nights, put_snapshot, settings
from tests.integration.holds_race_worker import ROOM, SUITE
from tests.integration.test_holds_race import ATTEMPTS_PER_PROCESS, PROCESSES, race

pytestmark = [pytest.mark.redis, pytest.mark.slow]

DOUBLES, SUITES = 5, 1  # room for two families' doubles, one family's suite


async def held(redis: Any, hotel: str, room: str) -> list[int]:
    cache = InventoryCache(redis, settings(), SystemClock())
    return [n.held for n in await cache.get_range(hotel, room, nights(2))]


async def multi_race(redis: Any, url: str, hotel: str, mode: str) -> list[str]:
    cache = InventoryCache(redis, settings(), SystemClock())
    await put_snapshot(cache, SUITES, nights(2), hotel=hotel, room=SUITE)
    # `race` stores the doubles' snapshot (LAST_ROOMS) itself; give them DOUBLES instead afterwards
    return await race(
        redis, url, hotel, mode, snapshot=lambda c: put_snapshot(c, DOUBLES, nights(2), hotel=hotel)
    )


async def test_multi_room_holds_are_all_or_nothing_across_two_processes(
    real_redis: Any, real_redis_url: str
) -> None:
    # given 5 doubles, 1 suite, and 50 families in 2 processes wanting 2 doubles + 1 suite
    hotel = "race_many_safe"
    # when
    winners = await multi_race(real_redis, real_redis_url, hotel, "many")
    # then one family holds its 3 rooms; nobody else holds anything
    assert len(winners) == SUITES
    assert await held(real_redis, hotel, SUITE) == [1, 1]
    assert await held(real_redis, hotel, ROOM) == [2, 2]


async def test_negative_control_skipping_the_check_oversells(real_redis: Any, real_redis_url: str) -> None:
    # given the same race with the availability check skipped (ROOMGATE_DEBUG_FAULTS=hold_check=skip)
    hotel = "race_many_unsafe"
    # when
    winners = await multi_race(real_redis, real_redis_url, hotel, "many_unsafe")
    # then every family "won": the harness sees the oversell
    assert len(winners) == ATTEMPTS_PER_PROCESS * PROCESSES
    assert all(n > SUITES for n in await held(real_redis, hotel, SUITE))


async def test_negative_control_holding_one_type_after_the_other_strands_rooms(
    real_redis: Any, real_redis_url: str
) -> None:
    # given the same race, each type held by its own atomic step (two steps per family)
    hotel = "race_many_split"
    # when
    winners = await multi_race(real_redis, real_redis_url, hotel, "many_split")
    # then one family got everything, but another family's doubles stay held without its suite
    assert len(winners) == SUITES
    assert await held(real_redis, hotel, SUITE) == [1, 1]
    assert await held(real_redis, hotel, ROOM) == [4, 4]
