"""Concurrent checkouts for the last rooms through two server processes sharing real Redis and PostgreSQL.

Every saga that gets past its hold step waits at a pause point (`after_hold=pause:<dir>`) until the
test opens it, so the race window is held open deterministically, not by sleeping. Exactly as many
sagas as rooms get past the hold; every other guest is refused while those still wait there, so the
losers stopped AT the hold: no PMS call, no pre-authorisation (their booking events agree). The
negative control runs the same race with the Redis holds skipped (`ROOMGATE_DEBUG_FAULTS=hold=skip`):
every guest then gets past the hold, is pre-authorised and sent to the PMS, which shows the harness
sees what the holds prevent.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from tests.pause_gate import PauseGate, wait_until

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


@dataclass
class Race:
    answers: list[tuple[int, str | None, str | None]]  # status, errorCode, x-booking-id per guest
    answered_while_paused: list[tuple[int, str | None, str | None]]  # before any saga passed the gate
    past_the_hold: int  # sagas that reached the pause point right after the hold step
    loser_steps: list[list[str]]  # the booking events of every guest who was not booked
    pms_posts: int  # postReservation calls the PMS saw
    reservations: list[dict[str, Any]]
    payments: list[PaymentStatus]


def _race(postgres_db: str, redis_url: str, gate: PauseGate, debug_faults: str) -> Race:
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
            # the race window, held open deterministically: every saga that gets past its hold step
            # waits at the gate until the test opens it
            "ROOMGATE_DEBUG_FAULTS": ",".join(filter(None, [gate.fault, debug_faults])),
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
        with ThreadPoolExecutor(GUESTS) as pool:
            futures = [
                pool.submit(_checkout, url, body)
                for url, body in zip(itertools.cycle(urls), bodies, strict=False)
            ]
            # every guest either answered or is waiting past the hold, and nobody has gone further yet
            wait_until(
                lambda: sum(f.done() for f in futures) + gate.arrived() >= GUESTS,
                "every guest answered or paused after the hold",
            )
            answered_while_paused = [f.result() for f in futures if f.done()]
            past_the_hold = gate.arrived()
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
        loser_steps,
        int(state["calls"].get("postReservation", 0)),
        state["reservations"],
        payments,
    )


def _checkout(url: str, body: dict[str, Any]) -> tuple[int, str | None, str | None]:
    response = httpx2.post(f"{url}/api/booking/checkout", json=body, timeout=90)
    return response.status_code, response.json().get("errorCode"), response.headers.get("x-booking-id")


def _confirmed(race: Race) -> int:
    return len([r for r in race.reservations if r["status"] == "confirmed"])


def test_last_rooms_go_to_exactly_as_many_guests(
    postgres_db: str, real_redis_url: str, tmp_path: Path
) -> None:
    race = _race(postgres_db, real_redis_url, PauseGate(tmp_path / "gate", "after_hold"), "")
    # only as many sagas as rooms got past the hold, and every other guest was refused while those
    # were still paused there: the losers stopped AT the hold, before any PMS call or authorisation
    assert race.past_the_hold == ROOMS
    refused = (409, "INVENTORY_UNAVAILABLE")
    assert [answer[:2] for answer in race.answered_while_paused] == [refused] * (GUESTS - ROOMS)
    assert sorted(answer[:2] for answer in race.answers) == sorted(
        [(200, None)] * ROOMS + [refused] * (GUESTS - ROOMS)
    )
    # the losers' own booking records say so: a loser refused by the pre-check that counts held rooms
    # never got a booking row; one refused by its own hold attempt has a row that was created and failed,
    # never held, authorised or reserved
    assert all(steps == ["created", "failed"] for steps in race.loser_steps)
    # the PMS was asked exactly once per room, and no card but the winners' was ever authorised
    assert race.pms_posts == ROOMS and len(race.reservations) == ROOMS and _confirmed(race) == ROOMS
    assert race.payments == [PaymentStatus.CAPTURED] * ROOMS


def test_negative_control_without_holds_the_losers_get_past_the_hold(
    postgres_db: str, real_redis_url: str, tmp_path: Path
) -> None:
    race = _race(postgres_db, real_redis_url, PauseGate(tmp_path / "gate", "after_hold"), "hold=skip")
    # every guest got past the hold step and nobody was refused there: the check above would fail
    assert race.past_the_hold == GUESTS and race.answered_while_paused == []
    # the PMS is still the final judge: no oversell, and the losers' authorisations are voided...
    assert _confirmed(race) == ROOMS
    assert [answer[:2] for answer in race.answers].count((200, None)) == ROOMS
    assert sorted(race.payments, key=str) == sorted(
        [PaymentStatus.CAPTURED] * ROOMS + [PaymentStatus.VOIDED] * (GUESTS - ROOMS), key=str
    )
    # ...but every loser was authorised and sent to the PMS, and refused there, not at the hold
    assert race.pms_posts == GUESTS
    assert [answer[:2] for answer in race.answers].count((502, "BOOKING_CONFIRM_FAILED")) == GUESTS - ROOMS
    assert len(race.loser_steps) == GUESTS - ROOMS
    for steps in race.loser_steps:
        assert {"hold_skipped_debug", "payment_authorized", "payment_voided"} <= set(steps)
