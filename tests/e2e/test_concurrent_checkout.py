"""Concurrent checkouts for the last rooms through two server processes sharing real Redis and PostgreSQL.

Exactly as many bookings as rooms are confirmed and the PMS holds exactly that many reservations;
every other guest is stopped at the hold, before any card is pre-authorised. The negative control runs the same race with the Redis holds
switched off (`ROOMGATE_DEBUG_FAULTS=hold=skip`): more guests than rooms then get their cards
pre-authorised, which shows the harness sees what the holds prevent.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx2
import pytest

from roomgate.cache.client import create_redis
from roomgate.payments.base import PaymentStatus
from roomgate.payments.sandbox import SandboxGateway
from roomgate.payments.sandbox_store import KEY_PREFIX
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import flush_redis
from tests.e2e.processes import serve
from tests.e2e.stack import HOTEL, KEY, ROOM, checkout_body, stay_dates

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

ROOMS = 3
GUESTS = 12


async def _payment_states(redis_url: str) -> list[PaymentStatus]:
    redis = create_redis(redis_url)
    try:
        gateway = SandboxGateway(redis)
        keys = [k async for k in redis.scan_iter(f"{KEY_PREFIX}*")]
        states = []
        for key in keys:
            auth_id = key.removeprefix(KEY_PREFIX)
            try:
                states.append(await gateway.get_status(auth_id))
            except Exception:  # auxiliary keys of the sandbox store
                continue
        return states
    finally:
        await redis.flushdb()
        await redis.aclose()


def _race(
    postgres_db: str, redis_url: str, debug_faults: str
) -> tuple[list[tuple[int, str | None]], list[dict], list[PaymentStatus]]:
    flush_redis(redis_url)
    start, end = stay_dates(offset_days=60)
    with ServerThread(create_simulator("cloudbeds")) as sim, ExitStack() as stack:
        httpx2.put(
            f"{sim.url}/_sim/properties/{HOTEL}/inventory",
            json={"roomTypeId": ROOM, "from": start.isoformat(), "to": end.isoformat(), "available": ROOMS},
        ).raise_for_status()
        env = {
            "DATABASE_URL": postgres_db,
            "REDIS_URL": redis_url,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            # widen the race window: every saga pauses after its hold
            "ROOMGATE_DEBUG_FAULTS": ",".join(filter(None, ["after_hold=sleep:0.3", debug_faults])),
        }
        urls = [stack.enter_context(serve(env))[0] for _ in range(2)]
        # warm the cache so every guest sees the 3 rooms as for sale
        httpx2.get(
            f"{urls[0]}/api/hotels/{HOTEL}/availability",
            params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
            timeout=30,
        )
        bodies = [
            checkout_body(start, end)
            | {"guestInfo": {"firstName": f"G{i}", "lastName": "Kim", "email": f"g{i}@example.com"}}
            for i in range(GUESTS)
        ]
        targets = list(zip(itertools.cycle(urls), bodies, strict=False))
        with ThreadPoolExecutor(GUESTS) as pool:
            answers = list(pool.map(lambda t: _checkout(*t), targets))
        reservations = httpx2.get(f"{sim.url}/_sim/state").json()["reservations"]
    payments = asyncio.run(_payment_states(redis_url))
    return answers, reservations, payments


def _checkout(url: str, body: dict) -> tuple[int, str | None]:  # type: ignore[type-arg]
    response = httpx2.post(f"{url}/api/booking/checkout", json=body, timeout=60)
    return response.status_code, response.json().get("errorCode")


def test_last_rooms_go_to_exactly_as_many_guests(postgres_db: str, real_redis_url: str) -> None:
    answers, reservations, payments = _race(postgres_db, real_redis_url, "")
    assert [status for status, _ in answers].count(200) == ROOMS
    assert len([r for r in reservations if r["status"] == "confirmed"]) == ROOMS
    assert payments.count(PaymentStatus.CAPTURED) == ROOMS
    # every loser was stopped at the hold: sold out, and no card but the winners' was ever authorised
    losers = [answer for answer in answers if answer[0] != 200]
    assert losers == [(409, "INVENTORY_UNAVAILABLE")] * (GUESTS - ROOMS)
    assert len(payments) == ROOMS


def test_negative_control_without_holds_more_cards_are_authorised(
    postgres_db: str, real_redis_url: str
) -> None:
    answers, reservations, payments = _race(postgres_db, real_redis_url, "hold=skip")
    # the PMS is still the final judge: no oversell, and the losers' authorisations are voided...
    assert len([r for r in reservations if r["status"] == "confirmed"]) == ROOMS
    assert payments.count(PaymentStatus.CAPTURED) == ROOMS
    assert all(p in {PaymentStatus.CAPTURED, PaymentStatus.VOIDED} for p in payments)
    # ...but without holds the harness sees more guests than rooms reach the payment step
    assert len(payments) > ROOMS
    assert [status for status, _ in answers].count(200) == ROOMS
    # and those losers were refused by the PMS after their card was pre-authorised, not at the hold
    assert any(answer == (502, "BOOKING_CONFIRM_FAILED") for answer in answers)
