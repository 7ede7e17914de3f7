"""Inbound Idempotency-Key store: claim before work, store the first answer, replay it afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.idempotency import Claim, ClaimOutcome, request_fingerprint
from roomgate.ledger.models import BookingRow, IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
# How long a claim may stay in flight before its booking row exists (pricing); after that, with no
# booking written, its request is taken for dead and a retry may take the key over.
IN_FLIGHT_LEASE = timedelta(seconds=60)

__all__ = ["Claim", "ClaimOutcome", "IdempotencyStore", "request_fingerprint"]


def _lease_end(now: datetime) -> datetime:
    # Whole seconds: MySQL DATETIME keeps no fraction, and the token is compared for equality.
    return now.replace(microsecond=0) + IN_FLIGHT_LEASE


class IdempotencyStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], scope: str = "checkout", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._sessions = sessions
        self._scope = scope
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now(), UTC)

    async def claim(self, key: str, request_hash: str, booking_id: str) -> Claim:
        """Own `key` (NEW), or learn why not: finished (REPLAY), other body, or still running.

        A NEW claim's `booking_id` is the one to use: a retry that takes over the key of a request
        that died before writing its booking reuses that request's booking id, so the two can never
        both create a booking."""
        now = self._now()
        token = _lease_end(now)
        try:
            async with self._sessions.begin() as session:
                session.add(
                    IdempotencyKey(
                        scope=self._scope,
                        key=key,
                        request_hash=request_hash,
                        state="in_flight",
                        booking_id=booking_id,
                        locked_until=token,
                        created_at=now,
                        expires_at=now + KEY_LIFETIME,
                    )
                )
            return Claim(ClaimOutcome.NEW, booking_id=booking_id, token=token)
        except IntegrityError:
            pass
        if await self._take_over_expired(key, request_hash, booking_id, now):
            return Claim(ClaimOutcome.NEW, booking_id=booking_id, token=token)
        async with self._sessions() as session:
            existing = await session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.scope == self._scope, IdempotencyKey.key == key)
            )
        if existing is None:
            return Claim(ClaimOutcome.IN_FLIGHT)
        if existing.request_hash != request_hash:
            return Claim(ClaimOutcome.BODY_MISMATCH, booking_id=existing.booking_id)
        if existing.state == "done":
            body = existing.response_body
            return Claim(ClaimOutcome.REPLAY, existing.status_code, body, existing.booking_id)
        taken = await self._take_over_abandoned(existing, now)
        if taken is not None:
            return Claim(ClaimOutcome.NEW, booking_id=existing.booking_id, token=taken)
        return Claim(ClaimOutcome.IN_FLIGHT, booking_id=existing.booking_id)

    async def _take_over_expired(self, key: str, request_hash: str, booking_id: str, now: datetime) -> bool:
        # An expired key is reused in place (a conditional UPDATE), never deleted and re-inserted:
        # DELETE + INSERT under InnoDB gap locks deadlocks concurrent claimers.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.scope == self._scope,
                    IdempotencyKey.key == key,
                    IdempotencyKey.expires_at < now,
                )
                .values(
                    request_hash=request_hash,
                    state="in_flight",
                    booking_id=booking_id,
                    status_code=None,
                    response_body=None,
                    locked_until=_lease_end(now),
                    created_at=now,
                    expires_at=now + KEY_LIFETIME,
                )
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _take_over_abandoned(self, existing: IdempotencyKey, now: datetime) -> datetime | None:
        """Take over an in-flight claim past its lease whose booking was never written (its request
        died); return the new token, or None. A compare-and-set on the old token: one taker wins."""
        old = existing.locked_until
        if (old or existing.created_at + IN_FLIGHT_LEASE) >= now or existing.booking_id is None:
            return None
        token = max(_lease_end(now), old + timedelta(seconds=1)) if old else _lease_end(now)
        lock = IdempotencyKey.locked_until
        same_token = lock.is_(None) if old is None else lock == old
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.scope == self._scope,
                    IdempotencyKey.key == existing.key,
                    IdempotencyKey.state == "in_flight",
                    IdempotencyKey.booking_id == existing.booking_id,
                    same_token,
                    ~exists().where(BookingRow.booking_id == existing.booking_id),
                )
                .values(locked_until=token)
            )
        return token if result.rowcount == 1 else None  # type: ignore[attr-defined]

    async def complete(
        self, key: str, status_code: int, body: dict[str, Any], *, booking_id: str | None = None
    ) -> None:
        """Store the answer for replay; with `booking_id`, only while the key still names that booking."""
        condition = [IdempotencyKey.scope == self._scope, IdempotencyKey.key == key]
        if booking_id is not None:
            condition.append(IdempotencyKey.booking_id == booking_id)
        async with self._sessions.begin() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(*condition)
                .values(state="done", status_code=status_code, response_body=body)
            )

    async def forget(self, key: str, *, token: datetime | None = None) -> None:
        """Drop an in-flight claim whose request never started work (e.g. refused by validation).

        With the claim's `token`, only that claim: a retry may have taken the key over meanwhile."""
        condition = [
            IdempotencyKey.scope == self._scope,
            IdempotencyKey.key == key,
            IdempotencyKey.state == "in_flight",
        ]
        if token is not None:
            condition.append(IdempotencyKey.locked_until == token)
        async with self._sessions.begin() as session:
            await session.execute(delete(IdempotencyKey).where(*condition))
