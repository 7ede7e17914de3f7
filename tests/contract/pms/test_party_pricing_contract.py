"""Per-party prices, against both simulators (in-process and over a socket): a property whose rate
includes two adults and charges extra adults and children; the connector's occupancy rule prices
every party exactly as the PMS itself prices that party's reservation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from roomgate.domain.money import Money
from roomgate.domain.occupancy import party_price
from roomgate.pms.types import GuestInfo, NightRate, ReservationRequest
from tests.contract.pms.harness import SimHarness

MAR_1, MAR_3 = date(2026, 3, 1), date(2026, 3, 3)
GUEST = GuestInfo("길동", "홍", "hong@example.com", "+82-10-1234-5678", "KR", "04524")
PROPERTY: dict[str, Any] = {
    "name": "Occupancy Hotel",
    "currency": "USD",
    "roomTypes": [
        {
            "id": "fam",
            "name": "Family",
            "maxGuests": 5,
            "totalRooms": 10,
            "nightlyRate": "100.00",
            "adultsIncluded": 2,
            "extraAdultRate": "25.50",
            "extraChildRate": "10.00",
        },
        {"id": "std", "name": "Standard", "maxGuests": 2, "totalRooms": 3, "nightlyRate": "80.00"},
    ],
}
# (adults, children) -> nightly price; Mews counts any guest against Capacity 2 (adults first).
EXPECTED = {
    "cloudbeds": {(1, 0): "100.00", (2, 0): "100.00", (3, 0): "125.50", (2, 1): "110.00", (3, 2): "145.50"},
    "mews": {(1, 0): "100.00", (2, 0): "100.00", (3, 0): "125.50", (2, 1): "110.00", (1, 1): "100.00"},
}


async def _rates(sim: SimHarness) -> tuple[Any, dict[date, NightRate]]:
    await sim.control("PUT", "/_sim/properties/occ_hotel", PROPERTY)
    connector = sim.cloudbeds("occ_hotel") if sim.vendor == "cloudbeds" else sim.mews("occ_hotel")
    _, rates = await connector.get_inventory_and_rates(["fam", "std"], MAR_1, MAR_3, 1, 0)
    return connector, {r.date: r for r in rates if r.room_type_id == "fam"}


async def test_cloudbeds_rule_prices_each_party_as_the_pms_bills_it(cloudbeds: SimHarness) -> None:
    await the_rule_prices_each_party_as_the_pms_bills_it(cloudbeds)


async def test_mews_rule_prices_each_party_as_the_pms_bills_it(mews: SimHarness) -> None:
    await the_rule_prices_each_party_as_the_pms_bills_it(mews)


async def the_rule_prices_each_party_as_the_pms_bills_it(sim: SimHarness) -> None:
    # given a room type whose rate includes two guests and charges extras
    vendor = sim.vendor
    connector, nights = await _rates(sim)
    assert sorted(nights) == [MAR_1, date(2026, 3, 2)]
    for (adults, children), nightly in EXPECTED[vendor].items():
        # when the party's price is worked out from the cached rule, and the PMS books that party
        quoted = sum(
            (party_price(n.price, n.occupancy, adults, children).amount for n in nights.values()), Decimal(0)
        )
        hold = 180 if vendor == "mews" else None
        request = ReservationRequest(
            f"bk_{adults}_{children}", "fam", MAR_1, MAR_3, adults, children, GUEST, hold_seconds=hold
        )
        made = await connector.create_reservation(request)
        state = await sim.control("GET", "/_sim/state")
        billed = next(r for r in state["reservations"] if r["reservationId"] == made.reservation_id)
        # then both are the PMS's nightly price for that party, times two nights
        assert quoted == Decimal(nightly) * 2, (adults, children)
        assert Decimal(billed["total"]) == quoted, (adults, children)
        if vendor == "cloudbeds":  # postReservation's grandTotal, as the connector reads it
            assert made.total == Money.of(quoted, "USD")


async def test_cloudbeds_room_without_extras_prices_every_party_at_base(cloudbeds: SimHarness) -> None:
    await a_room_without_extras_prices_every_party_at_base(cloudbeds)


async def test_mews_room_without_extras_prices_every_party_at_base(mews: SimHarness) -> None:
    await a_room_without_extras_prices_every_party_at_base(mews)


async def a_room_without_extras_prices_every_party_at_base(sim: SimHarness) -> None:
    # given a room type that takes two guests and names no extra charges (Mews' adjustments are per
    # rate, so its rule is there, but the Capacity covers every party the room takes)
    await sim.control("PUT", "/_sim/properties/occ_hotel", PROPERTY)
    connector = sim.cloudbeds("occ_hotel") if sim.vendor == "cloudbeds" else sim.mews("occ_hotel")
    # when
    _, rates = await connector.get_inventory_and_rates(["std"], MAR_1, MAR_3, 1, 0)
    # then every party that fits pays the base price
    base = Money.of("80.00", "USD")
    for adults, children in ((1, 0), (2, 0), (1, 1)):
        assert [party_price(r.price, r.occupancy, adults, children) for r in rates] == [base, base]
    if sim.vendor == "cloudbeds":
        assert [r.occupancy for r in rates] == [None, None]


async def test_cloudbeds_rate_plans_price_the_party_asked_for(cloudbeds: SimHarness) -> None:
    # given the demo Family Suite (2 adults + 1 child included, +30,000 per adult, +15,000 per child)
    connector = cloudbeds.cloudbeds()
    # when getRatePlans is asked for three adults and two children
    body = await connector._get(  # the raw vendor answer, to see the simulator's own figures
        "getRatePlans",
        {
            "propertyIDs": "hotel_123",
            "roomTypeID": "room_458",
            "startDate": "2026-03-01",
            "endDate": "2026-03-02",
            "adults": 3,
            "children": 2,
            "detailedRates": "true",
        },
    )
    night = body["data"][0]["roomRateDetailed"][0]
    # then totalRate carries one extra adult and one extra child on top of rateBase
    assert (Decimal(str(night["rateBase"])), Decimal(str(night["totalRate"]))) == (
        Decimal(210000),
        Decimal(210000 + 30000 + 15000),
    )


async def test_cloudbeds_taxes_and_fees_are_read_with_their_room_types(cloudbeds: SimHarness) -> None:
    # given the demo hotel (VAT 10 % and a 2,000 KRW nightly city fee on the Family Suite only)
    connector = cloudbeds.cloudbeds()
    # when
    rules = await connector.get_taxes()
    # then
    assert [(r.code, r.kind, r.basis.value, r.amount, r.room_type_ids, r.inclusive) for r in rules] == [
        ("VAT", "tax", "percent", Decimal(10), ("room_458",), False),
        ("CITY", "fee", "per_night", Decimal(2000), ("room_458",), False),
    ]
