from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roomgate.domain.money import CURRENCY_EXPONENTS, Money, MoneyError, total

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
minor_units = st.integers(min_value=-(10**12), max_value=10**12)


@given(minor=minor_units, currency=currencies)
def test_minor_units_round_trip_exactly(minor: int, currency: str) -> None:
    assert Money.from_minor(minor, currency).minor == minor


@given(a=minor_units, b=minor_units, currency=currencies)
def test_addition_is_exact_in_minor_units(a: int, b: int, currency: str) -> None:
    assert (Money.from_minor(a, currency) + Money.from_minor(b, currency)).minor == a + b


@given(minor=st.integers(min_value=0, max_value=10**9), nights=st.integers(min_value=0, max_value=30))
def test_total_of_nights_equals_price_times_nights(minor: int, nights: int) -> None:
    price = Money.from_minor(minor, "KRW")
    assert total([price] * nights, "KRW") == price * nights


def test_krw_has_no_minor_unit() -> None:
    assert Money.from_minor(250000, "KRW").amount == Decimal("250000")
    assert Money.of("125000", "krw").minor == 125000
    with pytest.raises(MoneyError):
        Money(Decimal("1.5"), "KRW")


def test_usd_has_cents_and_rounds_half_up() -> None:
    assert Money.from_minor(1999, "USD").amount == Decimal("19.99")
    assert Money.of("0.125", "USD").minor == 13
    assert Money.of("2.5", "KRW").minor == 3


def test_currencies_do_not_mix() -> None:
    with pytest.raises(MoneyError):
        Money.from_minor(1, "KRW") + Money.from_minor(1, "USD")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "abc"])
def test_non_numbers_are_refused(bad: str) -> None:
    with pytest.raises(MoneyError):
        Money.of(bad, "KRW")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError):
        Money.from_minor(1, "XXX")
