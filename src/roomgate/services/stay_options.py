"""Turning cached nights into what a guest is offered: per-night availability and stay options.

Runs for every room type of every availability request, so each night is looked at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from roomgate.cache.models import CachedNight
from roomgate.domain.money import Money
from roomgate.domain.taxes import TaxRule, stay_taxes
from roomgate.pms.types import RoomType
from roomgate.services.availability_models import NightAvailability, StayOption


def night_availability(cached: CachedNight, adults: int = 1, children: int = 0) -> NightAvailability:
    """What a guest sees of a cached night: rooms for sale (after holds), the party's price, rate plan."""
    return NightAvailability(
        cached.night, cached.for_sale, cached.price_for(adults, children), cached.rate_plan_id
    )


def stay_option(
    room_type: RoomType,
    rows: list[CachedNight],
    adults: int = 1,
    children: int = 0,
    taxes: Sequence[TaxRule] = (),
) -> StayOption | None:
    """A room type is bookable when every night has a room for sale and a price, in one currency;
    the prices are the party's (the rate's base plus its extra-guest charges)."""
    nights: list[NightAvailability] = []
    prices: list[Money] = []
    for cached in rows:  # one pass, stopping at the first night that rules the room type out
        for_sale = cached.for_sale
        price = cached.price if cached.occupancy is None else cached.price_for(adults, children)
        if for_sale < 1 or price is None:
            return None
        prices.append(price)
        nights.append(NightAvailability(cached.night, for_sale, price, cached.rate_plan_id))
    amount = _total(prices) if prices else None
    if amount is None:
        return None
    lines = tuple(stay_taxes(taxes, room_type.room_type_id, prices, adults, children)) if taxes else ()
    return StayOption(room_type, min(night.available for night in nights), nights, amount, lines)


def stay_options(
    fitting: Sequence[RoomType],
    rows: Mapping[str, list[CachedNight]],
    adults: int,
    children: int,
    taxes: Sequence[TaxRule],
) -> list[StayOption]:
    """The bookable options among the room types that fit the party, from each one's nights."""
    options = (stay_option(rt, rows[rt.room_type_id], adults, children, taxes) for rt in fitting)
    return [option for option in options if option is not None]


def _total(prices: list[Money]) -> Money | None:
    """Sum in the first night's currency, None when the nights mix currencies. Same result as
    `money.total`, built once instead of one validated `Money` per night."""
    currency = prices[0].currency
    if any(price.currency != currency for price in prices):
        return None
    return Money(sum((price.amount for price in prices), Decimal(0)), currency)
