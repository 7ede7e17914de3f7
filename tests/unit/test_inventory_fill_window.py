"""A cache fill reads the aligned block around the request, in one PMS read, with every guarantee kept:
single flight, the cross-process fill lease, and the snapshot-vs-local-mutation fence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import fakeredis
import pytest

from roomgate.cache.client import create_redis
from roomgate.clock import FakeClock
from roomgate.pms.errors import PMSTransientError
from tests.unit.availability_support import DOUBLE, FAMILY, HOTEL, VENDOR, build_world
from tests.unit.inventory_fill_support import BLOCK_DAYS, CombinedReadPMS, filler_over

# FakeClock starts on 2026-01-01; with 28-night blocks from 2024-01-01 one block is 2026-02-23..03-23.
BLOCK = (date(2026, 2, 23), date(2026, 3, 23))
MAR_1, MAR_3, MAR_5, MAR_8 = date(2026, 3, 1), date(2026, 3, 3), date(2026, 3, 5), date(2026, 3, 8)
MAR_15, MAR_16, MAR_20 = date(2026, 3, 15), date(2026, 3, 16), date(2026, 3, 20)
ROOMS = [DOUBLE.room_type_id, FAMILY.room_type_id]


async def test_a_miss_reads_the_whole_block_in_one_combined_read() -> None:
    # given a cold cache and a PMS that reads counts and prices together
    pms, clock = CombinedReadPMS(), FakeClock()
    filler = filler_over(fakeredis_client(), clock)
    pms.available[(DOUBLE.room_type_id, MAR_3)] = 2
    # when
    filled = await filler.fill(pms, HOTEL, ROOMS, MAR_1, MAR_5)
    # then one read of the block, and the rows are exactly the requested nights
    assert pms.ranges == [BLOCK]
    calls = pms.calls
    assert (calls["get_inventory_and_rates"], calls["get_inventory"], calls["get_rates"]) == (1, 0, 0)
    double = filled.rows[DOUBLE.room_type_id]
    assert [n.night for n in double] == [date(2026, 3, d) for d in range(1, 5)]
    assert [n.available for n in double] == [5, 5, 2, 5] and filled.source == "pms"


async def test_a_later_stay_in_the_same_block_is_served_from_the_cache() -> None:
    # given one fill of 1–5 March
    world = build_world()
    world.service.filler.block_days = BLOCK_DAYS
    await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, MAR_1, MAR_5)
    # when stays later in the block are asked for
    later = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, MAR_15, MAR_20)
    stay_next_day = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, MAR_3, MAR_8)
    # then no further PMS read (a connector without the combined read costs its two calls once)
    assert (world.pms.calls["get_inventory"], world.pms.calls["get_rates"]) == (1, 1)
    assert (later.source, stay_next_day.source) == ("cache", "cache")
    assert [n.available for n in later.nights] == [5] * 5


async def test_negative_control_exact_range_fills_read_the_pms_again() -> None:
    # given the same requests with block_days=1 (exact-range fills)
    world = build_world()
    world.service.filler.block_days = 1
    # when
    await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, MAR_1, MAR_5)
    later = await world.service.room_type_inventory(VENDOR, HOTEL, DOUBLE.room_type_id, MAR_15, MAR_20)
    # then the harness sees the second read
    assert world.pms.calls["get_inventory"] == 2 and later.source == "pms"


async def test_a_stay_across_blocks_reads_both_in_one_call() -> None:
    # given
    pms, filler = CombinedReadPMS(), filler_over(fakeredis_client(), FakeClock())
    # when
    await filler.fill(pms, HOTEL, ROOMS, date(2026, 3, 21), date(2026, 3, 25))
    # then
    assert pms.ranges == [(BLOCK[0], date(2026, 4, 20))]


async def test_a_vendor_cap_on_one_read_keeps_the_window_to_the_request() -> None:
    # given a vendor that reads at most 10 nights at a time
    pms, filler = CombinedReadPMS(max_read_nights=10), filler_over(fakeredis_client(), FakeClock())
    # when
    await filler.fill(pms, HOTEL, ROOMS, MAR_1, MAR_5)
    # then
    assert pms.ranges == [(MAR_1, MAR_5)]


async def concurrent_misses(pms: CombinedReadPMS, filler: Any, ranges: list[tuple[date, date]]) -> None:
    """Misses for several ranges at once while the first PMS read is held open."""
    pms.gate = asyncio.Event()
    tasks = [asyncio.ensure_future(filler.fill(pms, HOTEL, ROOMS, s, e)) for s, e in ranges]
    await pms.entered.wait()
    for _ in range(20):  # let the other misses arrive while the read is open
        await asyncio.sleep(0)
    pms.gate.set()
    await asyncio.gather(*tasks)


NEIGHBOURS = [(MAR_1, MAR_3), (MAR_5, MAR_8), (MAR_15, MAR_16), (MAR_3, MAR_5)]


async def test_concurrent_misses_on_different_nights_of_one_block_share_one_read() -> None:
    # given
    pms, filler = CombinedReadPMS(), filler_over(fakeredis_client(), FakeClock())
    # when
    await concurrent_misses(pms, filler, NEIGHBOURS)
    # then one single-flight key, one read
    assert pms.ranges == [BLOCK]


async def test_negative_control_exact_range_fills_read_once_per_range() -> None:
    # given
    pms, filler = CombinedReadPMS(), filler_over(fakeredis_client(), FakeClock(), block_days=1)
    # when
    await concurrent_misses(pms, filler, NEIGHBOURS)
    # then
    assert sorted(pms.ranges) == sorted(NEIGHBOURS)


@pytest.fixture(params=["in-process", "real"])
async def shared_redis(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Any]]:
    """A factory of clients of ONE Redis server (one client per simulated process)."""
    clients: list[Any] = []
    if request.param == "in-process":
        server = fakeredis.FakeServer()

        def connect() -> Any:
            clients.append(create_redis(None, server=server))
            return clients[-1]
    else:
        url = request.getfixturevalue("real_redis_url")

        def connect() -> Any:
            clients.append(create_redis(url))
            return clients[-1]

        await connect().flushdb()
    yield connect
    if request.param == "real":
        await clients[0].flushdb()
    for client in clients:
        await client.aclose()


class GateClock(FakeClock):
    """`sleep` waits for the test to open a gate, so a waiting process looks again when told."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping, self.gate = asyncio.Event(), asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        await self.gate.wait()
        await super().sleep(seconds)


