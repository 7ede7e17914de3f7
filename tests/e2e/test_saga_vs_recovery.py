"""A checkout whose saga outlives its lease while the recovery job settles the booking, over HTTP with
the Cloudbeds simulator and the sandbox gateway. The saga's own debug hook runs recovery at a step
boundary, as if the worker had taken the booking over there. (Every interleaving inside a vendor
call is pinned down with the fakes: tests/unit/test_saga_vs_recovery.py.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from roomgate.domain.booking import BookingStatus
from roomgate.payments.base import PaymentStatus
from roomgate.services.faults import FaultPoints
from tests.e2e.saga_harness import Roomgate, checkout_body, running_roomgate, running_vendors, stay


@dataclass(frozen=True)
class RecoveryStrikesAt(FaultPoints):
    """At `point`, the saga has outlived its lease and the recovery job runs a round."""

    point: str = ""
    roomgate: list[Roomgate] = field(default_factory=list)

    async def hit(self, point: str) -> None:
        if point == self.point:
            [roomgate] = self.roomgate
            booking = await roomgate.only_booking()
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()


@pytest.mark.parametrize(
    ("point", "expected"),
    [("after_authorize", BookingStatus.FAILED), ("after_pms_confirm", BookingStatus.CONFIRMED)],
)
async def test_the_guest_is_answered_from_the_booking_recovery_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, expected: BookingStatus
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given a saga that recovery overtakes at `point`
            roomgate.container.checkout.faults = RecoveryStrikesAt(point=point, roomgate=[roomgate])
            start, end = stay(offset_days=70)
            # when the guest checks out
            response = await roomgate.checkout(checkout_body(start, end), key="key-overtaken")
            # then the answer is the booking's real outcome, and the booking is in an allowed end state
            booking = await roomgate.only_booking()
            assert booking.status == expected.value
            payment = await roomgate.container.gateway("sandbox").find_by_booking(booking.booking_id)
            live = [r for r in vendors.state("cloudbeds")["reservations"] if r["status"] == "confirmed"]
            if expected is BookingStatus.CONFIRMED:
                assert response.status_code == 200, response.text
                assert response.json()["bookingId"] == booking.booking_id
                assert payment is not None and payment.status is PaymentStatus.CAPTURED
                assert [r["externalId"] for r in live] == [booking.booking_id]
            else:
                assert response.status_code >= 400 and response.json()["success"] is False, response.text
                assert payment is not None and payment.status is PaymentStatus.VOIDED
                assert live == []
            # and a retry with the same key gets the same answer
            again = await roomgate.checkout(checkout_body(start, end), key="key-overtaken")
            assert (again.status_code, again.json()) == (response.status_code, response.json())
