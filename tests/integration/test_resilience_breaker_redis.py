"""The breaker Lua script on fakeredis and real Redis: same machine as the Python model, shared state."""

from __future__ import annotations

import random
from typing import Any

import pytest

from roomgate.clock import FakeClock
from roomgate.pms.errors import PMSTransientError, PMSUnavailable
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_redis import RedisBreakerStore
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState, Op, Snapshot, step
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from tests.conftest import second_client

KEY = BreakerKey("cloudbeds", "hotel_123")
CONFIG = BreakerConfig(lost_call_ms=20_000)


async def ok() -> str:
    return "ok"


async def down() -> None:
    raise PMSTransientError("HTTP 500", status=500)


async def test_a_full_cycle_through_lua(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    breaker = CircuitBreaker(RedisBreakerStore(any_redis), CONFIG, clock)
    # when five failures
    for _ in range(5):
        with pytest.raises(PMSTransientError):
            await breaker.call(KEY, down)
    # then open, refusing
    assert await breaker.state(KEY) is BreakerState.OPEN
    with pytest.raises(PMSUnavailable):
        await breaker.call(KEY, ok)
    # and after 60 s two probes close it
    clock.advance(60)
    assert await breaker.state(KEY) is BreakerState.HALF_OPEN
    await breaker.call(KEY, ok)
    await breaker.call(KEY, ok)
    assert await breaker.state(KEY) is BreakerState.CLOSED
    assert await any_redis.exists("breaker:{hotel_123}:cloudbeds") == 1
    assert 0 < await any_redis.pttl("breaker:{hotel_123}:cloudbeds") <= 86_400_000


async def test_two_clients_share_one_breaker(any_redis: Any) -> None:
    # given two breakers on two connections (as two processes would have) to one Redis
    clock = FakeClock()
    first = CircuitBreaker(RedisBreakerStore(any_redis), CONFIG, clock)
    other_connection = second_client(any_redis)
    second = CircuitBreaker(RedisBreakerStore(other_connection), CONFIG, clock)
    try:
        # when three failures happen in one and two in the other
        for breaker in (first, first, first, second, second):
            with pytest.raises(PMSTransientError):
                await breaker.call(KEY, down)
        # then both see it open: five in total, not five each
        assert await first.state(KEY) is BreakerState.OPEN
        with pytest.raises(PMSUnavailable):
            await second.call(KEY, ok)
    finally:
        await other_connection.aclose()


async def test_all_states_finds_breakers_by_scanning(any_redis: Any) -> None:
    # given
    clock = FakeClock()
    breaker = CircuitBreaker(RedisBreakerStore(any_redis), CONFIG, clock)
    await any_redis.set("inv:{hotel_123}:room_456:2025-11-01", "3")  # not a breaker
    await breaker.call(BreakerKey("mews", "hotel_9"), ok)
    await breaker.call(KEY, ok)
    # when
    statuses = await breaker.all_states()
    # then
    assert [(s.hotel_id, s.vendor, s.state) for s in statuses] == [
        ("hotel_123", "cloudbeds", BreakerState.CLOSED),
        ("hotel_9", "mews", BreakerState.CLOSED),
    ]


def random_operations(seed: int, count: int) -> list[tuple[str, int]]:
    """Admissions, outcomes for recent admissions and time steps, biased towards failures."""
    rng = random.Random(seed)
    ops: list[tuple[str, int]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35:
            ops.append(("admit", 0))
        elif roll < 0.85:
            outcome = rng.choice(["failure", "failure", "success", "release"])
            ops.append((outcome, rng.randint(0, 5)))  # which pending ticket
        else:
            ops.append(("advance", rng.choice([1_000, 15_000, 30_000, 61_000])))
    return ops


@pytest.mark.parametrize("seed", range(6))
async def test_lua_and_python_agree_on_random_operation_sequences(any_redis: Any, seed: int) -> None:
    # given the same operations for the Lua store and the pure Python model
    lua = RedisBreakerStore(any_redis)
    model = InMemoryBreakerStore()
    now_ms = 1_767_225_600_000
    pending: list[int] = []  # generations of admitted, unsettled calls
    decisions = 0
    # when
    for op_name, arg in random_operations(seed, 500):
        if op_name == "advance":
            now_ms += arg
            continue
        if op_name == "admit":
            op, generation = Op.ADMIT, 0
        else:
            if not pending:
                continue
            op, generation = Op(op_name), pending.pop(arg % len(pending))
        expected = await model.apply(KEY, op, generation, now_ms, CONFIG)
        actual = await lua.apply(KEY, op, generation, now_ms, CONFIG)
        # then every decision and every stored state is identical
        assert actual == expected, (op_name, decisions)
        assert await lua.snapshot(KEY) == await model.snapshot(KEY)
        if op is Op.ADMIT and actual.allowed:
            pending.append(actual.generation)
        decisions += 1
    assert decisions > 200


async def test_the_random_sequences_do_reach_every_state() -> None:
    # given the generator used above, run on the model alone
    states: set[BreakerState] = set()
    snapshot, now_ms, pending = Snapshot(), 0, []
    # when
    for op_name, arg in random_operations(0, 300):
        if op_name == "advance":
            now_ms += arg
            continue
        if op_name != "admit" and not pending:
            continue
        op = Op.ADMIT if op_name == "admit" else Op(op_name)
        generation = 0 if op is Op.ADMIT else pending.pop(arg % len(pending))
        snapshot, decision = step(snapshot, op, generation, now_ms, CONFIG)
        if op is Op.ADMIT and decision.allowed:
            pending.append(decision.generation)
        states.add(decision.after)
    # then the comparison covered the whole machine, not just CLOSED
    assert states == set(BreakerState)
