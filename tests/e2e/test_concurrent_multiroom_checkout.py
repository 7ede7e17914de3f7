"""Families race for the last suite through two server processes sharing real Redis and PostgreSQL,
each asking for 2 Deluxe Doubles + 1 Family Suite in one checkout. Every saga that gets past its hold
waits at a pause point (`after_hold=pause:<dir>`) until the test opens it, so the race window is held
open deterministically. Exactly one family gets past the hold, and while it waits there the Redis holds
show only its rooms: every other family was refused holding nothing — not even the doubles that were
free. The negative control skips the holds (`ROOMGATE_DEBUG_FAULTS=hold=skip`): every family then gets
past the hold, is pre-authorised and sent to the PMS, which shows the harness sees what the hold
prevents (the PMS, all-or-nothing too, still books one family)."""

from __future__ import annotations

import asyncio
import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.cache import keys
from roomgate.cache.client import create_redis
from roomgate.payments.base import PaymentStatus
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.conftest import flush_redis
from tests.e2e.processes import serve
from tests.e2e.stack import HOTEL, KEY, checkout_body, stay_dates
from tests.e2e.test_concurrent_checkout import _checkout, _payment_states
from tests.pause_gate import PauseGate, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

FAMILIES = 8
DOUBLES, SUITES = 5, 1
LINES = [
    {"roomTypeId": "room_456", "quantity": 2, "adults": 2, "children": 0},
    {"roomTypeId": "room_458", "quantity": 1, "adults": 2, "children": 1},
]


@dataclass
class Race:
    answers: list[tuple[int, str | None, str | None]]
    answered_while_paused: list[tuple[int, str | None, str | None]]
    past_the_hold: int
    held_while_paused: dict[str, int]  # rooms held per room type on the first night, during the pause
    loser_steps: list[list[str]]
    pms_posts: int
    reservations: list[dict[str, Any]]
    payments: list[PaymentStatus]


def _body(start: date, end: date, i: int, amount: int) -> dict[str, Any]:
    body = checkout_body(start, end)
    for name in ("roomTypeId", "adults", "children"):
        body.pop(name)
    body["rooms"] = LINES
    body["payment"]["amount"] = amount
    body["guestInfo"] = {"firstName": f"F{i}", "lastName": "Park", "email": f"f{i}@example.com"}
    return body


async def _held(redis_url: str, night: date) -> dict[str, int]:
    redis = create_redis(redis_url)
    try:
        held = {}
        for room in ("room_456", "room_458"):
            members = await redis.zrange(keys.night_holds(HOTEL, room, night), 0, -1)
            held[room] = sum(int(str(m).split(":")[0]) for m in members)
        return held
    finally:
        await redis.aclose()


