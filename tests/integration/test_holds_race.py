"""Two OS processes race for the last rooms on a real Redis: exactly N win. The negative control runs
the same `create_hold` with its availability check switched off (the `hold_check=skip` fault point)
and sees an oversell."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from roomgate.cache.inventory import InventoryCache
from roomgate.clock import SystemClock
from tests.integration.cache_support import ROOM, nights, put_snapshot, settings

WORKER = Path(__file__).with_name("holds_race_worker.py")
LAST_ROOMS = 3
ATTEMPTS_PER_PROCESS = 25
PROCESSES = 2

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def race(redis: Any, url: str, hotel: str, mode: str, snapshot: Any = None) -> list[str]:
    """Start both workers, release them together, and return every winning hold id.
    `snapshot(cache)`: stores the raced room type's counts (default: LAST_ROOMS of ROOM)."""
    cache = InventoryCache(redis, settings(), SystemClock())
    if snapshot is None:
        await put_snapshot(cache, LAST_ROOMS, nights(2), hotel=hotel)
    else:
        await snapshot(cache)
    total = ATTEMPTS_PER_PROCESS * PROCESSES
    args = [url, hotel, mode]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            *args,
            f"p{n}",
            str(ATTEMPTS_PER_PROCESS),
            str(total),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]
    try:
        for _ in range(3000):  # until both processes are connected and waiting (bounded, ~30 s)
            if int(await redis.get(f"race:{hotel}:ready") or 0) == PROCESSES:
                break
            await asyncio.sleep(0.01)
        await redis.set(f"race:{hotel}:go", "1")
        outputs = [await asyncio.wait_for(w.communicate(), timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.returncode is None:
                w.kill()
                await w.wait()
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err.decode()
    return [hold_id for out, _ in outputs for hold_id in json.loads(out)]


async def held_per_night(redis: Any, hotel: str) -> list[int]:
    cache = InventoryCache(redis, settings(), SystemClock())
    return [n.held for n in await cache.get_range(hotel, ROOM, nights(2))]


async def test_two_processes_racing_for_the_last_rooms_exactly_n_win(
    real_redis: Any, real_redis_url: str
) -> None:
    # given 3 rooms left and 50 contenders in 2 processes
    hotel = "race_safe"
    # when
    winners = await race(real_redis, real_redis_url, hotel, "safe")
    # then
    assert len(winners) == LAST_ROOMS
    assert {w.split("-")[0] for w in winners} <= {"p0", "p1"}
    assert await held_per_night(real_redis, hotel) == [LAST_ROOMS, LAST_ROOMS]


async def test_negative_control_the_unsafe_path_oversells_and_the_harness_sees_it(
    real_redis: Any, real_redis_url: str
) -> None:
    # given the same race with the hold's availability check skipped (ROOMGATE_DEBUG_FAULTS=hold_check=skip)
    hotel = "race_unsafe"
    # when
    winners = await race(real_redis, real_redis_url, hotel, "unsafe")
    # then every contender "won": the harness can see an oversell when there is one
    assert len(winners) > LAST_ROOMS
    assert len(winners) == ATTEMPTS_PER_PROCESS * PROCESSES
    assert all(held > LAST_ROOMS for held in await held_per_night(real_redis, hotel))
