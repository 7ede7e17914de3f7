"""`getTaxesAndFees` items read into tax rules: every amount type of the v1.3 spec, and the ones left out."""

from __future__ import annotations

from decimal import Decimal

from roomgate.domain.taxes import TaxBasis
from roomgate.pms.cloudbeds_parse import parse_tax


def test_each_amount_type_maps_to_its_basis() -> None:
    # given / when
    rules = {
        kind: parse_tax(
            {"type": "tax", "taxID": "t1", "name": "T", "code": "T", "amountType": kind, "amount": "3"}
        )
        for kind in (
            "percentage",
            "fixed",
            "fixed_per_person",
            "fixed_per_accomodation",
            "fixed_per_reservation",
            "percentage_rate_based",
        )
    }
    # then
    assert {kind: rule.basis for kind, rule in rules.items() if rule} == {
        "percentage": TaxBasis.PERCENT,
        "fixed": TaxBasis.PER_NIGHT,
        "fixed_per_person": TaxBasis.PER_PERSON_NIGHT,
        "fixed_per_accomodation": TaxBasis.PER_STAY,
        "fixed_per_reservation": TaxBasis.PER_STAY,
        "percentage_rate_based": TaxBasis.RATE_BASED,
    }


def test_per_person_rate_based_room_types_and_inclusive_are_read() -> None:
    # given
    person = {
        "type": "fee",
        "feeID": "f9",
        "name": "Tourism",
        "code": "TOUR",
        "amountType": "fixed_per_person",
        "amountAdult": "2.00",
        "amountChild": 1,
        "availableFor": ["rate"],
        "inclusiveOrExclusive": "inclusive",
        "roomTypes": [{"roomTypeID": "555", "roomTypeName": "Double"}],
    }
    rate_based = {
        "type": "tax",
        "name": "City",
        "code": "CITY",
        "amountType": "percentage_rate_based",
        "amountRateBased": [{"rate": "200", "percentage": "12"}, {"rate": 100, "percentage": 5}],
    }
    # when
    fee, tax = parse_tax(person), parse_tax(rate_based)
    # then
    assert fee is not None and tax is not None
    assert (fee.kind, fee.amount, fee.amount_child, fee.inclusive, fee.room_type_ids) == (
        "fee",
        Decimal("2.00"),
        Decimal(1),
        True,
        ("555",),
    )
    assert tax.brackets == ((Decimal(100), Decimal(5)), (Decimal(200), Decimal(12)))


def test_deleted_product_only_and_unknown_items_are_left_out() -> None:
    # given / when / then
    base = {"type": "tax", "name": "T", "code": "T", "amountType": "percentage", "amount": "10"}
    assert parse_tax({**base, "isDeleted": True}) is None
    assert parse_tax({**base, "availableFor": ["product"]}) is None
    assert parse_tax({**base, "amountType": "something_new"}) is None
    assert parse_tax(base) is not None
