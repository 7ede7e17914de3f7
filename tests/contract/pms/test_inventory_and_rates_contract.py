"""Counts and prices in one vendor round, against both simulators (in-process and over a socket):
Cloudbeds answers both from two `getRatePlans` sent together (one with an extra adult, one with an
extra child: the extra-guest charges), Mews from one `getAvailability` + one `getPricing`; a cache
fill through the resilience wrapper costs exactly that, and a later stay in its block nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from roomgate.cache.client import fresh_in_process_redis
from roomgate.cache.fill_lease import FillLease
from roomgate.cache.inventory import InventoryCache
from roomgate.config import load_settings
from roomgate.pms.base import PMSConnector, ReadsInventoryAndRates
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.mews import MewsConnector
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.ratelimit import OutboundRateLimiter, RateLimit
from roomgate.resilience.retry import RetryPolicy
from roomgate.services.inventory_fill import InventoryFiller
from tests.contract.pms.harness import SimHarness

MAR_1, MAR_4, MAR_6, MAR_10, MAR_12 = (date(2026, 3, d) for d in (1, 4, 6, 10, 12))
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR", "04524")
ONE_ROUND = {
    "cloudbeds": Counter({"getRatePlans": 2}),
    "mews": Counter({"services/getAvailability": 1, "rates/getPricing": 1}),
}


def connector_for(sim: SimHarness) -> CloudbedsConnector | MewsConnector:
    return sim.cloudbeds() if sim.vendor == "cloudbeds" else sim.mews()


async def vendor_calls(sim: SimHarness) -> Counter[str]:
    return Counter((await sim.control("GET", "/_sim/state"))["calls"])


async def test_both_connectors_offer_the_combined_read(cloudbeds: SimHarness, mews: SimHarness) -> None:
    # given / when / then
    assert isinstance(cloudbeds.cloudbeds(), ReadsInventoryAndRates)
    assert isinstance(mews.mews(), ReadsInventoryAndRates)


async def test_cloudbeds_combined_read(cloudbeds: SimHarness) -> None:
    await combined_read_answers_what_the_two_reads_answer_in_one_round(cloudbeds)


async def test_mews_combined_read(mews: SimHarness) -> None:
    await combined_read_answers_what_the_two_reads_answer_in_one_round(mews)


async def combined_read_answers_what_the_two_reads_answer_in_one_round(sim: SimHarness) -> None:
    # given a booking on 2 March so the nights differ, and a connector past its one-off setup reads
    connector = connector_for(sim)
    hold = 180 if sim.vendor == "mews" else None
    await connector.create_reservation(
        ReservationRequest(
            "bk_combined", "room_456", date(2026, 3, 2), date(2026, 3, 3), 2, 0, GUEST, hold_seconds=hold
        )
    )
    separate = (
        await connector.get_inventory(["room_456"], MAR_1, MAR_4),
        await connector.get_rates(["room_456"], MAR_1, MAR_4, 1, 0),
    )
    before = await vendor_calls(sim)
    # when
    combined = await connector.get_inventory_and_rates(["room_456"], MAR_1, MAR_4, 1, 0)
    # then the same nights, counts and prices, from one round of vendor calls
    assert combined == separate
    counts = [night.available for night in combined[0]]
    assert counts[1] == counts[0] - 1 == counts[2] - 1
    assert await vendor_calls(sim) - before == ONE_ROUND[sim.vendor]


def resilient_filler(connector: PMSConnector, sim: SimHarness) -> tuple[InventoryFiller, ResilientConnector]:
    redis = fresh_in_process_redis()
    settings = load_settings(ttl_jitter_ratio=0.0)
    limiter = OutboundRateLimiter(redis, sim.vendor, RateLimit(200, 30.0), clock=sim.clock)
    breaker = CircuitBreaker(InMemoryBreakerStore(), BreakerConfig(), sim.clock)
    wrapped = ResilientConnector(connector, breaker, RetryPolicy(), limiter, sim.clock, credential="contract")
    cache = InventoryCache(redis, settings, sim.clock)
    return InventoryFiller(cache, FillLease(redis), sim.clock, block_days=28), wrapped


async def test_cloudbeds_fill(cloudbeds: SimHarness) -> None:
    await a_fill_costs_one_round_and_a_later_stay_in_its_block_none(cloudbeds)


async def test_mews_fill(mews: SimHarness) -> None:
    await a_fill_costs_one_round_and_a_later_stay_in_its_block_none(mews)


async def a_fill_costs_one_round_and_a_later_stay_in_its_block_none(sim: SimHarness) -> None:
    # given a filler over the resilient connector, past the connector's one-off setup reads
    connector = connector_for(sim)
    await connector.get_hotel_details()
    # the included guests / capacities of these room types, read once per connector
    await connector.get_rates(["room_456", "room_789"], MAR_1, MAR_4, 1, 0)
    filler, wrapped = resilient_filler(connector, sim)
    assert isinstance(wrapped, ReadsInventoryAndRates)
    before = await vendor_calls(sim)
    # when a stay misses, then two later stays in the same 28-night block are asked for
    first = await filler.fill(wrapped, "hotel_123", ["room_456", "room_789"], MAR_1, MAR_4)
    after_first = await vendor_calls(sim)
    later = [
        await filler.fill(wrapped, "hotel_123", ["room_456", "room_789"], start, end)
        for start, end in ((MAR_6, MAR_10), (MAR_10, MAR_12))
    ]
    # then one round of vendor calls in all
    assert after_first - before == ONE_ROUND[sim.vendor]
    assert await vendor_calls(sim) == after_first
    assert first.source == "pms" and [f.source for f in later] == ["cache", "cache"]
    nights = later[0].rows["room_456"]
    assert [n.night for n in nights] == [date(2026, 3, d) for d in range(6, 10)]
    assert all(n.available is not None and n.price is not None for n in nights)
