"""Adapters from the concrete cache, availability and resilience classes to the saga's ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from roomgate.cache.hold_models import HoldStatus
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money, MoneyError, total
from roomgate.domain.stay import Stay
from roomgate.domain.taxes import added, stay_taxes
from roomgate.resilience.degraded import DegradedModeManager
from roomgate.services.availability import AvailabilityService
from roomgate.services.ports import HoldOutcome, NightQuote, Quote


class RedisHolds:
    """The saga's `HoldLedger` port over the Lua hold scripts."""

    def __init__(self, ledger: RedisHoldLedger) -> None:
        self._ledger = ledger

    async def create(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, hold_id: str
    ) -> HoldOutcome:
        outcome = await self._ledger.create_hold(hotel_id, room_type_id, nights, quantity, hold_id)
        if outcome.status is HoldStatus.MISSING:
            return HoldOutcome(False, missing_nights=(outcome.night,) if outcome.night else ())
        if outcome.status is HoldStatus.SHORT:
            return HoldOutcome(False, short_night=outcome.night)
        return HoldOutcome(outcome.status in {HoldStatus.HELD, HoldStatus.REPLAYED})

    async def release(self, hotel_id: str, hold_id: str) -> None:
        await self._ledger.release(hotel_id, hold_id)

    async def convert(self, hotel_id: str, hold_id: str, booked_at: float | None = None) -> None:
        # The PMS already confirmed: lower the count even if the hold lapsed during a slow payment.
        await self._ledger.convert(hotel_id, hold_id, booked_at=booked_at, count_if_expired=True)


class AvailabilityPricer:
    """The saga's `Pricer` port: server-side price and stock from the availability service."""

    def __init__(self, availability: AvailabilityService) -> None:
        self._availability = availability

    async def quote(
        self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay, adults: int, children: int
    ) -> Quote:
        room_type, taxes = await self._availability.room_type_and_taxes(vendor, hotel_id, room_type_id)
        inventory = await self._availability.room_type_inventory(
            vendor, hotel_id, room_type_id, stay.check_in, stay.check_out, adults=adults, children=children
        )
        nights = []
        for night in inventory.nights:
            if night.price is None:  # the PMS offers no rate that night: not bookable
                raise DomainError(ErrorCode.INVENTORY_UNAVAILABLE, night.date.isoformat())
            nights.append(NightQuote(night.date, night.price, night.available))
        try:
            amount = total([n.price for n in nights], nights[0].price.currency)
        except MoneyError:
            raise DomainError(ErrorCode.INTERNAL_ERROR, "요금 통화가 일치하지 않습니다") from None
        rate_plan = inventory.nights[0].rate_plan_id if inventory.nights else None
        lines = tuple(stay_taxes(taxes, room_type_id, [n.price for n in nights], adults, children))
        charged = Money(amount.amount + added(lines, amount.currency).amount, amount.currency)
        return Quote(room_type_id, room_type.max_occupancy, tuple(nights), charged, rate_plan, lines, amount)

    async def ensure_cached(self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay) -> None:
        await self._availability.ensure_cached(vendor, hotel_id, room_type_id, stay.check_in, stay.check_out)


class CacheRestocker:
    """The cancellation's `Restocker` port: a cancelled booking's rooms go back on the cached counts."""

    def __init__(self, inventory: InventoryCache) -> None:
        self._inventory = inventory

    async def restock(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, changed_at: float
    ) -> None:
        await self._inventory.increment_inventory(
            hotel_id, room_type_id, list(nights), quantity, pms_changed_at=changed_at
        )


class DegradedGate:
    """The saga's `WriteGate` port over degraded mode (admin switch or an open breaker)."""

    def __init__(self, degraded: DegradedModeManager) -> None:
        self._degraded = degraded

    async def write_refusal(self, vendor: str, hotel_id: str) -> str | None:
        check = await self._degraded.check_operation_allowed("write", hotel_id)
        return None if check.allowed else check.message
