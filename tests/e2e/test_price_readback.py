"""A PMS total that differs from the quote is never captured (issue 16), through the app, against the
Cloudbeds and Mews simulators and the Toss and Stripe simulators.

The PMS simulators' `/_sim/properties/{id}/price-adjustment` makes the hotel bill a fee (or a discount)
on top of the nightly rates the quote was made from, as a real PMS's extra charges would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.domain.booking import BookingStatus
from tests.e2e.saga_harness import (
    HOTEL,
    DiesAt,
    Roomgate,
    Vendors,
    checkout_body,
    running_roomgate,
    running_vendors,
    stay,
)

QUOTE = 250000  # two nights of room_456 at 125,000 KRW
CANCELLED = {"cloudbeds": "canceled", "mews": "Canceled"}
VENDORS = ["cloudbeds", "mews"]


@dataclass
class World:
    vendors: Vendors
    roomgate: Roomgate
    pms: str
    provider: str

    def adjust_price(self, amount: int) -> None:
        """The hotel's PMS adds `amount` to every reservation made from now on."""
        url = f"{self.vendors.urls[self.pms]}/_sim/properties/{HOTEL}/price-adjustment"
        httpx2.put(url, json={"amount": str(amount)}, timeout=10).raise_for_status()

    def body(self, offset_days: int, order_id: str) -> dict[str, Any]:
        start, end = stay(offset_days=offset_days)
        if self.provider == "stripe":
            payment = {"cardToken": "pm_card_visa", "amount": QUOTE, "currency": "KRW"}
        else:  # the guest authenticates the quote in Toss's widget (the simulator stands in for it)
            widget = httpx2.post(
                f"{self.vendors.urls['toss']}/_sim/payments",
                json={"orderId": order_id, "amount": QUOTE},
                timeout=10,
            ).json()
            payment = {
                "amount": QUOTE,
                "currency": "KRW",
                "paymentKey": widget["paymentKey"],
                "orderId": order_id,
            }
        return checkout_body(start, end, vendor=self.pms, payment=payment)

    def collected(self) -> int:
        """What the payment provider actually collected."""
        if self.provider == "stripe":
            [intent] = self.vendors.state("stripe")["payment_intents"]
            return int(intent["amount_received"])
        [payment] = self.vendors.state("toss")["payments"]
        return int(payment["totalAmount"]) if payment["status"] == "DONE" else 0

    def payment_state(self) -> str:
        if self.provider == "stripe":
            return str(self.vendors.state("stripe")["payment_intents"][0]["status"])
        return str(self.vendors.state("toss")["payments"][0]["status"])

    def pms_statuses(self) -> list[str]:
        return [r["status"] for r in self.vendors.state(self.pms)["reservations"]]

    async def hold_state(self, hold_id: str | None) -> str | None:
        record = await self.roomgate.container.hold_ledger.get(HOTEL, hold_id or "")
        return record.state if record else None


@asynccontextmanager
async def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str, provider: str, tolerance: int = 0
) -> AsyncIterator[World]:
    with running_vendors(pms, provider) as vendors:
        env = {"PAYMENT_PROVIDER": provider, "ROOMGATE_PRICE_TOLERANCE_MINOR": str(tolerance)}
        if provider == "toss":
            env["PAYMENT_API_KEY"] = "test_sk_saga_review_0001"
        database = f"sqlite:///{tmp_path}/ledger.db"
        async with running_roomgate(database, vendors, monkeypatch, **env) as roomgate:
            yield World(vendors, roomgate, pms, provider)


def _undone(w: World, statuses: list[str]) -> None:
    assert statuses == [CANCELLED[w.pms]]  # the PMS reservation was made, then cancelled
    assert w.collected() == 0
    # Stripe: the authorisation cancelled; Toss: never approved (abandoned, it expires with no money moved)
    assert w.payment_state() == ("canceled" if w.provider == "stripe" else "IN_PROGRESS")


@pytest.mark.parametrize("pms", VENDORS)
@pytest.mark.parametrize("provider", ["stripe", "toss"])
async def test_a_pms_total_equal_to_the_quote_is_captured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str, provider: str
) -> None:
    async with world(tmp_path, monkeypatch, pms, provider) as w:
        response = await w.roomgate.checkout(w.body(60, "order-equal-1"))
        assert response.status_code == 200, response.text
        booking = await w.roomgate.only_booking()
        assert booking.status == BookingStatus.CONFIRMED.value and booking.total_minor == QUOTE
        assert w.collected() == QUOTE


