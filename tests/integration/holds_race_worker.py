"""One OS process of the hold race test: many concurrent hold attempts, started on a shared signal.

Run by test_holds_race.py: `python holds_race_worker.py URL HOTEL MODE WORKER ATTEMPTS EXPECTED_TOTAL`.
Prints a JSON list of the hold ids that won.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date

from roomgate.cache.client import create_redis
from roomgate.cache.holds import RedisHoldLedger
from roomgate.clock import SystemClock
from roomgate.services.faults import FaultPoints

ROOM = "room_456"
NIGHTS = [date(2025, 11, 1), date(2025, 11, 2)]
WAIT_LIMIT_SECONDS = 30.0


async def wait_for(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        await asyncio.sleep(0.002)


async def main(url: str, hotel: str, mode: str, worker: str, attempts: int, expected_total: int) -> list[str]:
    redis = create_redis(url)
    # "unsafe": the product's own negative-control switch, the availability check skipped
    faults = FaultPoints.parse("hold_check=skip" if mode == "unsafe" else "")
    ledger = RedisHoldLedger(redis, SystemClock(), skip_check=faults.skips("hold_check"))
    await ledger.preload_scripts()

    async def attempt(index: int) -> str | None:
        hold_id = f"{worker}-{index}"
        outcome = await ledger.create_hold(hotel, ROOM, NIGHTS, 1, hold_id)
        return hold_id if outcome.ok else None

    async def go() -> bool:
        return bool(await redis.get(f"race:{hotel}:go") == "1")

    await redis.incr(f"race:{hotel}:ready")
    await wait_for(go, "the start signal")
    results = await asyncio.gather(*(attempt(i) for i in range(attempts)))
    await redis.aclose()
    return [r for r in results if r is not None]


if __name__ == "__main__":
    url, hotel, mode, worker, attempts, expected = sys.argv[1:7]
    won = asyncio.run(main(url, hotel, mode, worker, int(attempts), int(expected)))
    sys.stdout.write(json.dumps(won))
