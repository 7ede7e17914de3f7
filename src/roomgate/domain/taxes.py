"""Taxes and fees a hotel adds to a stay (Cloudbeds `getTaxesAndFees`), worked out per stay.

Each line is rounded to the currency on its own, then the lines are added up: the way the PMS
(and its simulator) itemises a reservation's taxes. Inclusive lines are already inside the room
price: they are shown, never added again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from roomgate.domain.money import Money


class TaxBasis(StrEnum):
    PERCENT = "percent"  # of the room total (Cloudbeds `percentage`)
    PER_NIGHT = "per_night"  # per room night (`fixed`)
    PER_STAY = "per_stay"  # per reservation / accommodation (`fixed_per_reservation`, `..._accomodation`)
    PER_PERSON_NIGHT = "per_person_night"  # per adult / child per night (`fixed_per_person`)
    RATE_BASED = "rate_based"  # a percentage chosen by the night's rate (`percentage_rate_based`)


@dataclass(frozen=True, slots=True)
class TaxRule:
    code: str
    name: str
    kind: str  # "tax" or "fee"
    basis: TaxBasis
    amount: Decimal  # percent, or a fixed amount (per adult for PER_PERSON_NIGHT)
    amount_child: Decimal = Decimal(0)  # PER_PERSON_NIGHT: per child
    brackets: tuple[tuple[Decimal, Decimal], ...] = ()  # RATE_BASED: (up to this rate, percent), ascending
    room_type_ids: tuple[str, ...] = ()  # empty: every room type
    inclusive: bool = False

    def applies_to(self, room_type_id: str) -> bool:
        return not self.room_type_ids or room_type_id in self.room_type_ids

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "basis": self.basis.value,
            "amount": str(self.amount),
            "amountChild": str(self.amount_child),
            "brackets": [[str(rate), str(pct)] for rate, pct in self.brackets],
            "roomTypeIds": list(self.room_type_ids),
            "inclusive": self.inclusive,
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> TaxRule:
        return cls(
            code=str(item["code"]),
            name=str(item["name"]),
            kind=str(item["kind"]),
            basis=TaxBasis(item["basis"]),
            amount=Decimal(item["amount"]),
            amount_child=Decimal(item.get("amountChild") or 0),
            brackets=tuple((Decimal(rate), Decimal(pct)) for rate, pct in item.get("brackets") or ()),
            room_type_ids=tuple(item.get("roomTypeIds") or ()),
            inclusive=bool(item.get("inclusive")),
        )


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax or fee of a stay, in the stay's currency."""

    code: str
    name: str
    kind: str
    amount: Money
    inclusive: bool = False


def stay_taxes(
    rules: Sequence[TaxRule], room_type_id: str, nightly: Sequence[Money], adults: int, children: int
) -> list[TaxLine]:
    """The taxes and fees of one room for these nights (the party's nightly prices) and party."""
    if not rules or not nightly:
        return []
    currency = nightly[0].currency
    room_total = sum((price.amount for price in nightly), Decimal(0))
    lines = []
    for rule in rules:
        if not rule.applies_to(room_type_id):
            continue
        raw = _amount(rule, room_total, nightly, adults, children)
        lines.append(TaxLine(rule.code, rule.name, rule.kind, Money.of(raw, currency), rule.inclusive))
    return lines


def added(lines: Sequence[TaxLine], currency: str) -> Money:
    """What the lines add to the room price (inclusive ones are already in it)."""
    return Money.of(sum((line.amount.amount for line in lines if not line.inclusive), Decimal(0)), currency)


def _amount(
    rule: TaxRule, room_total: Decimal, nightly: Sequence[Money], adults: int, children: int
) -> Decimal:
    if rule.basis is TaxBasis.PERCENT:
        return room_total * rule.amount / 100
    if rule.basis is TaxBasis.PER_NIGHT:
        return rule.amount * len(nightly)
    if rule.basis is TaxBasis.PER_PERSON_NIGHT:
        return (rule.amount * adults + rule.amount_child * children) * len(nightly)
    if rule.basis is TaxBasis.RATE_BASED:
        return sum(
            (price.amount * _bracket(rule.brackets, price.amount) / 100 for price in nightly), Decimal(0)
        )
    return rule.amount


def _bracket(brackets: Sequence[tuple[Decimal, Decimal]], rate: Decimal) -> Decimal:
    """The percentage of the first bracket whose maximum rate covers this rate (else the last one)."""
    for up_to, percent in brackets:
        if rate <= up_to:
            return percent
    return brackets[-1][1] if brackets else Decimal(0)
