"""The availability service and the saga's `Pricer` price the party from the cache, for both vendors:
filled once from the simulator (over HTTP, through the factory's connector), then every party is
quoted from the one cached rule, with what the PMS bills that party; in-process and real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest

from roomgate.clock import SYSTEM_CLOCK
from roomgate.config import Settings, load_settings
from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.pms.factory import PMSConnectorFactory
from roomgate.pms.types import GuestInfo, ReservationRequest
from roomgate.services.adapters import AvailabilityPricer
from roomgate.services.availability import AvailabilityService
from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators import mews as mews_sim
from tests.fake_keys import cloudbeds_key
from tests.integration.cache_support import make_cache

GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR", "04524")
START = date.today() + timedelta(days=30)
STAY = Stay(START, START + timedelta(days=2))
# (vendor, hotel, room type) -> {(adults, children): (nightly price, taxes for the two nights)}
CASES: dict[tuple[str, str, str], dict[tuple[int, int], tuple[int, int]]] = {
    # Cloudbeds Family Suite: 2 adults + 1 child included, +30,000 / +15,000; 10 % VAT + 2,000 a night
    ("cloudbeds", "hotel_123", "room_458"): {
        (1, 0): (210000, 42000 + 4000),
        (3, 1): (240000, 48000 + 4000),
        (2, 2): (225000, 45000 + 4000),
        (4, 0): (270000, 54000 + 4000),
    },
    # Mews Family Ondol: Capacity 2 (any age), +25,000 an extra adult, +10,000 an extra child; gross prices
    ("mews", "hotel_555", "room_552"): {
        (1, 0): (190000, 0),
        (1, 1): (190000, 0),
        (3, 0): (215000, 0),
        (2, 2): (210000, 0),
    },
}


class HostRouter(httpx2.AsyncBaseTransport):
    """Each request to the simulator app its host names (the vendors' network edge)."""

    def __init__(self) -> None:
        self.apps = {"cloudbeds.sim": cloudbeds_sim.create_app(), "mews.sim": mews_sim.create_app()}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await httpx2.ASGITransport(app=self.apps[request.url.host]).handle_async_request(request)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PMS_hotel_123_API_KEY", cloudbeds_key("party_quotes"))
    monkeypatch.setenv("PMS_hotel_555_API_KEY", "mews-access-party-quotes")
    return load_settings(
        cloudbeds_base_url="http://cloudbeds.sim/api/v1.3",
        mews_base_url="http://mews.sim",
        mews_client_token="client-token-for-tests",
        ttl_jitter_ratio=0.0,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=HostRouter()) as client:
        yield client


@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c[0])
async def test_every_party_is_quoted_from_one_fill_at_the_pms_price(
    case: tuple[str, str, str], any_redis: Any, settings: Settings, http: httpx2.AsyncClient
) -> None:
    # given an availability service over a fresh cache and the vendor's simulator
    vendor, hotel, room = case
    factory = PMSConnectorFactory(settings, http)
    cache = make_cache(any_redis, SYSTEM_CLOCK)  # type: ignore[arg-type]
    service = AvailabilityService(cache, factory.get_connector, settings, SYSTEM_CLOCK)
    pricer = AvailabilityPricer(service)
    connector = await factory.get_connector(vendor, hotel)
    await pricer.quote(vendor, hotel, room, STAY, 1, 0)  # the one fill
    for index, ((adults, children), (nightly, taxes)) in enumerate(CASES[case].items()):
        # when the party is quoted (from the cache) and then booked at the PMS
        quote = await pricer.quote(vendor, hotel, room, STAY, adults, children)
        offer = await service.stay_availability(vendor, hotel, STAY, adults, children)
        hold = 180 if vendor == "mews" else None
        request = ReservationRequest(
            f"bk_party_{index}",
            room,
            STAY.check_in,
            STAY.check_out,
            adults,
            children,
            GUEST,
            hold_seconds=hold,
        )
        made = await connector.create_reservation(request)
        state = (await http.get(f"http://{vendor}.sim/_sim/state")).json()
        billed = next(r for r in state["reservations"] if r["reservationId"] == made.reservation_id)
        await connector.cancel_reservation(made.reservation_id)  # the room back for the next party
        # then the quote, the availability offer and the PMS's bill agree on the party's price
        assert [n.price for n in quote.nights] == [Money.from_minor(nightly, "KRW")] * 2, (adults, children)
        assert quote.room_total == Money.from_minor(nightly * 2, "KRW")
        assert quote.total == Money.from_minor(nightly * 2 + taxes, "KRW")
        [option] = [o for o in offer.options if o.room_type.room_type_id == room]
        assert option.total_with_taxes == quote.total and option.total == quote.room_total
        assert Money.of(billed["total"], "KRW") == quote.total
    # and one fill served them all (both prices for any party are in the one cached rule)
    assert offer.source == "cache"
