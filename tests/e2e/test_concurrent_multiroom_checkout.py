"""Families race for the last suite through two server processes sharing real Redis and PostgreSQL,
each asking for 2 Deluxe Doubles + 1 Family Suite in one checkout. Exactly one family gets its 3 rooms;
every other one is stopped at the hold — holding nothing, its card never pre-authorised. The negative
control switches the holds off (`ROOMGATE_DEBUG_FAULTS=hold=skip`): more cards are then pre-authorised
than families served, which shows the harness sees what the multi-room hold prevents."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx2
import pytest

from roomgate.payments.base import PaymentStatus
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import flush_redis
from tests.e2e.processes import serve
from tests.e2e.stack import HOTEL, KEY, checkout_body, stay_dates
from tests.e2e.test_concurrent_checkout import _checkout, _payment_states

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

FAMILIES = 8
DOUBLES, SUITES = 5, 1
LINES = [
    {"roomTypeId": "room_456", "quantity": 2, "adults": 2, "children": 0},
    {"roomTypeId": "room_458", "quantity": 1, "adults": 2, "children": 1},
]


def _body(start: Any, end: Any, i: int) -> dict[str, Any]:
    body = checkout_body(start, end)
    for name in ("roomTypeId", "adults", "children"):
        body.pop(name)
    nights = (end - start).days
    body["rooms"] = LINES
    body["payment"]["amount"] = (2 * 125_000 + 210_000) * nights
    body["guestInfo"] = {"firstName": f"F{i}", "lastName": "Park", "email": f"f{i}@example.com"}
    return body


def _race(postgres_db: str, redis_url: str, debug_faults: str) -> tuple[list[Any], list[dict], list[Any]]:  # type: ignore[type-arg]
    flush_redis(redis_url)
    start, end = stay_dates(offset_days=70)
    with ServerThread(create_simulator("cloudbeds")) as sim, ExitStack() as stack:
        for room, available in (("room_456", DOUBLES), ("room_458", SUITES)):
            httpx2.put(
                f"{sim.url}/_sim/properties/{HOTEL}/inventory",
                json={
                    "roomTypeId": room,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "available": available,
                },
            ).raise_for_status()
        env = {
            "DATABASE_URL": postgres_db,
            "REDIS_URL": redis_url,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            "ROOMGATE_DEBUG_FAULTS": ",".join(filter(None, ["after_hold=sleep:0.3", debug_faults])),
        }
        urls = [stack.enter_context(serve(env))[0] for _ in range(2)]
        # warm the cache so every family sees the rooms as for sale
        httpx2.get(
            f"{urls[0]}/api/hotels/{HOTEL}/availability",
            params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
            timeout=30,
        )
        targets = list(
            zip(itertools.cycle(urls), [_body(start, end, i) for i in range(FAMILIES)], strict=False)
        )
        with ThreadPoolExecutor(FAMILIES) as pool:
            answers = list(pool.map(lambda t: _checkout(*t), targets))
        reservations = httpx2.get(f"{sim.url}/_sim/state").json()["reservations"]
    import asyncio

    payments = asyncio.run(_payment_states(redis_url))
    return answers, reservations, payments


def test_the_last_suite_goes_to_exactly_one_family_with_all_its_rooms(
    postgres_db: str, real_redis_url: str
) -> None:
    answers, reservations, payments = _race(postgres_db, real_redis_url, "")
    assert [status for status, _ in answers].count(200) == SUITES
    confirmed = [r for r in reservations if r["status"] == "confirmed"]
    assert [r["rooms"] for r in confirmed] == [3]
    # every other family was stopped at the hold (the suite short), before any card was touched
    assert sorted(a for a in answers if a[0] != 200) == [(409, "INVENTORY_UNAVAILABLE")] * (FAMILIES - SUITES)
    assert payments == [PaymentStatus.CAPTURED]


def test_negative_control_without_holds_more_cards_are_authorised(
    postgres_db: str, real_redis_url: str
) -> None:
    answers, reservations, payments = _race(postgres_db, real_redis_url, "hold=skip")
    # the PMS is still the final judge (all-or-nothing there too): one family booked...
    confirmed = [r for r in reservations if r["status"] == "confirmed"]
    assert [r["rooms"] for r in confirmed] == [3]
    assert payments.count(PaymentStatus.CAPTURED) == SUITES
    # ...but without the hold, more families reached the payment step than could be served
    assert len(payments) > SUITES
    assert any(answer == (502, "BOOKING_CONFIRM_FAILED") for answer in answers)
