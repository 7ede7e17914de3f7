"""The party's nightly price (base + extra-guest charges) and the stay's taxes and fees, as pure rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from roomgate.domain.money import Money
from roomgate.domain.occupancy import OccupancyPricing, decode_occupancy, party_price
from roomgate.domain.taxes import TaxBasis, TaxLine, TaxRule, added, stay_taxes

BASE = Money.of("100.00", "USD")
CLOUDBEDS = OccupancyPricing(2, 1, Decimal("25.50"), Decimal("10"))
MEWS = OccupancyPricing(2, 0, Decimal("25.50"), Decimal("10"), pooled=True)


@pytest.mark.parametrize(
    ("rule", "adults", "children", "expected"),
    [
        (CLOUDBEDS, 1, 0, "100.00"),
        (CLOUDBEDS, 2, 1, "100.00"),
        (CLOUDBEDS, 3, 1, "125.50"),
        (CLOUDBEDS, 2, 3, "120.00"),
        (CLOUDBEDS, 1, 2, "110.00"),  # Cloudbeds: a free adult place is not a child's
        (MEWS, 1, 1, "100.00"),  # Mews: any guest fills a place of the capacity
        (MEWS, 1, 2, "110.00"),
        (MEWS, 3, 1, "135.50"),
        (None, 4, 4, "100.00"),
    ],
)
def test_the_party_pays_the_base_plus_each_extra_guest(
    rule: OccupancyPricing | None, adults: int, children: int, expected: str
) -> None:
    # given / when / then
    assert party_price(BASE, rule, adults, children) == Money.of(expected, "USD")


def test_a_rule_survives_its_cache_text_and_garbage_reads_as_none() -> None:
    # given / when / then
    assert decode_occupancy(CLOUDBEDS.encode()) == CLOUDBEDS
    assert decode_occupancy(MEWS.encode()) == MEWS
    assert decode_occupancy("") is None and decode_occupancy("2|x") is None


def test_each_kind_of_tax_and_fee_on_a_two_night_stay() -> None:
    # given two nights at 200 and 90 for two adults and a child
    nightly = [Money.of("200", "USD"), Money.of("90", "USD")]
    rules = [
        TaxRule("VAT", "VAT", "tax", TaxBasis.PERCENT, Decimal("10")),
        TaxRule("CITY", "City", "fee", TaxBasis.PER_NIGHT, Decimal("2.5")),
        TaxRule("RES", "Booking", "fee", TaxBasis.PER_STAY, Decimal("7")),
        TaxRule("PP", "Tourism", "tax", TaxBasis.PER_PERSON_NIGHT, Decimal("1"), Decimal("0.5")),
        TaxRule(
            "RB",
            "Rate-based",
            "tax",
            TaxBasis.RATE_BASED,
            Decimal(0),
            brackets=((Decimal(100), Decimal(5)), (Decimal(1000), Decimal(12))),
        ),
        TaxRule("INC", "Included", "tax", TaxBasis.PERCENT, Decimal("3"), inclusive=True),
        TaxRule("OTHER", "Other room", "tax", TaxBasis.PER_STAY, Decimal(50), room_type_ids=("suite",)),
    ]
    # when
    lines = stay_taxes(rules, "double", nightly, 2, 1)
    # then every line is priced by its basis, the other room type's is left out, inclusive is shown only
    assert {line.code: line.amount.amount for line in lines} == {
        "VAT": Decimal("29.00"),
        "CITY": Decimal("5.00"),
        "RES": Decimal("7.00"),
        "PP": Decimal("5.00"),  # (1 × 2 + 0.5 × 1) × 2 nights
        "RB": Decimal("28.50"),  # 200 × 12 % + 90 × 5 %
        "INC": Decimal("8.70"),
    }
    assert added(lines, "USD") == Money.of("74.50", "USD")


def test_each_line_is_rounded_to_the_currency_before_the_sum() -> None:
    # given KRW (no minor unit) and two lines that each round
    nightly = [Money.of("99999", "KRW")]
    rules = [TaxRule(c, c, "tax", TaxBasis.PERCENT, Decimal("0.5")) for c in ("A", "B")]
    # when
    lines = stay_taxes(rules, "r", nightly, 1, 0)
    # then 499.995 rounds to 500 per line, and the lines add up as rounded
    assert [line.amount for line in lines] == [Money.of(500, "KRW")] * 2
    assert added([*lines, TaxLine("C", "C", "tax", Money.of(500, "KRW"))], "KRW") == Money.of(1500, "KRW")
