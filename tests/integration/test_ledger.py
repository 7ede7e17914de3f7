"""The idempotency store on every backend (the booking ledger: test_booking_ledger_contract.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import ClaimOutcome, IdempotencyStore, request_fingerprint


@pytest.fixture
async def sessions(ledger_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(ledger_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_idempotency_claim_replay_conflict(sessions: async_sessionmaker[AsyncSession]) -> None:
    store = IdempotencyStore(sessions)
    body = {"a": 1, "b": [1, 2]}
    digest = request_fingerprint(body)
    assert digest == request_fingerprint({"b": [1, 2], "a": 1})
    # first claim owns the key; a concurrent duplicate sees it in flight
    assert (await store.claim("k1", digest, "bk_x")).outcome is ClaimOutcome.NEW
    assert (await store.claim("k1", digest, "bk_y")).outcome is ClaimOutcome.IN_FLIGHT
    assert (
        await store.claim("k1", request_fingerprint({"a": 2}), "bk_z")
    ).outcome is ClaimOutcome.BODY_MISMATCH
    # once completed, the same body replays the stored answer
    await store.complete("k1", 200, {"success": True, "bookingId": "bk_x"})
    replay = await store.claim("k1", digest, "bk_w")
    assert replay.outcome is ClaimOutcome.REPLAY and replay.body == {"success": True, "bookingId": "bk_x"}
    assert replay.booking_id == "bk_x"


async def test_concurrent_claims_of_one_key_have_one_owner(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = IdempotencyStore(sessions)
    outcomes = await asyncio.gather(*(store.claim("k2", "h", f"bk_{i}") for i in range(8)))
    assert sum(o.outcome is ClaimOutcome.NEW for o in outcomes) == 1
