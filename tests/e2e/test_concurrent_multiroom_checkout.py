"""Families race for the last suite through two server processes sharing real Redis and PostgreSQL,
each asking for 2 Deluxe Doubles + 1 Family Suite in one checkout. Every saga that gets past its hold
waits at a pause point (`after_hold=pause:<dir>`) until the test opens it, so the race window is held
open deterministically. Exactly one family gets past the hold, and while it waits there the Redis holds
show only its rooms: every other family was refused holding nothing — not even the doubles that were
free. The negative control skips the holds (`ROOMGATE_DEBUG_FAULTS=hold=skip`): every family then gets
past the hold, is pre-authorised and sent to the PMS, which shows the harness sees what the hold
prevents (the PMS, all-or-nothing too, still books one family)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.payments.base import PaymentStatus
from tests.e2e.processes import CheckoutRace, race_checkouts
from tests.e2e.stack import checkout_body, stay_dates
from tests.pause_gate import PauseGate

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

FAMILIES = 8
DOUBLES, SUITES = 5, 1
LINES = [
    {"roomTypeId": "room_456", "quantity": 2, "adults": 2, "children": 0},
    {"roomTypeId": "room_458", "quantity": 1, "adults": 2, "children": 1},
]


def _body(start: date, end: date, i: int, amount: int) -> dict[str, Any]:
    body = checkout_body(start, end)
    for name in ("roomTypeId", "adults", "children"):
        body.pop(name)
    body["rooms"] = LINES
    body["payment"]["amount"] = amount
    body["guestInfo"] = {"firstName": f"F{i}", "lastName": "Park", "email": f"f{i}@example.com"}
    return body


def _race(postgres_db: str, redis_url: str, gate: PauseGate, debug_faults: str) -> CheckoutRace:
    start, end = stay_dates(offset_days=70)

    def families(url: str) -> list[dict[str, Any]]:
        # the server's price for the family's rooms (per party, taxes included): a wrong amount is
        # refused before anything happens, naming the right one
        probe = httpx2.post(f"{url}/api/booking/checkout", json=_body(start, end, 0, 1), timeout=30)
        found = re.search(r"실제 (\d+) KRW", probe.json()["error"])
        assert probe.status_code == 400 and found, probe.text
        return [_body(start, end, i, int(found.group(1))) for i in range(FAMILIES)]

    return race_checkouts(
        postgres_db,
        redis_url,
        gate,
        debug_faults,
        start=start,
        end=end,
        inventory={"room_456": DOUBLES, "room_458": SUITES},
        guests=families,
        held_room_types=("room_456", "room_458"),
    )


def _confirmed_rooms(race: CheckoutRace) -> list[int]:
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