@pytest.mark.parametrize("pms", VENDORS)
@pytest.mark.parametrize("provider", ["stripe", "toss"])
async def test_a_pms_total_above_the_quote_is_never_captured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str, provider: str
) -> None:
    # given the hotel's PMS adds a 5,000 won fee at booking time, whatever the tolerance
    async with world(tmp_path, monkeypatch, pms, provider, tolerance=100000) as w:
        w.adjust_price(5000)
        # when the guest checks out at the quoted 250,000
        response = await w.roomgate.checkout(w.body(61, "order-above-1"))
        # then a clear refusal, and nothing stands: no money, no reservation, no hold
        assert response.status_code == 409, response.text
        assert response.json() == {
            "success": False,
            "error": "요금 불일치: 결제 250000 KRW, PMS 255000 KRW",
            "errorCode": "PRICE_MISMATCH",
        }
        booking = await w.roomgate.only_booking()
        assert (booking.status, booking.error_code) == (BookingStatus.FAILED.value, "PRICE_MISMATCH")
        _undone(w, w.pms_statuses())
        assert await w.hold_state(booking.hold_id) == "released"
        events = await w.roomgate.container.bookings.events(booking.booking_id)
        [checked] = [e.detail for e in events if e.event == "price_checked"]
        assert checked is not None
        assert (checked["outcome"], checked["quoted"], checked["pmsTotal"]) == ("compensated", QUOTE, 255000)


@pytest.mark.parametrize("pms", VENDORS)
async def test_a_pms_total_a_little_below_is_captured_as_the_pms_amount_with_stripe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str
) -> None:
    # given a 1,000 won tolerance and a PMS that bills 1,000 won less than quoted
    async with world(tmp_path, monkeypatch, pms, "stripe", tolerance=1000) as w:
        w.adjust_price(-1000)
        response = await w.roomgate.checkout(w.body(62, "order-below-1"))
        # then the booking stands and Stripe collected the PMS's amount (the rest of the hold released)
        assert response.status_code == 200, response.text
        assert w.collected() == 249000
        booking = await w.roomgate.only_booking()
        assert (booking.status, booking.total_minor) == (BookingStatus.CONFIRMED.value, 249000)
        # and a cancellation refunds exactly what was taken
        cancelled = await w.roomgate.client.post(f"/api/bookings/{booking.booking_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        [intent] = w.vendors.state("stripe")["payment_intents"]
        assert intent["amount_refunded"] == 249000


@pytest.mark.parametrize("pms", VENDORS)
async def test_toss_cannot_capture_less_so_a_lower_pms_total_is_compensated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str
) -> None:
    async with world(tmp_path, monkeypatch, pms, "toss", tolerance=1000) as w:
        w.adjust_price(-1000)
        response = await w.roomgate.checkout(w.body(63, "order-below-toss"))
        assert response.status_code == 409 and response.json()["errorCode"] == "PRICE_MISMATCH"
        assert "지원하지 않아" in response.json()["error"]
        _undone(w, w.pms_statuses())


@pytest.mark.parametrize("pms", VENDORS)
async def test_a_pms_total_below_beyond_the_tolerance_is_compensated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pms: str
) -> None:
    async with world(tmp_path, monkeypatch, pms, "stripe", tolerance=1000) as w:
        w.adjust_price(-1001)
        response = await w.roomgate.checkout(w.body(64, "order-far-1"))
        assert response.status_code == 409 and response.json()["errorCode"] == "PRICE_MISMATCH"
        _undone(w, w.pms_statuses())


@pytest.mark.parametrize("pms", VENDORS)
@pytest.mark.parametrize(
    ("adjustment", "expected", "collected"), [(5000, "failed", 0), (-500, "confirmed", 249500)]
)
async def test_recovery_at_reserved_applies_the_same_check(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pms: str,
    adjustment: int,
    expected: str,
    collected: int,
) -> None:
    # given a saga that died right after the PMS confirmed, before reading the total back
    async with world(tmp_path, monkeypatch, pms, "stripe", tolerance=1000) as w:
        w.adjust_price(adjustment)
        w.roomgate.container.checkout.faults = DiesAt(point="after_pms_confirm")
        await w.roomgate.checkout_dies(w.body(65, "order-crash-1"))
        booking = await w.roomgate.only_booking()
        assert booking.status == BookingStatus.RESERVED.value
        assert w.payment_state() == "requires_capture"
        # when recovery settles it
        await w.roomgate.age(booking.booking_id)
        await w.roomgate.container.recovery.run_once()
        # then never the wrong amount: refused above the quote, the PMS's amount within tolerance
        after = await w.roomgate.booking(booking.booking_id)
        assert after.status == expected
        assert w.collected() == collected
        if expected == "failed":
            assert after.error_code == "PRICE_MISMATCH"
            _undone(w, w.pms_statuses())
        else:
            assert after.total_minor == collected
