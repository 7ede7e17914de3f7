"""Idempotency-Key edge cases of the checkout: a request that died holding the key, and its retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomgate.api.schemas import CheckoutIn
from roomgate.ledger.idempotency import IN_FLIGHT_LEASE, request_fingerprint
from roomgate.services.faults import FaultPoints
from tests.e2e.saga_harness import DiesAt, Roomgate, checkout_body, running_roomgate, running_vendors, stay


async def _age_claims(roomgate: Roomgate) -> None:
    """Given: time passes (the one clock) until every in-flight claim's lease has run out."""
    roomgate.clock.advance(IN_FLIGHT_LEASE.total_seconds() + 1)


async def test_a_key_whose_request_died_before_its_booking_existed_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given a request that claimed the key, then died while pricing (no booking written)
            start, end = stay(offset_days=60)
            body = checkout_body(start, end)
            digest = request_fingerprint(CheckoutIn.model_validate(body).model_dump())
            await roomgate.container.idempotency.claim("key-died", digest, "bk_died_early")
            # when the client retries at once, the first request might still be running: refused
            early = await roomgate.checkout(body, key="key-died")
            assert early.status_code == 409 and early.json()["errorCode"] == "IDEMPOTENCY_CONFLICT"
            # and when it retries once the claim's lease has run out
            await _age_claims(roomgate)
            retry = await roomgate.checkout(body, key="key-died")
            # then the checkout runs, under the booking id the dead request had claimed
            assert retry.status_code == 200, retry.text
            assert retry.json()["bookingId"] == "bk_died_early"
            assert [r["externalId"] for r in vendors.state("cloudbeds")["reservations"]] == ["bk_died_early"]
            # and a later retry replays that answer
            again = await roomgate.checkout(body, key="key-died")
            assert again.json() == retry.json() and again.headers.get("idempotent-replayed") == "true"


async def test_a_key_whose_booking_exists_is_never_taken_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vendors("cloudbeds") as vendors:
        async with running_roomgate(f"sqlite:///{tmp_path}/ledger.db", vendors, monkeypatch) as roomgate:
            # given a checkout whose process died mid-saga, after its booking was written, long ago
            start, end = stay(offset_days=61)
            body = checkout_body(start, end)
            roomgate.container.checkout.faults = DiesAt(point="after_authorize")
            await roomgate.checkout_dies(body, key="key-mid-saga")
            roomgate.container.checkout.faults = FaultPoints()
            booking = await roomgate.only_booking()
            await _age_claims(roomgate)
            # when the client retries before recovery has settled the booking
            retry = await roomgate.checkout(body, key="key-mid-saga")
            # then it is told to wait, and no second checkout runs
            assert retry.status_code == 409 and retry.json()["errorCode"] == "IDEMPOTENCY_CONFLICT"
            assert (await roomgate.only_booking()).booking_id == booking.booking_id
            # and once recovery has settled it, the retry is answered from that booking
            await roomgate.age(booking.booking_id)
            await roomgate.container.recovery.run_once()
            settled = await roomgate.checkout(body, key="key-mid-saga")
            assert settled.status_code == 500 and settled.json()["errorCode"] == "INTERNAL_ERROR"
            assert settled.headers.get("idempotent-replayed") == "true"
            assert vendors.state("cloudbeds")["reservations"] == []
