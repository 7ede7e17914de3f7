"""Benchmark: the booking ledger's writes as a checkout makes them (create `pending`, then the
`authorized`, `reserved` and `confirmed` transitions, each one UPDATE plus its audit rows in one
transaction), median milliseconds per write, on each database that answers.

`--idle-ms` waits that long before every write, as a checkout waits for a vendor between its writes:
on a machine whose CPU idles meanwhile, the same write costs more (caches and clocks have cooled).

    .venv/bin/python bench/ledger.py [--bookings 200] [--idle-ms 0] [--database-url URL ...]

Without `--database-url` it measures a temporary SQLite file; give a PostgreSQL or MariaDB URL of a
database of its own (it is migrated and written to), e.g. `postgresql://postgres@127.0.0.1/roomgate_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from roomgate.domain.booking import Booking, BookingChange, BookingStatus, Step
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.migrate import upgrade

OWNER = "saga:bench"


def pending(booking_id: str) -> Booking:
    now = datetime.now(UTC)
    return Booking(
        booking_id=booking_id,
        vendor="cloudbeds",
        hotel_id="bench_hotel",
        room_type_id="rt_1",
        check_in=date(2027, 3, 1),
        check_out=date(2027, 3, 3),
        adults=2,
        children=0,
        status=BookingStatus.PENDING,
        currency="KRW",
        total_minor=200000,
        total_price=Decimal("200000"),
        created_at=now,
        updated_at=now,
        payment_provider="stripe",
        lease_owner=OWNER,
        lease_until=now + timedelta(seconds=300),
    )


async def measure(url: str, bookings: int, idle: float) -> dict[str, float]:
    upgrade(url)
    engine = create_engine(url)
    ledger = BookingRepository(session_factory(engine))
    held = Step("hold_created", {"nights": 2}, reaches=BookingStatus.HELD)
    steps = [
        ("authorized", BookingStatus.PENDING, BookingStatus.AUTHORIZED, [held], "pa_1"),
        ("reserved", BookingStatus.AUTHORIZED, BookingStatus.RESERVED, [], None),
        ("confirmed", BookingStatus.RESERVED, BookingStatus.CONFIRMED, [], None),
    ]
    timings: dict[str, list[float]] = {"create": [], **{name: [] for name, *_ in steps}}
    run = f"{time.time_ns():x}"
    try:
        for n in range(bookings):
            booking_id = f"bk_bench_{run}_{n}"
            await asyncio.sleep(idle)
            began = time.perf_counter()
            await ledger.create(pending(booking_id), detail={"amount": 200000})
            timings["create"].append(time.perf_counter() - began)
            for name, expected, target, earlier, auth_id in steps:
                await asyncio.sleep(idle)
                began = time.perf_counter()
                await ledger.transition(
                    booking_id,
                    expected,
                    target,
                    event=name,
                    change=BookingChange(payment_auth_id=auth_id) if auth_id else BookingChange(),
                    owner=OWNER,
                    earlier=earlier,
                )
                timings[name].append(time.perf_counter() - began)
    finally:
        await engine.dispose()
    return {name: statistics.median(values) * 1000 for name, values in timings.items()}


def reachable(url: str) -> bool:
    async def probe() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect():
                pass
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except Exception:  # not running here: skipped, and said so
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--idle-ms", type=float, default=0.0, help="pause before every write")
    parser.add_argument("--database-url", action="append", help="repeatable; default: a temporary SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = args.database_url or [f"sqlite:///{tmp}/ledger.db"]
        print(  # noqa: T201
            f"ledger writes — {args.bookings} bookings, {args.idle_ms:g} ms idle before each write; "
            "median ms per write"
        )
        for url in urls:
            backend = url.split(":")[0]
            if not reachable(url):
                print(f"{backend:10s} not reachable, skipped")  # noqa: T201
                continue
            result = asyncio.run(measure(url, args.bookings, args.idle_ms / 1000))
            row = "  ".join(f"{name} {ms:.2f}" for name, ms in result.items())
            print(f"{backend:10s} {row}")  # noqa: T201


if __name__ == "__main__":
    main()
