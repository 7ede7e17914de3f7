"""Benchmark: PMS calls per 1,000 availability queries on a skewed (Zipf) mix of hotels and dates.

roomgate (a miss reads the aligned block of `fill_block_days` nights around the stay, counts and
prices in one getRatePlans call, single flight, 90 s / 300 s TTLs), the same with exact-range fills
(`fill_block_days=1`), and a naive per-night cache-aside baseline (each missing night is read from
the PMS on its own, counts and prices in one call), on the same query sequence, the same simulated
clock and the same Cloudbeds simulator, in one run. Every strategy pays the same one-off reads per
hotel (room types; the currency, which getRatePlans does not carry).

Then a miss storm: the first `--storm` queries of the same sequence arrive at once on a cold cache
(a restart, a flush), for roomgate with and without coalescing (single flight) and for the naive
cache-aside, which every concurrent miss reaches on its own.

    [ROOMGATE_BENCH_REDIS_URL=redis://127.0.0.1:6379/14] .venv/bin/python bench/pms_calls.py [--queries 1000] [--hotels 30] [--minutes 10] [--seed 7]
        [--block-days N] [--storm 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from harness import cloudbeds_key  # noqa: E402

from roomgate.cache.client import create_redis, fresh_in_process_redis  # noqa: E402
from roomgate.cache.inventory import InventoryCache  # noqa: E402
from roomgate.clock import FakeClock  # noqa: E402
from roomgate.config import Settings, load_settings  # noqa: E402
from roomgate.domain.stay import Stay  # noqa: E402
from roomgate.pms.base import get_inventory_and_rates  # noqa: E402
from roomgate.pms.factory import PMSConnectorFactory  # noqa: E402
from roomgate.services.availability import AvailabilityService  # noqa: E402
from roomgate.simulators.registry import create_simulator  # noqa: E402

KEY = cloudbeds_key("bench_key")
ROOM_TYPES = 3
Query = tuple[float, str, date, int]  # seconds from the start, hotel, check-in, nights


REDIS_URL = os.environ.get("ROOMGATE_BENCH_REDIS_URL")


async def fresh_redis() -> Any:
    """An empty Redis per run: in-process by default, or the benchmark's own database
    (`ROOMGATE_BENCH_REDIS_URL`, flushed: never point it at a database anything else uses)."""
    if REDIS_URL is None:
        return fresh_in_process_redis()
    redis = create_redis(REDIS_URL)
    await redis.flushdb()
    return redis


def zipf_index(rng: random.Random, n: int, s: float = 1.1) -> int:
    weights = [1 / (k**s) for k in range(1, n + 1)]
    return rng.choices(range(n), weights=weights)[0]


def queries(args: argparse.Namespace) -> list[Query]:
    rng = random.Random(args.seed)
    # Dates follow the simulated clock, not the machine's: a fill never widens into the past.
    base = datetime.fromtimestamp(FakeClock().now(), UTC).date() + timedelta(days=7)
    step = args.minutes * 60 / args.queries
    plan: list[Query] = []
    for i in range(args.queries):
        hotel, day = f"bench_{zipf_index(rng, args.hotels)}", zipf_index(rng, 60)
        plan.append((i * step, hotel, base + timedelta(days=day), rng.randint(1, 5)))
    return plan


async def seed(client: httpx2.AsyncClient, hotels: int) -> None:
    for h in range(hotels):
        room_types = [
            {
                "id": f"rt_{r}",
                "name": f"Room {r}",
                "maxGuests": 2 + r,
                "description": "",
                "totalRooms": 5,
                "nightlyRate": str(100000 + 10000 * r),
            }
            for r in range(ROOM_TYPES)
        ]
        body = {
            "name": f"Bench Hotel {h}",
            "currency": "KRW",
            "timezone": "Asia/Seoul",
            "address": {"line1": "1 Jong-ro", "city": "Seoul", "country": "KR"},
            "roomTypes": room_types,
        }
        (await client.put(f"/_sim/properties/bench_{h}", json=body)).raise_for_status()


async def pms_calls(client: httpx2.AsyncClient) -> Counter[str]:
    return Counter((await client.get("/_sim/state")).json()["calls"])


async def run_roomgate(
    http: httpx2.AsyncClient, sim: httpx2.AsyncClient, plan: list[Query], settings: Settings
) -> Counter[str]:
    clock = FakeClock()
    start_calls = await pms_calls(sim)
    # A seeded TTL jitter, so that runs repeat exactly.
    cache = InventoryCache(await fresh_redis(), settings, clock, rng=random.Random(len(plan)))
    factory = PMSConnectorFactory(settings, http, clock=clock)
    service = AvailabilityService(cache, factory.get_connector, settings, clock)
    t0 = clock.now()
    for at, hotel, check_in, nights in plan:
        clock.advance(t0 + at - clock.now())
        stay = Stay(check_in, check_in + timedelta(days=nights))
        await service.stay_availability("cloudbeds", hotel, stay, 2, 0)
    return await pms_calls(sim) - start_calls


async def storm_roomgate(
    http: httpx2.AsyncClient, sim: httpx2.AsyncClient, plan: list[Query], settings: Settings, coalesce: bool
) -> Counter[str]:
    """Every query of `plan` at the same instant on a cold cache."""
    clock = FakeClock()
    start_calls = await pms_calls(sim)
    cache = InventoryCache(await fresh_redis(), settings, clock, rng=random.Random(len(plan)))
    factory = PMSConnectorFactory(settings, http, clock=clock)
    service = AvailabilityService(cache, factory.get_connector, settings, clock)
    service.filler.coalesce = coalesce
    await asyncio.gather(
        *(
            service.stay_availability("cloudbeds", hotel, Stay(day, day + timedelta(days=n)), 2, 0)
            for _, hotel, day, n in plan
        )
    )
    return await pms_calls(sim) - start_calls


async def storm_naive(
    http: httpx2.AsyncClient, sim: httpx2.AsyncClient, plan: list[Query], settings: Settings
) -> Counter[str]:
    """The per-night cache-aside with every query at the same instant: each concurrent miss reads."""
    clock = FakeClock()
    start_calls = await pms_calls(sim)
    factory = PMSConnectorFactory(settings, http, clock=clock)
    nights_cached: dict[tuple[str, date], float] = {}

    async def one(hotel: str, check_in: date, nights: int) -> None:
        connector = await factory.get_connector("cloudbeds", hotel)
        missing = [
            check_in + timedelta(days=i)
            for i in range(nights)
            if nights_cached.get((hotel, check_in + timedelta(days=i)), 0) < clock.now()
        ]
        for night in missing:  # checked before any read returns: concurrent misses all read
            await get_inventory_and_rates(connector, None, night, night + timedelta(days=1), 1, 0)
            nights_cached[(hotel, night)] = clock.now() + settings.inv_ttl_seconds

    await asyncio.gather(*(one(hotel, day, n) for _, hotel, day, n in plan))
    return await pms_calls(sim) - start_calls


async def run_naive(
    http: httpx2.AsyncClient, sim: httpx2.AsyncClient, plan: list[Query], settings: Settings
) -> Counter[str]:
    """Per-night cache-aside: a dict of (hotel, night) → expiry; each missing night costs one PMS read."""
    clock = FakeClock()
    start_calls = await pms_calls(sim)
    factory = PMSConnectorFactory(settings, http, clock=clock)
    nights_cached: dict[tuple[str, date], float] = {}
    rooms_cached: dict[str, float] = {}
    t0 = clock.now()
    for at, hotel, check_in, nights in plan:
        clock.advance(t0 + at - clock.now())
        connector = await factory.get_connector("cloudbeds", hotel)
        if rooms_cached.get(hotel, 0) < clock.now():
            await connector.get_room_types()
            rooms_cached[hotel] = clock.now() + settings.rooms_ttl_seconds
        for offset in range(nights):
            night = check_in + timedelta(days=offset)
            if nights_cached.get((hotel, night), 0) < clock.now():
                await get_inventory_and_rates(connector, None, night, night + timedelta(days=1), 1, 0)
                nights_cached[(hotel, night)] = clock.now() + settings.inv_ttl_seconds
    return await pms_calls(sim) - start_calls


async def main(args: argparse.Namespace) -> None:
    for h in range(args.hotels):
        os.environ[f"PMS_bench_{h}_API_KEY"] = KEY
    sim_app = create_simulator("cloudbeds")
    transport = httpx2.ASGITransport(app=sim_app)
    results: list[tuple[str, Counter[str]]] = []
    async with httpx2.AsyncClient(transport=transport, base_url="http://sim") as sim:
        await seed(sim, args.hotels)
        settings = load_settings(cloudbeds_base_url="http://sim/api/v1.3")
        if args.block_days is not None:
            settings = settings.model_copy(update={"fill_block_days": args.block_days})
        exact = settings.model_copy(update={"fill_block_days": 1})
        async with httpx2.AsyncClient(transport=transport) as http:
            plan = queries(args)
            label = f"roomgate {settings.fill_block_days}-night aligned fill"
            results.append((label, await run_roomgate(http, sim, plan, settings)))
            results.append(("roomgate exact-range fill", await run_roomgate(http, sim, plan, exact)))
            results.append(("naive per-night cache-aside", await run_naive(http, sim, plan, settings)))
            burst = plan[: args.storm]
            storm = [
                ("roomgate, single flight", await storm_roomgate(http, sim, burst, settings, True)),
                ("roomgate, coalescing off", await storm_roomgate(http, sim, burst, settings, False)),
                ("naive per-night cache-aside", await storm_naive(http, sim, burst, settings)),
            ]
    distinct = Counter(hotel for _, hotel, _, _ in plan)
    scale = 1000 / args.queries
    print(
        f"PMS calls per 1,000 availability queries — {args.queries} queries over {args.minutes} "
        f"simulated minutes, {args.hotels} hotels (Zipf s=1.1; top hotel "
        f"{distinct.most_common(1)[0][1]} queries), check-in Zipf over 60 days, 1–5 nights"
    )
    print(f"{'strategy':<40}{'PMS calls':>10}{'per 1,000':>11}{'getRatePlans':>14}{'one-off':>9}")
    for label, calls in results:
        total = sum(calls.values())
        print(
            f"{label:<40}{total:>10}{total * scale:>11.0f}{calls['getRatePlans']:>14}"
            f"{total - calls['getRatePlans']:>9}"
        )
    ours, naive = sum(results[0][1].values()), sum(results[2][1].values())
    print(f"reduction: {naive / max(ours, 1):.1f}x fewer PMS calls than the naive baseline")
    print()
    print(f"miss storm — the first {len(burst)} queries at the same instant, cold cache")
    print(f"{'strategy':<40}{'PMS calls':>10}{'getRatePlans':>14}")
    for label, calls in storm:
        print(f"{label:<40}{sum(calls.values()):>10}{calls['getRatePlans']:>14}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--hotels", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--block-days", type=int, default=None, help="fill block (default: the setting)")
    parser.add_argument("--storm", type=int, default=200, help="queries in the concurrent miss storm")
    asyncio.run(main(parser.parse_args()))
