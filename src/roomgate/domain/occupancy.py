"""What a party pays for one night: the base price for the included guests plus extra-person charges.

Both PMSs price occupancy the same way at heart: a room type's nightly price covers some guests and
every guest beyond them costs a per-night extra, by age (Cloudbeds: `adultsIncluded` /
`childrenIncluded` and the extra adult / child charges inside `totalRate`; Mews: the category's
`Capacity` and the rate's `ExtraOccupancyAdjustment` per age category). `pooled` is the Mews way:
any guest, whatever the age, fills an included place (adults first); Cloudbeds counts adults and
children against their own included numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from roomgate.domain.money import Money


@dataclass(frozen=True, slots=True)
class OccupancyPricing:
    """Extra charges per night for guests beyond those the base price includes."""

    adults_included: int
    children_included: int
    extra_adult: Decimal
    extra_child: Decimal
    pooled: bool = False

    def extra(self, adults: int, children: int) -> Decimal:
        """The night's extra charge for this party (0 when the base price covers it)."""
        if self.pooled:
            extra_adults = max(0, adults - self.adults_included)
            free_places = max(0, self.adults_included - adults)
            extra_children = max(0, children - self.children_included - free_places)
        else:
            extra_adults = max(0, adults - self.adults_included)
            extra_children = max(0, children - self.children_included)
        return extra_adults * self.extra_adult + extra_children * self.extra_child

    @property
    def charges_extra(self) -> bool:
        return bool(self.extra_adult or self.extra_child)

    def encode(self) -> str:
        """The compact text kept in the cached rate hash (field `o`): `ai|ci|xa|xc|p`."""
        return "|".join(
            [
                str(self.adults_included),
                str(self.children_included),
                str(self.extra_adult),
                str(self.extra_child),
                "1" if self.pooled else "0",
            ]
        )


@lru_cache(maxsize=1024)
def decode_occupancy(text: str) -> OccupancyPricing | None:
    """The rule `encode` wrote ('' or unreadable: no extra charges known)."""
    if not text:
        return None
    try:
        ai, ci, xa, xc, pooled = text.split("|")
        return OccupancyPricing(int(ai), int(ci), Decimal(xa), Decimal(xc), pooled == "1")
    except (ValueError, InvalidOperation):
        return None


def party_price(base: Money, rule: OccupancyPricing | None, adults: int, children: int) -> Money:
    """The night's price for the party: `base` plus the rule's extra charges."""
    if rule is None:
        return base
    return _with_extra(base, rule, adults, children)


@lru_cache(maxsize=4096)
def _with_extra(base: Money, rule: OccupancyPricing, adults: int, children: int) -> Money:
    # A hotel has few distinct (price, rule, party) triples: nights share one Money, as cached prices do.
    extra = rule.extra(adults, children)
    return base if not extra else Money.of(base.amount + extra, base.currency)
