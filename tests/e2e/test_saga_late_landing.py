"""A vendor call that timed out may still be carried out after the saga's compensation looked for it.

The Stripe simulator's `pause` fault holds the PaymentIntent creation *before* Stripe acts on it, so
the client times out, the saga compensates (its search finds nothing), and only when the test
releases it, after the checkout has answered, is the PaymentIntent created. The order is fixed by the
test, not by a latency racing a timeout. Whatever lands late must still be undone. (The PMS
simulators read a request's body after the fault, so a late PMS reservation is shown with the fakes:
tests/unit/test_saga_late_landing.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from roomgate.domain.booking import BookingStatus
from tests.e2e.saga_harness import Vendors, checkout_body, running_roomgate, running_vendors, stay

# Only the held call times out; every other Stripe call (the compensation's search among them) must
# answer within it, so it is generous: the held call waits for the test, not for this.
TIMEOUT_SECONDS = "2.0"


async def _until(condition: Callable[[], bool], what: str, deadline_seconds: float = 20.0) -> None:
    """Wait for the delayed vendor request to land (an event on the simulator's side, not a timing check)."""
    give_up = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


def _intents(vendors: Vendors) -> list[dict[str, Any]]:
    return list(vendors.state("stripe")["payment_intents"])


async def test_an_authorisation_created_after_the_saga_gave_up_on_it_is_voided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Stripe answering the PaymentIntent creation only after our payment timeout
    with running_vendors("cloudbeds", "stripe") as vendors:
        env = {"PAYMENT_PROVIDER": "stripe", "ROOMGATE_PAYMENT_TIMEOUT_SECONDS": TIMEOUT_SECONDS}
        database = f"sqlite:///{tmp_path}/ledger.db"
        async with running_roomgate(database, vendors, monkeypatch, **env) as roomgate:
            vendors.faults("stripe", pause=True, endpoints=["createPaymentIntent"])
            start, end = stay(offset_days=40)
            # when a guest checks out
            response = await roomgate.checkout(checkout_body(start, end, token="pm_card_visa"))
            # then the pre-authorisation is reported as failed
            assert response.status_code == 402, response.text
            assert response.json()["errorCode"] == "PAYMENT_PREAUTH_FAILED"
            booking_id = response.headers["x-booking-id"]
            # and the creation is still held at Stripe: nothing was created while the saga looked
            assert vendors.state("stripe")["paused"] == 1 and _intents(vendors) == []
            # when Stripe finally carries it out, and recovery has had its turn
            vendors.faults("stripe")
            httpx2.post(f"{vendors.urls['stripe']}/_sim/release", timeout=10).raise_for_status()
            await _until(lambda: len(_intents(vendors)) == 1, "the late PaymentIntent")
            assert [i["status"] for i in _intents(vendors)] == ["requires_capture"]  # money held, for now
            await roomgate.age(booking_id)
            await roomgate.container.recovery.run_once()
            # then no money stays held for the failed booking
            assert [i["status"] for i in _intents(vendors)] == ["canceled"]
            booking = await roomgate.booking(booking_id)
            assert booking.status == BookingStatus.FAILED.value
            assert booking.error_code == "PAYMENT_PREAUTH_FAILED"
