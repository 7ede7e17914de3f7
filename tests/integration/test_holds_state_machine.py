"""Hypothesis state machine over the hold ledger on the in-process Redis (the same Lua as production).

A model PMS has CAPACITY rooms per night; a successful convert books them there. Invariants: no
night is oversold (active holds + bookings <= CAPACITY), the cache never disagrees with the PMS
it last read (older reads never overwrite a booking), expired holds free their rooms, and retries
of create / release / convert are harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule

from roomgate.cache.client import fresh_in_process_redis
from roomgate.cache.hold_models import ConvertResult, HoldStatus, ReleaseResult
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from roomgate.pms.types import NightInventory
from tests.integration.cache_support import HOTEL, ROOM, nights
from tests.integration.cache_support import settings as cache_settings

T = TypeVar("T")
CAPACITY = 2
NIGHTS = nights(3)
INV_TTL = 90
HOLD_TTL = 180


@dataclass
class ModelHold:
    nights: list[date]
    quantity: int
    expires_at: float
    state: str = "held"  # held | released | converted | expired

    def active(self, now: float) -> bool:
        return self.state == "held" and self.expires_at > now


class HoldLedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    reads = Bundle("reads")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = fresh_in_process_redis()
        self.clock = FakeClock()
        self.cache = InventoryCache(self.redis, cache_settings(), self.clock)
        self.ledger = RedisHoldLedger(self.redis, self.clock, default_ttl_seconds=HOLD_TTL)
        self.model: dict[str, ModelHold] = {}
        self.booked = {night: 0 for night in NIGHTS}
        self.fresh_until = {night: float("-inf") for night in NIGHTS}
        self.counter = 0

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.redis.aclose())
        self.loop.close()

    def pms_available(self) -> dict[date, int]:
        return {night: CAPACITY - self.booked[night] for night in NIGHTS}

    def store(self, counts: dict[date, int], read_started_at: float) -> None:
        inventory = [NightInventory(ROOM, night, count) for night, count in counts.items()]
        result = self.run(
            self.cache.store_snapshot(HOTEL, [ROOM], NIGHTS, inventory, [], read_started_at=read_started_at)
        )
        for _, night in result.stored:
            self.fresh_until[night] = self.clock.now() + INV_TTL

    def held(self, night: date) -> int:
        now = self.clock.now()
        return sum(h.quantity for h in self.model.values() if h.active(now) and night in h.nights)

    @initialize()
    def first_pms_read(self) -> None:
        self.store(self.pms_available(), self.clock.now())

    @rule(target=holds, first=st.integers(0, 2), length=st.integers(1, 3), quantity=st.integers(1, 2))
    def create(self, first: int, length: int, quantity: int) -> str:
        self.counter += 1
        hold_id = f"h{self.counter}"
        stay = NIGHTS[first : first + length]
        outcome = self.run(self.ledger.create_hold(HOTEL, ROOM, stay, quantity, hold_id))
        now = self.clock.now()
        if any(self.fresh_until[n] <= now for n in stay):
            assert outcome.status is HoldStatus.MISSING
            # as the checkout does: fill the cache from the PMS, then retry with the same id; a read that
            # began in the same millisecond as a local booking is fenced off, so the checkout fills again
            self.pms_refresh()
            if any(self.fresh_until[n] <= now for n in stay):
                self.clock.advance(0.001)
                self.pms_refresh()
                now = self.clock.now()
            outcome = self.run(self.ledger.create_hold(HOTEL, ROOM, stay, quantity, hold_id))
        if any(CAPACITY - self.booked[n] - self.held(n) < quantity for n in stay):
            assert outcome.status is HoldStatus.SHORT  # and never a hold the model says cannot fit
        else:
            assert outcome.status is HoldStatus.HELD  # and never a refusal when rooms are free
            self.model[hold_id] = ModelHold(list(stay), quantity, now + HOLD_TTL)
        return hold_id

    @rule(hold_id=holds)
    def retry_create(self, hold_id: str) -> None:
        hold = self.model.get(hold_id)
        if hold is None:
            return  # the first attempt was refused: nothing is remembered, a retry re-evaluates
        outcome = self.run(self.ledger.create_hold(HOTEL, ROOM, hold.nights, hold.quantity, hold_id))
        expected = {
            "released": HoldStatus.RELEASED,
            "converted": HoldStatus.CONVERTED,
            "expired": HoldStatus.EXPIRED,
        }
        if hold.active(self.clock.now()):
            assert outcome.status is HoldStatus.REPLAYED
        else:
            assert outcome.status is expected.get(hold.state, HoldStatus.EXPIRED)

    @rule(hold_id=holds)
    def release(self, hold_id: str) -> None:
        result = self.run(self.ledger.release(HOTEL, hold_id))
        hold = self.model.get(hold_id)
        if hold is None:
            assert result is ReleaseResult.UNKNOWN
        elif hold.state == "released":
            assert result is ReleaseResult.ALREADY_RELEASED
        elif hold.state == "converted":
            assert result is ReleaseResult.REFUSED_CONVERTED
        elif not hold.active(self.clock.now()):
            assert result is ReleaseResult.EXPIRED
            hold.state = "expired"
        else:
            assert result is ReleaseResult.RELEASED
            hold.state = "released"

    @rule(hold_id=holds)
    def convert(self, hold_id: str) -> None:
        result = self.run(self.ledger.convert(HOTEL, hold_id))
        hold = self.model.get(hold_id)
        if hold is None:
            assert result is ConvertResult.UNKNOWN
        elif hold.state == "converted":
            assert result is ConvertResult.ALREADY_CONVERTED
        elif hold.state == "released":
            assert result is ConvertResult.REFUSED_RELEASED
        elif not hold.active(self.clock.now()):
            assert result is ConvertResult.REFUSED_EXPIRED
            hold.state = "expired"
        else:
            assert result is ConvertResult.CONVERTED
            hold.state = "converted"
            for night in hold.nights:  # the PMS took the booking (the saga did that before converting)
                self.booked[night] += hold.quantity

    @rule(seconds=st.sampled_from([1, 5, 30, 60, 89, 90, 179, 180]))
    def advance_time(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def pms_refresh(self) -> None:
        self.store(self.pms_available(), self.clock.now())

    @rule(target=reads)
    def begin_slow_pms_read(self) -> tuple[float, dict[date, int]]:
        return self.clock.now(), self.pms_available()

    @rule(read=consumes(reads))
    def finish_slow_pms_read(self, read: tuple[float, dict[date, int]]) -> None:
        self.store(read[1], read[0])

    @invariant()
    def never_oversold_and_never_undone(self) -> None:
        now = self.clock.now()
        for row in self.run(self.cache.get_range(HOTEL, ROOM, NIGHTS)):
            assert row.held == self.held(row.night), (
                "active holds in Redis match the model (expiry frees rooms)"
            )
            assert row.held + self.booked[row.night] <= CAPACITY, f"oversold {row.night}"
            if self.fresh_until[row.night] > now:
                assert row.available == CAPACITY - self.booked[row.night], "an older read undid a booking"


HoldLedgerMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestHoldLedgerStateMachine = HoldLedgerMachine.TestCase
