"""Concurrent misses cost one PMS call: per process (single flight) and across processes (fill lease)."""

from __future__ import annotations

import asyncio
from datetime import date

import fakeredis
import pytest

from roomgate.cache.client import create_redis
from roomgate.cache.fill_lease import FillLease
from roomgate.clock import FakeClock
from roomgate.pms.errors import PMSTransientError
from roomgate.services.inventory_fill import InventoryFiller
from roomgate.services.single_flight import SingleFlight
from tests.unit.availability_support import DOUBLE, HOTEL, VENDOR, World, build_world

NOV_1, NOV_3 = date(2025, 11, 1), date(2025, 11, 3)


async def miss_storm(world: World, count: int) -> list[object]:
    """`count` concurrent reads of one cold range while the PMS inventory call is held open."""
    world.pms.gate = asyncio.Event()
    tasks = [
        asyncio.ensure_future(
            world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
        )
        for _ in range(count)
    ]
    await world.pms.entered.wait()
    # let the other readers miss and pile up: behind the open call (single flight), or each at its own
    # PMS call (negative control); bounded yields, no timing
    filler = world.service.filler
    for _ in range(10_000):
        piled_up = (
            filler.coalesced >= count - 1 if filler.coalesce else world.pms.calls["get_inventory"] >= count
        )
        if piled_up:
            break
        await asyncio.sleep(0)
    world.pms.gate.set()
    return list(await asyncio.gather(*tasks))


async def test_a_thousand_concurrent_misses_cost_one_pms_call() -> None:
    # given a cold cache
    world = build_world()
    # when
    results = await miss_storm(world, 1000)
    # then
    assert (
        world.pms.calls["get_inventory"],
        world.pms.calls["get_rates"],
        world.pms.calls["get_room_types"],
    ) == (1, 1, 1)
    assert len({tuple(r.nights) for r in results}) == 1  # type: ignore[attr-defined]
    # and that is because every other miss joined the one open read, not because it came later and hit
    assert world.service.filler.coalesced == 999


async def test_negative_control_without_coalescing_the_harness_counts_many_calls() -> None:
    # given the same storm with single flight and lease switched off (debug hook)
    world = build_world()
    world.service.filler.coalesce = False
    # when
    await miss_storm(world, 50)
    # then every one of the 50 concurrent misses reached the PMS: the harness sees what coalescing saves
    assert world.pms.calls["get_inventory"] == 50 and world.service.filler.coalesced == 0


async def test_a_failed_fill_reaches_every_waiter_and_is_not_remembered() -> None:
    # given a failing PMS
    world = build_world()
    await world.service.ensure_cached(
        VENDOR, HOTEL, DOUBLE.room_type_id, date(2025, 12, 1), date(2025, 12, 2)
    )
    world.pms.fail_with = PMSTransientError("down", vendor=VENDOR, hotel_id=HOTEL)
    world.pms.calls.clear()
    # when
    outcomes = await asyncio.gather(
        *(
            world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
            for _ in range(20)
        ),
        return_exceptions=True,
    )
    world.pms.fail_with = None
    recovered = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then
    assert all(isinstance(o, PMSTransientError) for o in outcomes)
    assert world.pms.calls["get_inventory"] == 2 and recovered.source == "pms"


class GateClock(FakeClock):
    """A fake clock whose `sleep` waits for the test to open a gate (so a waiter's turn is controlled)."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping = asyncio.Event()
        self.gate = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        await self.gate.wait()
        await super().sleep(seconds)


def two_processes(*, coalesce: bool = True) -> tuple[World, World, GateClock]:
    """Two services with their own clients and single-flight maps, sharing one Redis server."""
    server = fakeredis.FakeServer()
    first = build_world(create_redis(None, server=server))
    gate_clock = GateClock()
    redis = create_redis(None, server=server)
    second = build_world(redis, gate_clock)
    second.service.filler = InventoryFiller(second.cache, FillLease(redis), gate_clock, coalesce=coalesce)
    first.service.filler.coalesce = coalesce
    return first, second, gate_clock


async def test_across_processes_a_waiter_rereads_what_the_lease_holder_filled() -> None:
    # given process A holds the fill lease with its PMS call open
    a, b, b_clock = two_processes()
    a.pms.gate = asyncio.Event()
    task_a = asyncio.ensure_future(
        a.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    )
    await a.pms.entered.wait()
    # when process B misses the same range, waits, and A finishes before B looks again
    task_b = asyncio.ensure_future(
        b.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    )
    await b_clock.sleeping.wait()
    a.pms.gate.set()
    from_a = await task_a
    b_clock.gate.set()
    from_b = await task_b
    # then one PMS inventory call in total, and B served A's data from the cache
    assert (a.pms.calls["get_inventory"], b.pms.calls["get_inventory"]) == (1, 0)
    assert (from_a.source, from_b.source) == ("pms", "cache")
    assert from_b.nights == from_a.nights


async def test_negative_control_without_the_lease_both_processes_call_the_pms() -> None:
    # given the same two processes with coalescing off
    a, b, _ = two_processes(coalesce=False)
    a.pms.gate = asyncio.Event()
    task_a = asyncio.ensure_future(
        a.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    )
    await a.pms.entered.wait()
    # when
    await b.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    a.pms.gate.set()
    await task_a
    # then the harness sees both calls
    assert (a.pms.calls["get_inventory"], b.pms.calls["get_inventory"]) == (1, 1)


async def test_a_lease_left_by_a_dead_process_delays_but_does_not_block_the_fill() -> None:
    # given a lease taken by a process that never finishes
    world = build_world()
    lease = FillLease(world.redis)
    assert await lease.acquire(HOTEL, VENDOR, [DOUBLE.room_type_id], NOV_1, NOV_3, ttl_seconds=60) is not None
    started = world.clock.monotonic()
    # when
    result = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, NOV_1, NOV_3)
    # then after waiting out the wait window (fake time), the service read the PMS itself
    assert result.source == "pms" and world.pms.calls["get_inventory"] == 1
    assert world.clock.monotonic() - started >= world.service.filler.wait_seconds


async def test_a_lease_is_only_released_by_its_owner() -> None:
    # given a lease that timed out and was taken by someone else
    world = build_world()
    lease = FillLease(world.redis)
    mine = await lease.acquire(HOTEL, VENDOR, ["r"], NOV_1, NOV_3, ttl_seconds=60)
    assert mine is not None
    await world.redis.set(mine[0], "someone-else")
    # when / then
    assert await lease.release(mine) is False
    assert await world.redis.get(mine[0]) == "someone-else"


async def test_single_flight_survives_a_caller_giving_up() -> None:
    # given one run with two callers
    flights: SingleFlight[int] = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 42

    quitter = asyncio.ensure_future(flights.run("k", work))
    stayer = asyncio.ensure_future(flights.run("k", work))
    await asyncio.sleep(0)
    # when the first caller is cancelled
    quitter.cancel()
    release.set()
    # then the other still gets the one run's result, and the key is free again
    assert await stayer == 42 and runs == 1
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert not flights.in_flight("k")
