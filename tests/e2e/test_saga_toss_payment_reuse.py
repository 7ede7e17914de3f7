"""One Toss payment authentication can pay for one booking, however many checkouts present it.

A double-submitted checkout (no Idempotency-Key) sends the same `paymentKey`/`orderId` twice: two
bookings, two holds, two PMS reservations — and one payment. The two sagas meet after
pre-authorisation (a barrier on the saga's own fault point), the interleaving that lets both pass it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.services.faults import FaultPoints
from tests.e2e.saga_harness import checkout_body, running_roomgate, running_vendors, stay


@dataclass(frozen=True)
class MeetAfterAuthorize(FaultPoints):
    """Each saga, once pre-authorised, waits until the other one is too or its checkout has ended."""

    counts: dict[str, int] = field(default_factory=lambda: {"arrived": 0, "ended": 0})
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def hit(self, point: str) -> None:
        if point == "after_authorize":
            async with self.changed:
                self.counts["arrived"] += 1
                self.changed.notify_all()
                await self.changed.wait_for(lambda: self.counts["arrived"] >= 2 or self.counts["ended"] >= 1)

    async def ended(self) -> None:
        async with self.changed:
            self.counts["ended"] += 1
            self.changed.notify_all()


async def test_two_checkouts_presenting_one_toss_payment_confirm_at_most_one_booking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given one payment authenticated in Toss's widget for one stay
    with running_vendors("cloudbeds", "toss") as vendors:
        env = {"PAYMENT_PROVIDER": "toss", "PAYMENT_API_KEY": "test_sk_saga_review_0001"}
        database = f"sqlite:///{tmp_path}/ledger.db"
        async with running_roomgate(database, vendors, monkeypatch, **env) as roomgate:
            widget = httpx2.post(
                f"{vendors.urls['toss']}/_sim/payments", json={"orderId": "order-reuse-1", "amount": 250000}
            ).json()
            start, end = stay(offset_days=50)
            payment = {
                "amount": 250000,
                "currency": "KRW",
                "provider": "toss",
                "paymentKey": widget["paymentKey"],
                "orderId": "order-reuse-1",
            }
            body = checkout_body(start, end, payment=payment)
            meet = MeetAfterAuthorize()
            roomgate.container.checkout.faults = meet

            async def submit() -> httpx2.Response:
                try:
                    return await roomgate.checkout(body)
                finally:
                    await meet.ended()

            # when the checkout is submitted twice at once
            first, second = await asyncio.gather(submit(), submit())
            # then at most one booking is confirmed, on the one payment, which stays collected
            responses = [first, second]
            assert sorted(r.status_code for r in responses)[0] == 200, [r.text for r in responses]
            bookings = [await roomgate.booking(r.headers["x-booking-id"]) for r in responses]
            confirmed = [b for b in bookings if b.status == BookingStatus.CONFIRMED.value]
            assert len(confirmed) == 1, [(b.status, b.error_code) for b in bookings]
            [toss_payment] = vendors.state("toss")["payments"]
            assert toss_payment["status"] == "DONE"
            # and the PMS keeps exactly the confirmed booking's reservation
            live = [r for r in vendors.state("cloudbeds")["reservations"] if r["status"] == "confirmed"]
            assert [r["externalId"] for r in live] == [confirmed[0].booking_id]
