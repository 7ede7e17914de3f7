"""Benchmark: a mixed marketplace workload on a production-shaped installation.

Two `roomgate serve` processes and one `roomgate worker` on PostgreSQL (a fresh database, dropped at
the end) and real Redis, with the Cloudbeds simulator as its own process. The load is 95 % availability
(a Zipf mix of hotels, check-in dates, stay lengths and party sizes, so most URLs are distinct) and 5 %
checkouts (availability, then a checkout at the quoted total, as a guest would), spread over both
servers. Reports throughput, p50/p99 per endpoint, errors (must be 0), overbooking (must be 0) and
the same servers' `/healthz` throughput at the same concurrency as the ratio's base.

    .venv/bin/python bench/load.py [--seconds 20] [--connections 32] [--hotels 20] [--cluster]

`--cluster` starts a local 3-master Redis Cluster (redis-server --cluster-enabled yes on free ports)
and runs the same workload on it.

Everything runs on 127.0.0.1 and stops by itself. Falls back to SQLite / in-process Redis (and says
so) when PostgreSQL or Redis is not reachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import cloudbeds_key, free_port, process, simulator  # noqa: E402

ROOMS_PER_TYPE = 4
ROOM_TYPES = 3
PRICE = 90000
POSTGRES_ADMIN = os.environ.get(
    "ROOMGATE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ROOMGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A brand-new PostgreSQL database for this run (dropped afterwards), or None without PostgreSQL."""
    if not reachable(5432):
        yield None
        return
    import asyncpg

    name = f"roomgate_load_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def seed_hotels(sim: str, hotels: int) -> list[str]:
    ids = [f"load_hotel_{i:03d}" for i in range(hotels)]
    for hotel in ids:
        body = {
            "name": f"Load Hotel {hotel[-3:]}",
            "currency": "KRW",
            "timezone": "Asia/Seoul",
            "address": {"line1": "1 Jong-ro", "city": "Seoul", "country": "KR"},
            "roomTypes": [
                {
                    "id": f"rt_{j}",
                    "name": f"Room {j}",
                    "maxGuests": 4,
                    "description": "",
                    "totalRooms": ROOMS_PER_TYPE,
                    "nightlyRate": str(PRICE + 10000 * j),
                }
                for j in range(ROOM_TYPES)
            ],
        }
        httpx2.put(f"{sim}/_sim/properties/{hotel}", json=body).raise_for_status()
    return ids


# The load generator runs in its own process so it does not share a core's event loop with the servers'.
_GENERATOR = r"""
import asyncio, json, random, sys, time
from datetime import date, timedelta
import httpx2

cfg = json.loads(sys.argv[1])
servers, hotels, seconds, conns = cfg["servers"], cfg["hotels"], cfg["seconds"], cfg["connections"]
healthz_only = cfg["healthz_only"]
first = date.fromisoformat(cfg["first_night"])
rng = random.Random(cfg["seed"])

def zipf_index(n, s=1.1):
    weights = [1 / (k + 1) ** s for k in range(n)]
    return rng.choices(range(n), weights=weights)[0]

DAY_WEIGHTS = [1 / (k + 1) ** 0.8 for k in range(60)]
lat = {"availability": [], "checkout": [], "healthz": []}
status = {"availability": {}, "checkout": {}, "healthz": {}}
codes = {}

def record(kind, took, response):
    lat[kind].append(took)
    key = str(response.status_code)
    status[kind][key] = status[kind].get(key, 0) + 1

async def one(client, n):
    server = servers[n % len(servers)]
    if healthz_only:
        t = time.perf_counter(); r = await client.get(f"{server}/healthz"); record("healthz", time.perf_counter() - t, r)
        return
    hotel = hotels[zipf_index(len(hotels))]
    check_in = first + timedelta(days=rng.choices(range(60), weights=DAY_WEIGHTS)[0])
    nights = rng.choice([1, 1, 2, 2, 3, 4, 5])
    adults = rng.choice([1, 2, 2, 2, 3, 4])
    params = {"vendor": "cloudbeds", "checkIn": check_in.isoformat(),
              "checkOut": (check_in + timedelta(days=nights)).isoformat(), "adults": adults, "children": 0}
    t = time.perf_counter()
    r = await client.get(f"{server}/api/hotels/{hotel}/availability", params=params)
    record("availability", time.perf_counter() - t, r)
    if rng.random() >= cfg["checkout_share"] or r.status_code != 200:
        return
    options = [o for o in r.json().get("roomTypes", []) if o.get("available", 0) > 0]
    if not options:
        return
    option = rng.choice(options)
    body = {"vendor": "cloudbeds", "hotelId": hotel, "roomTypeId": option["roomTypeId"],
            "checkIn": params["checkIn"], "checkOut": params["checkOut"], "adults": adults, "children": 0,
            "guestInfo": {"firstName": "Load", "lastName": "Guest", "email": "load@example.com"},
            "payment": {"cardToken": "tok_visa_1234", "amount": option["total"], "currency": "KRW"}}
    t = time.perf_counter()
    r = await client.post(f"{server}/api/booking/checkout", json=body, headers={"Idempotency-Key": f"load-{n}-{rng.random()}"})
    record("checkout", time.perf_counter() - t, r)
    if r.status_code != 200:
        code = r.json().get("errorCode", "?")
        codes[code] = codes.get(code, 0) + 1

async def worker(client, stop, start_n):
    n = start_n
    while time.perf_counter() < stop:
        try:
            await one(client, n)
        except httpx2.HTTPError as exc:
            status.setdefault("transport", {})[type(exc).__name__] = status.get("transport", {}).get(type(exc).__name__, 0) + 1
        n += conns

async def main():
    limits = httpx2.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
        began = time.perf_counter()
        stop = began + seconds
        await asyncio.gather(*(worker(client, stop, i) for i in range(conns)))
        elapsed = time.perf_counter() - began
    print(json.dumps({"elapsed": elapsed, "lat": {k: sorted(v) for k, v in lat.items()}, "status": status, "codes": codes}))

asyncio.run(main())
"""