async def two_processes_fill(shared_redis: Callable[[], Any], block_days: int) -> tuple[int, int, str]:
    """A fills 1–3 March with its read held open; B misses 15–16 March meanwhile. PMS reads of A, B."""
    a_pms, b_pms, b_clock = CombinedReadPMS(), CombinedReadPMS(), GateClock()
    a = filler_over(shared_redis(), FakeClock(), block_days=block_days)
    b = filler_over(shared_redis(), b_clock, block_days=block_days)
    a_pms.gate = asyncio.Event()
    task_a = asyncio.ensure_future(a.fill(a_pms, HOTEL, ROOMS, MAR_1, MAR_3))
    await a_pms.entered.wait()
    task_b = asyncio.ensure_future(b.fill(b_pms, HOTEL, ROOMS, MAR_15, MAR_16))
    waiting = asyncio.ensure_future(b_clock.sleeping.wait())
    await asyncio.wait([waiting, task_b], return_when=asyncio.FIRST_COMPLETED)
    a_pms.gate.set()
    await task_a
    b_clock.gate.set()
    from_b = await task_b
    waiting.cancel()
    return len(a_pms.ranges), len(b_pms.ranges), from_b.source


async def test_across_processes_a_miss_elsewhere_in_the_block_waits_for_the_lease_holder(
    shared_redis: Callable[[], Any],
) -> None:
    # given / when process B misses other nights of the block A is reading
    a_reads, b_reads, b_source = await two_processes_fill(shared_redis, BLOCK_DAYS)
    # then B took A's data from the cache
    assert (a_reads, b_reads, b_source) == (1, 0, "cache")


