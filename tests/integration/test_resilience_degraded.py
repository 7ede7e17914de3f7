"""Degraded mode in Redis: admin switch, following the breaker, override, ordering, status, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from roomgate.api.errors import status_of
from roomgate.clock import FakeClock
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.pms.errors import PMSTransientError
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_redis import RedisBreakerStore
from roomgate.resilience.breaker_state import BreakerConfig, BreakerKey, BreakerState
from roomgate.resilience.degraded import DegradedModeManager

OUTAGE_MESSAGE = "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운: cloudbeds)"


async def ok() -> str:
    return "ok"


async def down() -> None:
    raise PMSTransientError("HTTP 500", status=500)


class Setup:
    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(RedisBreakerStore(redis), BreakerConfig(), self.clock)
        self.degraded = DegradedModeManager(redis, self.clock)
        self.degraded.follow(self.breaker)

    async def open(self, key: BreakerKey) -> None:
        for _ in range(5):
            with pytest.raises(PMSTransientError):
                await self.breaker.call(key, down)
        assert await self.breaker.state(key) is BreakerState.OPEN

    async def recover(self, key: BreakerKey) -> None:
        self.clock.advance(60)
        await self.breaker.call(key, ok)
        assert await self.breaker.state(key) is BreakerState.HALF_OPEN
        await self.breaker.call(key, ok)
        assert await self.breaker.state(key) is BreakerState.CLOSED


@pytest.fixture
def setup(any_redis: Any) -> Setup:
    return Setup(any_redis)


async def test_the_spec_example_global_switch(setup: Setup) -> None:
    # given
    manager = setup.degraded
    # when
    await manager.enable_degraded_mode("PMS API 다운")
    check = await manager.check_operation_allowed("write")
    # then
    assert not check.allowed
    assert check.message == "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운)"
    assert check.code is ErrorCode.SERVICE_DEGRADED
    assert (await manager.check_operation_allowed("read")).allowed
    assert not (await manager.check_operation_allowed("write", "any_hotel")).allowed
    # and switched off again
    await manager.disable_degraded_mode()
    assert (await manager.check_operation_allowed("write")).allowed


async def test_a_hotel_switch_leaves_other_hotels_alone(setup: Setup) -> None:
    # given
    await setup.degraded.enable_degraded_mode("점검 중", "hotel_a")
    # when / then
    assert not (await setup.degraded.check_operation_allowed("write", "hotel_a")).allowed
    assert (await setup.degraded.check_operation_allowed("write", "hotel_b")).allowed
    assert (await setup.degraded.check_operation_allowed("write")).allowed


async def test_it_follows_the_breaker_on_and_off(setup: Setup) -> None:
    # given
    key = BreakerKey("cloudbeds", "hotel_123")
    # when the breaker opens
    await setup.open(key)
    # then writes are refused with the spec's message, reads still work
    check = await setup.degraded.check_operation_allowed("write", "hotel_123")
    assert (check.allowed, check.message) == (False, OUTAGE_MESSAGE)
    assert (await setup.degraded.check_operation_allowed("read", "hotel_123")).allowed
    assert (await setup.degraded.check_operation_allowed("write", "hotel_456")).allowed
    # when half-open: still degraded
    setup.clock.advance(60)
    await setup.breaker.call(key, ok)
    assert not (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed
    # when closed: it ends by itself
    await setup.breaker.call(key, ok)
    assert (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed


async def test_an_admin_switch_outlives_the_breaker(setup: Setup) -> None:
    # given an admin switch and an outage
    key = BreakerKey("cloudbeds", "hotel_123")
    await setup.degraded.enable_degraded_mode("객실 점검", "hotel_123")
    await setup.open(key)
    # when the breaker closes
    await setup.recover(key)
    # then the admin's reason still holds
    check = await setup.degraded.check_operation_allowed("write", "hotel_123")
    assert (check.allowed, check.reason) == (False, "객실 점검")


async def test_the_admin_reason_is_shown_first(setup: Setup) -> None:
    # given an outage, then an admin switch
    await setup.open(BreakerKey("cloudbeds", "hotel_123"))
    await setup.degraded.enable_degraded_mode("객실 점검", "hotel_123")
    # when
    check = await setup.degraded.check_operation_allowed("write", "hotel_123")
    # then
    assert check.reason == "객실 점검"


async def test_an_admin_can_switch_off_an_outage_and_the_next_opening_switches_it_on(setup: Setup) -> None:
    # given
    key = BreakerKey("cloudbeds", "hotel_123")
    await setup.open(key)
    # when the admin overrides
    await setup.degraded.disable_degraded_mode("hotel_123")
    # then writes are allowed (they will meet the open breaker, not the degraded switch)
    assert (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed
    # and a new opening after a failed probe switches it on again
    setup.clock.advance(60)
    with pytest.raises(PMSTransientError):
        await setup.breaker.call(key, down)
    assert not (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed


async def test_a_late_listener_write_cannot_undo_a_newer_transition(setup: Setup) -> None:
    # given this process saw the breaker re-open at t
    key = BreakerKey("cloudbeds", "hotel_123")
    await setup.degraded.on_breaker_change(key, BreakerState.HALF_OPEN, BreakerState.OPEN)
    # when another process's "closed" notice from t - 0.5 s arrives after it
    slow = DegradedModeManager(setup.redis, FakeClock(start=setup.clock.now() - 0.5))
    await slow.on_breaker_change(key, BreakerState.HALF_OPEN, BreakerState.CLOSED)
    # then the newer opening wins
    assert not (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed
    # while a notice that really is newer does apply
    newer = DegradedModeManager(setup.redis, FakeClock(start=setup.clock.now() + 0.5))
    await newer.on_breaker_change(key, BreakerState.HALF_OPEN, BreakerState.CLOSED)
    assert (await setup.degraded.check_operation_allowed("write", "hotel_123")).allowed


async def test_ensure_write_allowed_raises_the_service_degraded_error(setup: Setup) -> None:
    # given
    await setup.degraded.enable_degraded_mode("PMS API 다운", "hotel_123")
    # when / then
    with pytest.raises(DomainError) as refused:
        await setup.degraded.ensure_write_allowed("hotel_123")
    assert refused.value.code is ErrorCode.SERVICE_DEGRADED
    assert status_of(refused.value.code) == 503
    assert refused.value.user_message == "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운)"
    await setup.degraded.ensure_write_allowed("hotel_456")


async def test_status_lists_what_is_degraded_and_why(setup: Setup, unique_id: str) -> None:
    # given
    hotel = f"hotel_{unique_id}"
    await setup.degraded.enable_degraded_mode("점검", hotel)
    await setup.open(BreakerKey("cloudbeds", "hotel_123"))
    await setup.degraded.enable_degraded_mode("점검", "hotel_off")
    await setup.degraded.disable_degraded_mode("hotel_off")
    # when
    status = await setup.degraded.status()
    # then
    now = setup.clock.now()
    assert status == {
        "global": None,
        "hotels": {
            hotel: {"admin": {"reason": "점검", "since": now}},
            "hotel_123": {"breaker:cloudbeds": {"reason": "PMS API 다운: cloudbeds", "since": now}},
        },
    }
    assert REGISTRY.get_sample_value("roomgate_degraded", {"hotel": hotel}) == 1
    assert REGISTRY.get_sample_value("roomgate_degraded", {"hotel": "hotel_off"}) == 0


async def test_the_gauge_follows_the_switch(setup: Setup, unique_id: str) -> None:
    # given
    hotel = f"gauge_{unique_id}"
    # when / then
    await setup.degraded.enable_degraded_mode("점검", hotel)
    assert REGISTRY.get_sample_value("roomgate_degraded", {"hotel": hotel}) == 1
    await setup.degraded.disable_degraded_mode(hotel)
    assert REGISTRY.get_sample_value("roomgate_degraded", {"hotel": hotel}) == 0
