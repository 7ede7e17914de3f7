"""A real server process killed at each saga fault point; `roomgate worker --once` settles the booking.

Each point allows exactly one end state, with exactly its side effects: backward (failed: no
reservation, the hold released, the card never authorised before `after_authorize` and voided from
it on) or forward (confirmed: one PMS reservation, the payment captured, the hold converted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from roomgate.cache.client import create_redis
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.migrate import upgrade
from roomgate.payments.base import PaymentStatus
from roomgate.payments.sandbox import SandboxGateway
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import flush_redis
from tests.e2e.processes import run_worker_once, serve
from tests.e2e.stack import HOTEL, KEY, checkout_body, stay_dates

pytestmark = [pytest.mark.slow, pytest.mark.redis]

# point -> (booking status, payment status at the gateway, hold state)
EXPECTED: dict[str, tuple[str, PaymentStatus | None, str]] = {
    # recovery runs 61 s later (the saga's 60 s lease has run out), before the 180 s hold lapses on its
    # own: recovery itself releases it
    "after_hold": ("failed", None, "released"),  # died before authorising: no card was ever touched
    "after_authorize": ("failed", PaymentStatus.VOIDED, "released"),
    # the reservation is found by our booking id and adopted
    "after_pms_create": ("confirmed", PaymentStatus.CAPTURED, "converted"),
    "after_pms_confirm": ("confirmed", PaymentStatus.CAPTURED, "converted"),
    # the PMS total was read back and recorded, nothing captured yet
    "after_price_check": ("confirmed", PaymentStatus.CAPTURED, "converted"),
    "after_capture": ("confirmed", PaymentStatus.CAPTURED, "converted"),
}


@pytest.fixture
def cloudbeds() -> Iterator[str]:
    with ServerThread(create_simulator("cloudbeds")) as sim:
        yield sim.url


async def _ledger_and_payments(db_url: str, redis_url: str) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    redis = create_redis(redis_url)
    try:
        repo = BookingRepository(session_factory(engine))
        from sqlalchemy import select

        from roomgate.ledger.models import BookingRow

        async with session_factory(engine)() as session:
            ids = list(await session.scalars(select(BookingRow.booking_id)))
        rows = []
        gateway = SandboxGateway(redis)
        for booking_id in ids:
            booking = await repo.get(booking_id)
            auth = await gateway.find_by_booking(booking_id)
            payment = await gateway.get_status(auth.authorization_id) if auth else None
            hold = await redis.hgetall(f"hold:{{{HOTEL}}}:h_{booking_id}")
            rows.append({"booking": booking, "payment": payment, "hold_state": hold.get("s")})
        return rows
    finally:
        await redis.aclose()
        await engine.dispose()


@pytest.mark.parametrize("point", list(EXPECTED))
def test_killed_at_each_point_then_recovered(
    point: str, tmp_path, real_redis_url: str, cloudbeds: str
) -> None:  # type: ignore[no-untyped-def]
    # given a server that dies abruptly at `point`, sharing SQLite and real Redis with the worker
    db_url = f"sqlite:///{tmp_path}/crash.db"
    upgrade(db_url)
    flush_redis(real_redis_url)
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": real_redis_url,
        "CLOUDBEDS_BASE_URL": f"{cloudbeds}/api/v1.3",
        f"PMS_{HOTEL}_API_KEY": KEY,
        "PAYMENT_PROVIDER": "sandbox",
        "ROOMGATE_RECOVERY_AFTER_SECONDS": "60",
    }
    start, end = stay_dates(offset_days=50)
    with serve({**env, "ROOMGATE_DEBUG_FAULTS": f"{point}=crash"}) as (url, proc):
        # when a checkout reaches the fault point
        with pytest.raises(httpx2.HTTPError):
            httpx2.post(f"{url}/api/booking/checkout", json=checkout_body(start, end), timeout=30)
        assert proc.wait(timeout=10) == 137  # it really died there
    if point == "after_hold":  # negative control: while the dead saga's lease runs, recovery leaves it
        result = run_worker_once(env)
        assert result.returncode == 0, result.stdout + result.stderr
        [row] = asyncio.run(_ledger_and_payments(db_url, real_redis_url))
        assert row["booking"].status == "pending"  # the hold is recorded with the pre-authorisation
    # and recovery runs once the saga's 60 s lease has expired (the worker's clock is 61 s ahead),
    # before the 180 s hold would lapse on its own
    result = run_worker_once({**env, "ROOMGATE_DEBUG_FAULTS": "clock=ahead:61"})
    assert result.returncode == 0, result.stdout + result.stderr
    # then the booking reached exactly the allowed end state for that point
    [row] = asyncio.run(_ledger_and_payments(db_url, real_redis_url))
    booking = row["booking"]
    live = [
        r
        for r in httpx2.get(f"{cloudbeds}/_sim/state").json()["reservations"]
        if r["externalId"] == booking.booking_id and r["status"] == "confirmed"
    ]
    assert (booking.status, row["payment"], row["hold_state"]) == EXPECTED[point]
    assert len(live) == (1 if booking.status == "confirmed" else 0)
