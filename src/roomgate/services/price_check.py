"""Read the PMS's own total back after the reservation is made, before any money is captured (issue 16).

The guest pre-authorised our quote; the hotel bills what its PMS says. When the two differ, we never
capture a wrong amount: a PMS total a little *below* the authorised amount (within the configured
tolerance) is captured instead, where the provider can capture less than it authorised (Stripe,
sandbox; not Toss, whose approval must equal the authenticated amount); anything else is refused
with `PRICE_MISMATCH` and the saga (or recovery) compensates. The checkout saga and the recovery job
both call `check_pms_price`, so a booking that crashed at `reserved` is held to the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

from roomgate.domain.booking import NO_CHANGE, BookingChange
from roomgate.domain.money import Money
from roomgate.logging import get_logger
from roomgate.metrics import PRICE_MISMATCHES
from roomgate.payments.base import PaymentGateway, supports_partial_capture
from roomgate.pms.base import PMSConnector, reservation_total
from roomgate.services.checkout_rooms import pms_total as pms_total_of

log = get_logger(__name__)

PRICE_CHECKED_EVENT = "price_checked"


class PriceMismatch(Exception):
    """Recovery's refusal to capture: the PMS total differs; `message` is the guest's error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PriceOutcome(StrEnum):
    MATCHED = "matched"  # the PMS total is the authorised amount: capture it
    CAPTURED_PMS_AMOUNT = "captured_pms_amount"  # a little below, within tolerance: capture the PMS's
    COMPENSATED = "compensated"  # anything else: capture nothing, undo the booking
    UNVERIFIED = "unverified"  # the PMS reported no total for the reservation: capture as quoted


@dataclass(frozen=True, slots=True)
class PriceTolerance:
    """How far below the authorised amount the PMS total may be and still be charged: the larger of
    an absolute amount (minor units) and a percentage of the authorised amount (rounded down)."""

    minor: int = 0
    percent: float = 0.0

    def limit(self, authorised: Money) -> int:
        share = (Decimal(authorised.minor) * Decimal(str(self.percent)) / 100).to_integral_value(ROUND_FLOOR)
        return max(self.minor, int(share))


@dataclass(frozen=True, slots=True)
class PriceDecision:
    outcome: PriceOutcome
    authorised: Money
    pms_total: Money | None
    capture: Money | None  # what to capture; None: nothing, compensate
    reason: str = ""  # why compensated (English, for the audit trail and the log)

    @property
    def mismatch_detail(self) -> str:
        """The detail of the guest's `PRICE_MISMATCH` message: `결제 250000 KRW, PMS 255000 KRW`."""
        pms = f"{self.pms_total.minor} {self.pms_total.currency}" if self.pms_total else "?"
        detail = f"결제 {self.authorised.minor} {self.authorised.currency}, PMS {pms}"
        if self.pms_total is not None and self.pms_total.currency != self.authorised.currency:
            detail += " (통화가 다릅니다)"
        elif self.reason == PARTIAL_UNSUPPORTED:
            detail += " (이 결제 수단은 더 적은 금액의 승인을 지원하지 않아 예약을 취소했습니다)"
        return detail

    def detail(self) -> dict[str, Any]:
        """The audit event's detail: which path was taken and the three amounts (minor units)."""
        return {
            "outcome": self.outcome.value,
            "quoted": self.authorised.minor,
            "currency": self.authorised.currency,
            "pmsTotal": self.pms_total.minor if self.pms_total else None,
            "pmsCurrency": self.pms_total.currency if self.pms_total else None,
            "captured": self.capture.minor if self.capture else None,
            **({"reason": self.reason} if self.reason else {}),
        }

    def booking_change(self) -> BookingChange:
        """What to write before capturing: the booking's total becomes what is charged, so a later
        refund (cancellation, compensation after a capture) gives back exactly what was taken."""
        if self.capture is None or self.capture == self.authorised:
            return NO_CHANGE
        return BookingChange(total_minor=self.capture.minor, total_price=self.capture.amount)


PARTIAL_UNSUPPORTED = "the provider cannot capture less than it authorised"


def decide(
    authorised: Money, pms_total: Money | None, tolerance: PriceTolerance, *, partial_capture: bool
) -> PriceDecision:
    """What to capture given the PMS's own total (pure: no I/O)."""
    if pms_total is None:
        return PriceDecision(PriceOutcome.UNVERIFIED, authorised, None, authorised)
    if pms_total == authorised:
        return PriceDecision(PriceOutcome.MATCHED, authorised, pms_total, authorised)

    def refuse(reason: str) -> PriceDecision:
        return PriceDecision(PriceOutcome.COMPENSATED, authorised, pms_total, None, reason)

    if pms_total.currency != authorised.currency:
        return refuse("the PMS bills in another currency")
    shortfall = authorised.minor - pms_total.minor
    if shortfall < 0:
        return refuse("the PMS total is above the authorised amount")
    if pms_total.minor <= 0 or shortfall > tolerance.limit(authorised):
        return refuse("the PMS total is below the authorised amount by more than the tolerance")
    if not partial_capture:
        return refuse(PARTIAL_UNSUPPORTED)
    return PriceDecision(PriceOutcome.CAPTURED_PMS_AMOUNT, authorised, pms_total, pms_total)


async def check_pms_price(
    connector: PMSConnector,
    reservation_id: str,
    authorised: Money,
    tolerance: PriceTolerance,
    gateway: PaymentGateway,
    *,
    booking_id: str,
    group_ids: Sequence[str] = (),
) -> PriceDecision:
    """Read the reservation's total from the PMS and decide; counts and logs any mismatch.
    `group_ids`: every reservation of a multi-room booking (a Mews group: one per room), whose totals
    are summed (None if any one reports none).

    Raises the connector's `PMSError` when the PMS cannot be read (nothing is captured then)."""
    if len(group_ids) > 1:
        pms_total = await pms_total_of(connector, group_ids)
    else:
        pms_total = await reservation_total(connector, reservation_id)
    decision = decide(authorised, pms_total, tolerance, partial_capture=supports_partial_capture(gateway))
    if decision.outcome is PriceOutcome.MATCHED:
        return decision
    PRICE_MISMATCHES.labels(decision.outcome.value).inc()
    log_at = log.info if decision.outcome is PriceOutcome.CAPTURED_PMS_AMOUNT else log.warning
    log_at(
        "pms_price_mismatch" if decision.pms_total is not None else "pms_price_unverified",
        booking_id=booking_id,
        vendor=connector.vendor,
        hotel_id=connector.hotel_id,
        provider=gateway.name,
        **decision.detail(),
    )
    return decision
