"""A thousand concurrent cache misses cost the PMS what one miss costs — counted by the Cloudbeds simulator."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx2
import pytest

from roomgate.cache.client import fresh_in_process_redis
from roomgate.cache.fill_lease import FillLease
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import SYSTEM_CLOCK
from roomgate.config import load_settings
from roomgate.domain.stay import Stay
from roomgate.pms.factory import PMSConnectorFactory
from roomgate.services.availability import AvailabilityService
from roomgate.services.inventory_fill import InventoryFiller
from roomgate.simulators.registry import create_simulator
from tests.fake_keys import cloudbeds_key


async def _pms_calls_for(concurrent: int, *, coalesce: bool, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("PMS_hotel_123_API_KEY", cloudbeds_key("sim_count"))
    sim = create_simulator("cloudbeds")
    transport = httpx2.ASGITransport(app=sim)
    settings = load_settings(cloudbeds_base_url="http://sim/api/v1.3")
    async with (
        httpx2.AsyncClient(transport=transport) as http,
        httpx2.AsyncClient(transport=transport, base_url="http://sim") as control,
    ):
        redis = fresh_in_process_redis()
        cache = InventoryCache(redis, settings)
        filler = InventoryFiller(cache, FillLease(redis), SYSTEM_CLOCK, coalesce=coalesce)
        factory = PMSConnectorFactory(settings, http)
        service = AvailabilityService(cache, factory.get_connector, settings, filler=filler)
        start = date.today() + timedelta(days=20)
        stay = Stay(start, start + timedelta(days=7))
        await service.room_type("cloudbeds", "hotel_123", "room_456")  # room types cached first
        before = sum((await control.get("/_sim/state")).json()["calls"].values())
        results = await asyncio.gather(
            *(service.stay_availability("cloudbeds", "hotel_123", stay, 2, 0) for _ in range(concurrent))
        )
        assert all(r.options for r in results)
        after = sum((await control.get("/_sim/state")).json()["calls"].values())
        await redis.aclose()
        return after - before


async def test_a_thousand_concurrent_misses_cost_one_fill(monkeypatch: pytest.MonkeyPatch) -> None:
    one = await _pms_calls_for(1, coalesce=True, monkeypatch=monkeypatch)
    thousand = await _pms_calls_for(1000, coalesce=True, monkeypatch=monkeypatch)
    assert one >= 1
    assert thousand == one


async def test_negative_control_without_single_flight_the_simulator_sees_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = await _pms_calls_for(1, coalesce=False, monkeypatch=monkeypatch)
    fifty = await _pms_calls_for(50, coalesce=False, monkeypatch=monkeypatch)
    assert fifty > one
