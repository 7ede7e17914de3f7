"""Stay options from cached nights: bookable only with a room and a price every night, one currency."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from roomgate.cache.models import CachedNight
from roomgate.domain.money import Money, total
from roomgate.services.stay_options import stay_option
from tests.unit.availability_support import DOUBLE

NOV_1 = date(2025, 11, 1)


def night(offset: int, available: int | None, held: int = 0, price: Money | None = None) -> CachedNight:
    price = price if price is not None else Money(Decimal(100000), "KRW")
    return CachedNight(
        DOUBLE.room_type_id, NOV_1 + timedelta(offset), available, held, price, "rp", True, 0.0
    )


@given(
    minors=st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
    currency=st.sampled_from(["KRW", "USD", "JPY", "EUR"]),
)
def test_the_total_is_the_money_sum_of_the_nights(minors: list[int], currency: str) -> None:
    # given
    prices = [Money.from_minor(minor, currency) for minor in minors]
    rows = [night(i, 3, price=price) for i, price in enumerate(prices)]
    # when
    option = stay_option(DOUBLE, rows)
    # then exactly what domain.money.total gives, amount and exponent alike
    assert option is not None
    assert option.total == total(prices, currency)
    assert str(option.total.amount) == str(total(prices, currency).amount)


def test_the_fewest_rooms_for_sale_over_the_stay_is_what_is_offered() -> None:
    # given
    rows = [night(0, 5), night(1, 3, held=1), night(2, 4)]
    # when
    option = stay_option(DOUBLE, rows)
    # then
    assert option is not None
    assert option.available == 2
    assert [n.available for n in option.nights] == [5, 2, 4]


def test_a_night_without_a_room_or_a_price_or_in_another_currency_rules_the_room_type_out() -> None:
    # given
    sold_out = [night(0, 5), night(1, 2, held=2)]
    uncached = [night(0, 5), night(1, None)]
    unpriced = [night(0, 5), night(1, 5)._replace(price=None)]
    mixed = [night(0, 5), night(1, 5, price=Money(Decimal("19.99"), "USD"))]
    # when / then
    assert [stay_option(DOUBLE, rows) for rows in (sold_out, uncached, unpriced, mixed, [])] == [None] * 5