def _race(postgres_db: str, redis_url: str, gate: PauseGate, debug_faults: str) -> Race:
    flush_redis(redis_url)
    start, end = stay_dates(offset_days=70)
    with ServerThread(create_simulator("cloudbeds")) as sim, ExitStack() as stack:
        for room, available in (("room_456", DOUBLES), ("room_458", SUITES)):
            body = {
                "roomTypeId": room,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "available": available,
            }
            httpx2.put(f"{sim.url}/_sim/properties/{HOTEL}/inventory", json=body).raise_for_status()
        env = {
            "DATABASE_URL": postgres_db,
            "REDIS_URL": redis_url,
            "CLOUDBEDS_BASE_URL": f"{sim.url}/api/v1.3",
            f"PMS_{HOTEL}_API_KEY": KEY,
            "PAYMENT_PROVIDER": "sandbox",
            "ROOMGATE_CLOUDBEDS_RATE_LIMIT": "1000",
            "ROOMGATE_DEBUG_FAULTS": ",".join(filter(None, [gate.fault, debug_faults])),
        }
        urls = [stack.enter_context(serve(env))[0] for _ in range(2)]
        # warm the cache so every family sees the rooms as for sale
        httpx2.get(
            f"{urls[0]}/api/hotels/{HOTEL}/availability",
            params={"vendor": "cloudbeds", "checkIn": start.isoformat(), "checkOut": end.isoformat()},
            timeout=30,
        )
        # the server's price for the family's rooms (per party, taxes included): a wrong amount is
        # refused before anything happens, naming the right one
        probe = httpx2.post(f"{urls[0]}/api/booking/checkout", json=_body(start, end, 0, 1), timeout=30)
        found = re.search(r"실제 (\d+) KRW", probe.json()["error"])
        assert probe.status_code == 400 and found, probe.text
        bodies = [_body(start, end, i, int(found.group(1))) for i in range(FAMILIES)]
        with ThreadPoolExecutor(FAMILIES) as pool:
            futures = [
                pool.submit(_checkout, url, body)
                for url, body in zip(itertools.cycle(urls), bodies, strict=False)
            ]
            wait_until(
                lambda: sum(f.done() for f in futures) + gate.arrived() >= FAMILIES,
                "every family answered or paused after the hold",
            )
            answered_while_paused = [f.result() for f in futures if f.done()]
            past_the_hold = gate.arrived()
            held_while_paused = asyncio.run(_held(redis_url, start))
            gate.open()
            answers = [f.result() for f in futures]
        losers = [booking_id for status, _, booking_id in answers if status != 200 and booking_id]
        loser_steps = [
            [step["event"] for step in httpx2.get(f"{urls[0]}/api/bookings/{b}", timeout=30).json()["steps"]]
            for b in losers
        ]
        state = httpx2.get(f"{sim.url}/_sim/state").json()
    payments = asyncio.run(_payment_states(redis_url))
    return Race(
        answers,
        answered_while_paused,
        past_the_hold,
        held_while_paused,
        loser_steps,
        int(state["calls"].get("postReservation", 0)),
        state["reservations"],
        payments,
    )


def _confirmed_rooms(race: Race) -> list[int]:
    return [r["rooms"] for r in race.reservations if r["status"] == "confirmed"]


def test_the_last_suite_goes_to_exactly_one_family_with_all_its_rooms(
    postgres_db: str, real_redis_url: str, tmp_path: Path
) -> None:
    race = _race(postgres_db, real_redis_url, PauseGate(tmp_path / "gate", "after_hold"), "")
    # one family got past the hold; every other was refused while it waited there
    assert race.past_the_hold == SUITES
    refused = (409, "INVENTORY_UNAVAILABLE")
    assert [a[:2] for a in race.answered_while_paused] == [refused] * (FAMILIES - SUITES)
    # and at that moment only the winner's rooms were held: no loser kept the doubles it could have had
    assert race.held_while_paused == {"room_456": 2, "room_458": 1}
    assert all(steps == ["created", "failed"] for steps in race.loser_steps)
    # one PMS reservation with the 3 rooms, one captured payment, no other card touched
    assert race.pms_posts == SUITES and _confirmed_rooms(race) == [3]
    assert race.payments == [PaymentStatus.CAPTURED]


def test_negative_control_without_holds_every_family_gets_past_the_hold(
    postgres_db: str, real_redis_url: str, tmp_path: Path
) -> None:
    race = _race(postgres_db, real_redis_url, PauseGate(tmp_path / "gate", "after_hold"), "hold=skip")
    # every family got past the hold step and nobody was refused there: the checks above would fail
    assert race.past_the_hold == FAMILIES and race.answered_while_paused == []
    # the PMS is still the final judge (all-or-nothing there too): one family booked...
    assert _confirmed_rooms(race) == [3]
    assert sorted(race.payments, key=str) == sorted(
        [PaymentStatus.CAPTURED] + [PaymentStatus.VOIDED] * (FAMILIES - 1), key=str
    )
    # ...but every other family was pre-authorised and sent to the PMS, and refused there
    assert race.pms_posts == FAMILIES
    assert [a[:2] for a in race.answers].count((502, "BOOKING_CONFIRM_FAILED")) == FAMILIES - 1
