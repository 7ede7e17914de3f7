"""Benchmark: availability on a warm cache vs `/healthz` of the same server, then a realistic mix.

Rows, all at the same concurrency:
- `/healthz`, and one 30-night stay requested over and over on a cache with 3,600 s TTLs (every
  request a memo hit: the best case, kept to compare with earlier runs);
- the realistic row: a Zipf mix over thousands of URLs (both demo hotels × 90 check-in dates × 1–7
  nights × parties of 1–4 guests, adults and children), default TTLs, while a background writer creates
  and releases holds (each one moves the hotel's view version, so remembered answers go stale as they
  would in production). Each party is priced from the one cached rate value (the PMS's extra-guest
  rule), so a new party costs no PMS call and no extra Redis round trip;
- optionally the single URL with the answer memo off (`--compare`).
Also the Redis round trips per availability request (target: 1, whatever the number of nights or the
party): on the one URL, and over warm stays asked for by every party for the first time (rendered, not
remembered).

    ROOMGATE_BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/availability.py \
        [--seconds 10] [--connections 32] [--holds-per-second 5] [--compare]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    LoadResult,
    cloudbeds_key,
    redis_round_trips,
    redis_url_if_reachable,
    roomgate,
    run_load,
    simulator,
)

ROOMS = {"hotel_123": ["room_456", "room_457", "room_458"], "hotel_777": ["room_771", "room_772"]}
KEYS = {f"PMS_{hotel}_API_KEY": cloudbeds_key("bench_key") for hotel in ROOMS}
CHECK_IN_DAYS = 90
ZIPF_EXPONENT = 1.0
# Parties of 1–4 guests (adults, children); the demo's Family Suite charges extra adults and children.
PARTIES = [(1, 0), (2, 0), (1, 1), (3, 0), (2, 1), (1, 2), (4, 0), (3, 1), (2, 2)]


def stay_url(base: str, hotel: str, day: date, nights: int, party: tuple[int, int]) -> str:
    return (
        f"{base}/api/hotels/{hotel}/availability?vendor=cloudbeds&checkIn={day}"
        f"&checkOut={day + timedelta(days=nights)}&adults={party[0]}&children={party[1]}"
    )


def zipf_mix(base: str, first: date, count: int, seed: int = 7) -> tuple[list[str], int]:
    """`count` request URLs drawn with Zipf popularity from every (hotel, check-in, nights, party)."""
    rng = random.Random(seed)
    universe = [
        (hotel, first + timedelta(days=day), nights, party)
        for hotel in ROOMS
        for day in range(CHECK_IN_DAYS)
        for nights in range(1, 8)
        for party in PARTIES
    ]
    rng.shuffle(universe)  # which stay is popular is random; how popular follows the rank
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(universe))]
    picks = rng.choices(universe, weights, k=count)
    return [stay_url(base, hotel, day, nights, party) for hotel, day, nights, party in picks], len(universe)


def first_time_parties(base: str, first: date) -> list[str]:
    """Warm stays (their nights cached by `warm`) asked for by each party once: every one rendered."""
    return [
        stay_url(base, hotel, first + timedelta(days=day), 3, party)
        for hotel in ROOMS
        for day in (2, 16, 30)
        for party in PARTIES
    ]


class HoldWriter(threading.Thread):
    """Creates a hold every 1/rate s on a random popular night range and releases it 2 s later."""

    def __init__(self, redis_url: str, first: date, per_second: float) -> None:
        super().__init__(daemon=True)
        self.redis_url, self.first, self.per_second = redis_url, first, per_second
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        asyncio.run(self._write())

    async def _write(self) -> None:
        from roomgate.cache.client import create_redis
        from roomgate.cache.holds import RedisHoldLedger

        redis = create_redis(self.redis_url)
        ledger = RedisHoldLedger(redis, default_ttl_seconds=180)
        rng = random.Random(11)
        pending: list[tuple[str, str]] = []
        try:
            while not self.stop.is_set():
                hotel = rng.choice(list(ROOMS))
                start = self.first + timedelta(days=rng.randrange(CHECK_IN_DAYS))
                nights = [start + timedelta(days=i) for i in range(rng.randint(1, 3))]
                hold_id = f"bench-{self.written}"
                outcome = await ledger.create_hold(hotel, rng.choice(ROOMS[hotel]), nights, 1, hold_id)
                self.written += outcome.ok
                pending.append((hotel, hold_id))
                if len(pending) > 2 * self.per_second:
                    await ledger.release(*pending.pop(0))
                await asyncio.sleep(1 / self.per_second)
        finally:
            await redis.aclose()


def warm(base: str, first: date) -> None:
    """One read per hotel and 28-night block, so the mix starts from a cache a live server would have."""
    for hotel in ROOMS:
        for day in range(0, CHECK_IN_DAYS + 7, 14):
            check_in = first + timedelta(days=day)
            url = (
                f"{base}/api/hotels/{hotel}/availability?vendor=cloudbeds&checkIn={check_in}"
                f"&checkOut={check_in + timedelta(days=1)}&adults=1&children=0"
            )
            httpx2.get(url, timeout=60)


def flush(redis_url: str) -> None:
    """Empty the benchmark's own Redis database between servers (never any other database)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--holds-per-second", type=float, default=5.0)
    parser.add_argument("--compare", action="store_true", help="also the single URL with the memo off")
    args = parser.parse_args()

    redis_url = redis_url_if_reachable()
    start = date.today() + timedelta(days=30)
    end = start + timedelta(days=args.nights)
    rows: list[tuple[str, LoadResult]] = []
    trips = None
    with simulator("cloudbeds") as sim:
        env = {"CLOUDBEDS_BASE_URL": f"{sim}/api/v1.3", **KEYS}
        if redis_url:
            env["REDIS_URL"] = redis_url
            flush(redis_url)
        # the old best case: one URL, a cache that stays warm for the whole run
        warm_env = {**env, "ROOMGATE_INV_TTL_SECONDS": "3600", "ROOMGATE_RATE_TTL_SECONDS": "3600"}
        with roomgate(warm_env) as url:
            target = (
                f"{url}/api/hotels/hotel_123/availability?vendor=cloudbeds"
                f"&checkIn={start}&checkOut={end}&adults=2&children=0"
            )
            assert httpx2.get(target, timeout=30).json()["success"]
            assert httpx2.get(target, timeout=30).json()["source"] == "cache"
            rows.append(("/healthz", run_load(f"{url}/healthz", args.seconds, args.connections)))
            rows.append((f"one URL ({args.nights} nights)", run_load(target, args.seconds, args.connections)))
            if redis_url:
                trips = redis_round_trips(redis_url, lambda: httpx2.get(target, timeout=30), 50)
            if args.compare:
                with roomgate({**warm_env, "ROOMGATE_RESPONSE_MEMO_ENTRIES": "0"}) as plain:
                    plain_target = target.replace(url, plain)
                    rows.append(("  same, memo off", run_load(plain_target, args.seconds, args.connections)))
        universe = 0
        holds = 0
        party_trips = None
        party_count = 0
        if redis_url:
            flush(redis_url)
            # the realistic mix: default TTLs, thousands of URLs, holds written meanwhile
            with roomgate(env) as url:
                warm(url, start)
                urls, universe = zipf_mix(url, start, 200_000)
                writer = HoldWriter(redis_url, start, args.holds_per_second)
                writer.start()
                try:
                    rows.append(("Zipf mix + holds", run_load(urls, args.seconds, args.connections)))
                finally:
                    writer.stop.set()
                    writer.join(10)
                holds = writer.written
                # every party of a warm stay, each URL asked once: rendered from one read, no fill
                # (warmed again first: on a loaded box the mix can outlast the 90 s count TTL)
                warm(url, start)
                first_asks = iter(first_time_parties(url, start))
                party_count = len(first_time_parties(url, start))
                party_trips = redis_round_trips(
                    redis_url, lambda: httpx2.get(next(first_asks), timeout=30), party_count
                )
            flush(redis_url)

    tool = rows[1][1].tool
    print(
        f"availability benchmark — {args.connections} connections, {args.seconds:.0f} s per row, "
        f"load by {tool}, Redis: {'real ' + redis_url if redis_url else 'in-process'}"
    )
    print(f"{'row':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'/healthz':>10}")
    healthz = rows[0][1].requests_per_second
    for name, result in rows:
        print(
            f"{name:<28}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}"
            f"{result.errors:>8}{result.requests_per_second / healthz:>10.2f}"
        )
    if universe:
        print(
            f"Zipf mix: {universe:,} distinct URLs (s={ZIPF_EXPONENT}), default TTLs, "
            f"{holds} holds written at {args.holds_per_second:g}/s meanwhile"
        )
    else:
        print("Zipf mix skipped: it needs a real Redis (the hold writer shares it with the server)")
    if trips is not None:
        print(f"Redis round trips per availability request: {trips:.2f} (target 1)")
    if party_trips is not None:
        print(
            f"Redis round trips per request, {party_count} warm stays × parties of 1–4 asked once each: "
            f"{party_trips:.2f} (target 1)"
        )
    if tool != "wrk":
        print("note: the Python load generator saturates near 2,000 req/s on its own; install wrk")
        print("      (apt-get install wrk) for numbers bound by the server rather than by the generator")


if __name__ == "__main__":
    main()
