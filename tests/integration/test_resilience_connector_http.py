"""The wired resilience kit around the real Cloudbeds connector, against the simulator in-process (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.errors import PMSAuthenticationError, PMSRateLimited, PMSTransientError, PMSUnavailable
from roomgate.resilience.breaker_state import BreakerKey, BreakerState
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.wiring import Resilience
from roomgate.simulators.cloudbeds import create_app
from tests.fake_keys import cloudbeds_key

API_KEY = cloudbeds_key("resilience_http_test")
KEY = BreakerKey("cloudbeds", "hotel_123")


class Rig:
    def __init__(self, clock: FakeClock, kit: Resilience, http: httpx2.AsyncClient) -> None:
        self.clock = clock
        self.kit = kit
        self.http = http

    def connector(self, api_key: str = API_KEY) -> ResilientConnector:
        inner = CloudbedsConnector(
            hotel_id="hotel_123", api_key=api_key, http=self.http, base_url="http://sim/api/v1.3", timeout=5.0
        )
        return self.kit.wrap(inner, credential=api_key)

    async def faults(self, faults: dict[str, Any]) -> None:
        (await self.http.put("http://sim/_sim/faults", json=faults)).raise_for_status()

    async def calls(self, endpoint: str) -> int:
        state = (await self.http.get("http://sim/_sim/state")).json()
        return int(state["calls"].get(endpoint, 0))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = FakeClock()
    redis = fresh_in_process_redis()
    kit = Resilience.create(load_settings(), redis, clock)
    transport = httpx2.ASGITransport(app=create_app(clock=clock))
    async with httpx2.AsyncClient(transport=transport) as http:
        yield Rig(clock, kit, http)
    await redis.aclose()


async def test_an_outage_opens_the_breaker_switches_degraded_mode_and_both_recover(rig: Rig) -> None:
    # given the PMS answers 500 to everything
    connector = rig.connector()
    await rig.faults({"status": 500})
    # when a read tries (1 call + 3 retries) and a second read fails once more
    with pytest.raises(PMSTransientError):
        await connector.get_room_types()
    with pytest.raises(PMSUnavailable):
        await connector.get_room_types()
    # then the simulator saw five calls, the breaker is open and checkouts are refused
    assert await rig.calls("getRoomTypes") == 5
    assert await rig.kit.breaker.state(KEY) is BreakerState.OPEN
    check = await rig.kit.degraded.check_operation_allowed("write", "hotel_123")
    assert check.message == "Degraded Mode: 현재 예약이 불가능합니다. (PMS API 다운: cloudbeds)"
    # when the PMS is back and the open period is over
    await rig.faults({})
    rig.clock.advance(60)
    await connector.get_room_types()
    await connector.get_room_types()
    # then everything is back to normal
    assert await rig.kit.breaker.state(KEY) is BreakerState.CLOSED
    assert (await rig.kit.degraded.check_operation_allowed("write", "hotel_123")).allowed


async def test_the_simulators_retry_after_is_honoured(rig: Rig) -> None:
    # given the PMS rate-limits us, asking for 3 s
    connector = rig.connector()
    await rig.faults({"status": 429, "retryAfter": 3})
    # when
    with pytest.raises(PMSRateLimited) as refused:
        await connector.get_room_types()
    # then 3 s waits until the next one would pass the 8 s deadline: three calls
    assert refused.value.retry_after == 3.0
    assert rig.clock.sleeps == [3.0, 3.0]
    assert await rig.calls("getRoomTypes") == 3


async def test_a_wrong_api_key_never_opens_the_breaker(rig: Rig) -> None:
    # given a hotel configured with a key the PMS refuses
    simulator_app_key = cloudbeds_key("the_right_one")
    transport = httpx2.ASGITransport(app=create_app(clock=rig.clock, api_key=simulator_app_key))
    async with httpx2.AsyncClient(transport=transport) as http:
        rig.http = http
        connector = rig.connector(api_key=cloudbeds_key("revoked"))
        # when it is used ten times
        for _ in range(10):
            with pytest.raises(PMSAuthenticationError) as refused:
                await connector.get_room_types()
            assert cloudbeds_key("revoked") not in str(refused.value)
        # then every call reached the PMS (no retries, no breaker)
        assert await rig.calls("getRoomTypes") == 10
    assert await rig.kit.breaker.state(KEY) is BreakerState.CLOSED
