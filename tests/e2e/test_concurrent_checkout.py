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

from pathlib import Path
from typing import Any

import pytest

from roomgate.payments.base import PaymentStatus
from tests.e2e.processes import CheckoutRace, race_checkouts
from tests.e2e.stack import ROOM, checkout_body, stay_dates
from tests.pause_gate import PauseGate

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

ROOMS = 3
GUESTS = 12


def _race(postgres_db: str, redis_url: str, gate: PauseGate, debug_faults: str) -> CheckoutRace:
    start, end = stay_dates(offset_days=60)

    def guests(_url: str) -> list[dict[str, Any]]:
        return [
            checkout_body(start, end)
            | {"guestInfo": {"firstName": f"G{i}", "lastName": "Kim", "email": f"g{i}@example.com"}}
            for i in range(GUESTS)
        ]

    return race_checkouts(
        postgres_db,
        redis_url,
        gate,
        debug_faults,
        start=start,
        end=end,
        inventory={ROOM: ROOMS},
        guests=guests,
    )


def _confirmed(race: CheckoutRace) -> int:
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
