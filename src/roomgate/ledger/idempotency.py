"""Inbound Idempotency-Key store: claim before work, store the first answer, replay it afterwards."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.ledger.models import IdempotencyKey
from roomgate.ledger.types import utcnow

KEY_LIFETIME = timedelta(hours=24)


class ClaimOutcome(StrEnum):
    NEW = "new"  # this request owns the key: do the work, then `complete`
    REPLAY = "replay"  # finished before with the same body: answer with the stored response
    BODY_MISMATCH = "body_mismatch"  # same key, different body
    IN_FLIGHT = "in_flight"  # the first request with this key is still running


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    status_code: int | None = None
    body: dict[str, Any] | None = None
    booking_id: str | None = None


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a JSON-able request body (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], scope: str = "checkout") -> None:
        self._sessions = sessions
        self._scope = scope

    async def claim(self, key: str, request_hash: str, booking_id: str) -> Claim:
        """Own `key` (NEW), or learn why not: finished (REPLAY), other body, or still running."""
        now = utcnow()
        try:
            async with self._sessions.begin() as session:
                session.add(
                    IdempotencyKey(
                        scope=self._scope, key=key, request_hash=request_hash, state="in_flight",
                        booking_id=booking_id, created_at=now, expires_at=now + KEY_LIFETIME,
                    )
                )
            return Claim(ClaimOutcome.NEW, booking_id=booking_id)
        except IntegrityError:
            pass
        if await self._take_over_expired(key, request_hash, booking_id, now):
            return Claim(ClaimOutcome.NEW, booking_id=booking_id)
        async with self._sessions() as session:
            existing = await session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.scope == self._scope, IdempotencyKey.key == key)
            )
        if existing is None:
            return Claim(ClaimOutcome.IN_FLIGHT)
        if existing.request_hash != request_hash:
            return Claim(ClaimOutcome.BODY_MISMATCH, booking_id=existing.booking_id)
        if existing.state == "done":
            return Claim(ClaimOutcome.REPLAY, existing.status_code, existing.response_body, existing.booking_id)
        return Claim(ClaimOutcome.IN_FLIGHT, booking_id=existing.booking_id)

    async def _take_over_expired(self, key: str, request_hash: str, booking_id: str, now: datetime) -> bool:
        # An expired key is reused in place (a conditional UPDATE), never deleted and re-inserted:
        # DELETE + INSERT under InnoDB gap locks deadlocks concurrent claimers.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.scope == self._scope, IdempotencyKey.key == key, IdempotencyKey.expires_at < now)
                .values(
                    request_hash=request_hash, state="in_flight", booking_id=booking_id, status_code=None,
                    response_body=None, created_at=now, expires_at=now + KEY_LIFETIME,
                )
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def complete(self, key: str, status_code: int, body: dict[str, Any]) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.scope == self._scope, IdempotencyKey.key == key)
                .values(state="done", status_code=status_code, response_body=body)
            )

    async def forget(self, key: str) -> None:
        """Drop an in-flight claim whose request never started work (e.g. refused by validation)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.scope == self._scope, IdempotencyKey.key == key, IdempotencyKey.state == "in_flight"
                )
            )
