"""Builders for the availability service tests: in-process Redis, fake clock, fake PMS connector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roomgate.cache.client import fresh_in_process_redis
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.pms.types import RoomType
from roomgate.services.availability import AvailabilityService
from tests.unit.fake_pms_connector import FakePMSConnector

HOTEL = "hotel_123"
DOUBLE = RoomType("room_456", "Deluxe Double", 2, total_rooms=10)
FAMILY = RoomType("room_789", "Family Suite", 4, total_rooms=3)
VENDOR = FakePMSConnector.vendor


@dataclass
class World:
    redis: Any
    clock: FakeClock
    pms: FakePMSConnector
    cache: InventoryCache
    service: AvailabilityService
    ledger: RedisHoldLedger


def build_world(redis: Any | None = None, clock: FakeClock | None = None, **service_kw: Any) -> World:
    """A service over a fresh in-process Redis (or the one given) and a fake PMS with two room types."""
    redis = redis or fresh_in_process_redis()
    clock = clock or FakeClock()
    settings = load_settings(ttl_jitter_ratio=0.0)
    pms = FakePMSConnector(HOTEL, [DOUBLE, FAMILY])
    cache = InventoryCache(redis, settings, clock)

    async def provider(vendor: str, hotel_id: str) -> FakePMSConnector:
        assert (vendor, hotel_id) == (VENDOR, HOTEL)
        return pms

    service = AvailabilityService(cache, provider, settings, clock, **service_kw)
    return World(redis, clock, pms, cache, service, RedisHoldLedger(redis, clock))
