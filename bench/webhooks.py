"""Benchmark: (1) time from a change at the simulator to a correct availability answer via webhook,
p50/p99; (2) webhook intake events/s on two `roomgate serve` processes, and how fast one
`roomgate worker` drains them.

Processes: the Cloudbeds simulator, two `roomgate serve`, one `roomgate worker --consumers N`, sharing
one Redis (the given database is flushed first) and one ledger (PostgreSQL when it answers on
127.0.0.1:5432, else a SQLite file). roomgate subscribes to the simulator's reservation events
(`POST /api/admin/webhooks/subscriptions/...`); the simulator then POSTs to serve #1, and the
availability is read through serve #2.

    .venv/bin/python bench/webhooks.py [--changes 50] [--events 2000] [--concurrency 32]
        [--redis-url redis://127.0.0.1:6379/14] [--consumers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import cloudbeds_key, free_port, process, run_load, simulator  # noqa: E402

HOTEL = "hotel_123"
ROOM = "room_456"
KEY = cloudbeds_key("bench_webhooks")
SECRET = "bench-webhook-secret"
TOKEN = "bench-url-token"
ADMIN = "bench-admin-token"


@contextlib.contextmanager
def ledger() -> Iterator[str]:
    """A fresh PostgreSQL database when one answers, else a SQLite file."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import asyncpg

    name = f"rg_bench_wh_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def serve(env: dict[str, str], port: int) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    args = [sys.executable, "-m", "roomgate.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return process(args, env, f"http://127.0.0.1:{port}/healthz")


def worker(
    env: dict[str, str], consumers: int, probe: str
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    args = [sys.executable, "-m", "roomgate.cli", "worker", "--consumers", str(consumers), "--interval", "30"]
    return process(args, env, probe)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def change_to_answer(sim: str, reader: str, changes: int) -> list[float]:
    """Seconds from an other-channel booking at the simulator to the availability answer showing it."""
    timings = []
    with httpx2.Client(timeout=10) as http:
        for i in range(changes):
            start = date.today() + timedelta(days=20 + 2 * i)
            end = start + timedelta(days=2)
            params = {"vendor": "cloudbeds", "from": str(start), "to": str(end)}
            url = f"{reader}/api/hotels/{HOTEL}/room-types/{ROOM}/inventory"
            before = http.get(url, params=params).json()["nights"][0]["available"]
            began = time.perf_counter()
            booking = {"roomTypeId": ROOM, "from": str(start), "to": str(end), "quantity": 1}
            http.post(f"{sim}/_sim/properties/{HOTEL}/reservations", json=booking).raise_for_status()
            deadline = began + 30
            while http.get(url, params=params).json()["nights"][0]["available"] != before - 1:
                if time.perf_counter() > deadline:
                    raise RuntimeError("the webhook never reached the availability answer")
                time.sleep(0.002)
            timings.append(time.perf_counter() - began)
    return timings


async def intake(urls: list[str], events: int, concurrency: int) -> tuple[float, int]:
    """POST `events` signed inventory_update events spread over `urls`; events/s and non-200 count."""
    today = date.today()
    bodies = []
    for i in range(events):
        event = {
            "eventId": f"bench_{uuid.uuid4().hex}",
            "type": "inventory_update",
            "hotelId": HOTEL,
            "roomTypeId": ROOM,
            "from": str(today + timedelta(days=10 + i % 60)),
            "to": str(today + timedelta(days=11 + i % 60)),
            "occurredAt": "2026-12-01T00:00:00Z",
        }
        raw = json.dumps(event).encode()
        bodies.append((raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()))
    queue = list(enumerate(bodies))
    failures = 0
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:

        async def sender() -> None:
            nonlocal failures
            while queue:
                i, (raw, signature) = queue.pop()
                response = await client.post(
                    f"{urls[i % len(urls)]}/api/webhooks/pms/cloudbeds",
                    content=raw,
                    headers={"x-pms-signature": signature, "content-type": "application/json"},
                )
                failures += response.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return events / elapsed, failures


def processed(url: str) -> int:
    answer = httpx2.get(f"{url}/api/admin/webhooks/inbox", headers={"Authorization": f"Bearer {ADMIN}"})
    counts = answer.json()["inbox"]
    return int(counts.get("processed", 0)) + int(counts.get("dead", 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--verbose", action="store_true", help="print every timing and slow deliveries")
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    with simulator("cloudbeds") as sim, ledger() as database_url:
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "CLOUDBEDS_BASE_URL": f"{sim}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PMS_WEBHOOK_SECRET": SECRET,
            "ROOMGATE_WEBHOOK_URL_TOKEN": TOKEN,
            "ROOMGATE_WEBHOOK_PUBLIC_URL": urls[0],
            "ROOMGATE_ADMIN_TOKEN": ADMIN,
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
        }
        subprocess.run(
            [sys.executable, "-m", "roomgate.cli", "migrate"], env={**env}, check=True, capture_output=True
        )
        with serve(env, ports[0]), serve(env, ports[1]):
            subscribed = httpx2.post(
                f"{urls[0]}/api/admin/webhooks/subscriptions/{HOTEL}",
                headers={"Authorization": f"Bearer {ADMIN}"},
                timeout=30,
            )
            subscribed.raise_for_status()
            baseline = run_load(f"{urls[0]}/healthz", seconds=5, connections=args.concurrency)
            print(  # noqa: T201
                f"baseline: /healthz on one serve process {baseline.requests_per_second:.0f} req/s "
                f"({baseline.tool})"
            )
            # Intake alone first (no worker yet): what the endpoint sustains while events only queue up.
            rate, failures = asyncio.run(intake(urls, args.events, args.concurrency))
            print(  # noqa: T201
                f"intake on 2 serve processes: {rate:.0f} events/s ({args.events} signed events, "
                f"concurrency {args.concurrency}, {failures} non-200)"
            )
            with worker(env, args.consumers, f"{urls[0]}/healthz"):
                began = time.perf_counter()
                while processed(urls[0]) < args.events:
                    if time.perf_counter() - began > 900:
                        raise RuntimeError("the worker did not drain the events")
                    time.sleep(0.2)
                drained = time.perf_counter() - began
                print(  # noqa: T201
                    f"worker ({args.consumers} consumers) drained the backlog: {args.events / drained:.0f} "
                    f"events/s (each re-reads its night from the PMS and writes the cache)"
                )
                timings = change_to_answer(sim, urls[1], args.changes)
                print(  # noqa: T201
                    f"change → correct answer via webhook ({args.changes} changes): "
                    f"p50 {statistics.median(timings) * 1000:.0f} ms, "
                    f"p99 {percentile(timings, 0.99) * 1000:.0f} ms, "
                    f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms"
                )
                if args.verbose:
                    log = httpx2.get(f"{sim}/_sim/webhooks/log").json()["deliveries"]
                    slow = [(d["attempts"], d["seconds"], d["outcome"]) for d in log if d["seconds"] > 1]
                    print("timings s:", [round(t, 2) for t in timings], "slow deliveries:", slow)  # noqa: T201


if __name__ == "__main__":
    main()