def run_generator(config: dict[str, object]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _GENERATOR, json.dumps(config)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))] * 1000 if values else float("nan")


def overbooked_nights(sim: str, hotels: list[str]) -> tuple[int, int]:
    """(room-nights sold beyond capacity, live reservations) according to the PMS simulator."""
    state = httpx2.get(f"{sim}/_sim/state").json()
    sold: Counter[tuple[str, str, str]] = Counter()
    live = 0
    for reservation in state["reservations"]:
        if not reservation.get("holdsInventory", True):
            continue
        live += 1
        start = date.fromisoformat(reservation["checkIn"])
        end = date.fromisoformat(reservation["checkOut"])
        for offset in range((end - start).days):
            night = (start + timedelta(offset)).isoformat()
            sold[(reservation["propertyId"], reservation["roomTypeId"], night)] += 1
    return sum(max(0, count - ROOMS_PER_TYPE) for count in sold.values()), live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--hotels", type=int, default=20)
    parser.add_argument("--checkout-share", type=float, default=0.05)
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds of the same mix first, not measured (cold cache)"
    )
    parser.add_argument("--cluster", action="store_true", help="run on a local 3-master Redis Cluster")
    args = parser.parse_args()
    redis_url = REDIS_URL if reachable(6379) else None
    first_night = date.today() + timedelta(days=7)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if args.cluster:
            from tests.redis_cluster import local_cluster

            redis_url = stack.enter_context(local_cluster(Path(tmp) / "cluster"))
        database_url = stack.enter_context(postgres_database()) or f"sqlite:///{tmp}/load.db"
        sim = stack.enter_context(simulator("cloudbeds"))
        hotels = seed_hotels(sim, args.hotels)
        env = {
            "DATABASE_URL": database_url,
            "CLOUDBEDS_BASE_URL": f"{sim}/api/v1.3",
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            **{f"PMS_{hotel}_API_KEY": cloudbeds_key("load_key") for hotel in hotels},
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
            if not args.cluster:
                import redis

                redis.Redis.from_url(redis_url).flushdb()
        subprocess.run(
            [sys.executable, "-m", "roomgate.cli", "migrate"],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        servers = []
        for _ in range(2):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            argv = [sys.executable, "-m", "roomgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            stack.enter_context(process(argv, env, f"{url}/healthz"))
            servers.append(url)
        worker_env = (
            {k: v for k, v in os.environ.items() if not k.startswith(("ROOMGATE_", "PMS_"))}
            | env
            | {"ROOMGATE_LOG_LEVEL": "WARNING"}
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "roomgate.cli", "worker", "--interval", "5"],
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(worker.terminate)
        config = {
            "servers": servers,
            "hotels": hotels,
            "seconds": args.seconds,
            "connections": args.connections,
            "first_night": first_night.isoformat(),
            "checkout_share": args.checkout_share,
            "seed": 7,
            "healthz_only": False,
        }
        if args.warmup > 0:
            run_generator({**config, "seconds": args.warmup, "seed": 3})
        mixed = run_generator(config)
        floor = run_generator({**config, "healthz_only": True, "seconds": min(args.seconds, 10)})
        over, live = overbooked_nights(sim, hotels)

    print(
        f"load benchmark — 2 × roomgate serve + 1 worker, ledger {database_url.split(':')[0]}, "
        f"Redis {('cluster (3 masters)' if args.cluster else 'real') if redis_url else 'in-process (per process!)'}, {args.hotels} hotels × {ROOM_TYPES} "
        f"room types × {ROOMS_PER_TYPE} rooms, {args.connections} connections, {args.seconds:.0f} s, "
        f"{args.checkout_share:.0%} checkouts, after {args.warmup:.0f} s of warm-up"
    )
    print(f"{'endpoint':<14}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    errors = 0
    for source, kind in ((mixed, "availability"), (mixed, "checkout"), (floor, "healthz")):
        latencies = source["lat"][kind]  # type: ignore[index]
        statuses = source["status"][kind]  # type: ignore[index]
        errors += sum(n for code, n in statuses.items() if code.startswith("5"))
        rate = len(latencies) / source["elapsed"]  # type: ignore[operator]
        print(
            f"{kind:<14}{len(latencies):>10}{rate:>10.1f}{percentile(latencies, 0.5):>10.1f}"
            f"{percentile(latencies, 0.99):>10.1f}  {dict(sorted(statuses.items()))}"
        )
    transport = mixed["status"].get("transport", {})  # type: ignore[union-attr]
    mixed_rate = sum(len(v) for v in mixed["lat"].values()) / mixed["elapsed"]  # type: ignore[union-attr,operator]
    floor_rate = len(floor["lat"]["healthz"]) / floor["elapsed"]  # type: ignore[index,operator]
    print(f"refused checkouts by code: {mixed['codes']}")
    print(f"errors (5xx + transport): {errors + sum(transport.values())}  {transport or ''}")
    print(f"overbooked room-nights at the PMS: {over} (live reservations: {live})")
    print(f"mixed throughput / /healthz throughput at the same concurrency: {mixed_rate / floor_rate:.2f}")


if __name__ == "__main__":
    main()