async def test_negative_control_across_processes_exact_ranges_both_read(
    shared_redis: Callable[[], Any],
) -> None:
    # given / when the same with exact-range fills (different lease keys)
    a_reads, b_reads, b_source = await two_processes_fill(shared_redis, 1)
    # then the harness sees B's own read
    assert (a_reads, b_reads, b_source) == (1, 1, "pms")


async def test_a_dead_lease_on_the_block_delays_but_does_not_block_the_fill() -> None:
    # given a process died holding the lease of the block
    pms, clock = CombinedReadPMS(), FakeClock()
    filler = filler_over(fakeredis_client(), clock)
    window = filler.window(pms, MAR_15, MAR_16)
    assert window == BLOCK
    assert await filler.lease.acquire(HOTEL, pms.vendor, ROOMS, *window, ttl_seconds=60) is not None
    started = clock.monotonic()
    # when
    filled = await filler.fill(pms, HOTEL, ROOMS, MAR_1, MAR_3)
    # then it waited out the wait window (fake time), then read the PMS itself
    assert filled.source == "pms" and pms.ranges == [BLOCK]
    assert clock.monotonic() - started >= filler.wait_seconds


async def mutation_during_a_block_read(*, mutate: bool) -> int | None:
    """Cache the block, drop 1–3 March, and refill with the read held open while (if `mutate`) a
    booking takes a room on 20 March — inside the block, outside the request. The PMS says 5
    throughout except 20 March, which reads 3. Returns 20 March's cached count afterwards."""
    pms, clock = CombinedReadPMS(), FakeClock()
    filler = filler_over(fakeredis_client(), clock)
    await filler.fill(pms, HOTEL, ROOMS, MAR_1, MAR_3)
    await filler.cache.invalidate(HOTEL, DOUBLE.room_type_id, [MAR_1, date(2026, 3, 2)])
    clock.advance(1)
    pms.available[(DOUBLE.room_type_id, MAR_20)] = 3
    pms.gate, pms.entered = asyncio.Event(), asyncio.Event()
    refill = asyncio.ensure_future(filler.fill(pms, HOTEL, ROOMS, MAR_1, MAR_3))
    await pms.entered.wait()
    if mutate:
        clock.advance(1)
        await filler.cache.decrement_inventory(HOTEL, DOUBLE.room_type_id, MAR_20)
    pms.gate.set()
    assert (await refill).source == "pms" and len(pms.ranges) == 2
    return (await filler.cache.get(HOTEL, DOUBLE.room_type_id, MAR_20)).available


async def test_a_booking_during_a_block_read_is_not_overwritten_outside_the_request() -> None:
    # given / when a booking lands on 20 March while the refill's PMS read is under way
    count = await mutation_during_a_block_read(mutate=True)
    # then the local decrement (5 → 4) stands; the older PMS snapshot (3) did not overwrite it
    assert count == 4


async def test_negative_control_without_the_booking_the_block_read_refreshes_that_night() -> None:
    # given / when the same refill with no booking
    count = await mutation_during_a_block_read(mutate=False)
    # then the widened read does write 20 March (so the fence test above can fail)
    assert count == 3


async def test_a_failed_block_read_reaches_every_waiter_and_is_not_remembered() -> None:
    # given a failing PMS and misses on several nights of one block
    pms, filler = CombinedReadPMS(), filler_over(fakeredis_client(), FakeClock())
    pms.fail_with = PMSTransientError("down", vendor=VENDOR, hotel_id=HOTEL)
    # when
    outcomes = await asyncio.gather(
        *(filler.fill(pms, HOTEL, ROOMS, s, e) for s, e in NEIGHBOURS), return_exceptions=True
    )
    pms.fail_with = None
    recovered = await filler.fill(pms, HOTEL, ROOMS, MAR_5, MAR_8)
    # then
    assert all(isinstance(o, PMSTransientError) for o in outcomes)
    assert recovered.source == "pms" and len(pms.ranges) == 2


def fakeredis_client() -> Any:
    return create_redis(None, server=fakeredis.FakeServer())
