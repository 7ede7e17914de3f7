"""What we decided about each Toss payment, in Redis, shared by every process.

A claim (`pay:toss:claim:<paymentKey>` = `capture:<bookingId>` or `void:<bookingId>`) is set once,
first writer wins: a void that wins means no capture will ever approve that payment; a capture that
wins means a void must wait until Toss says how the approval ended. The booking index
(`pay:toss:booking:<bookingId>` = paymentKey) lets recovery find a payment whose key went unrecorded;
the owner (`pay:toss:owner:<paymentKey>` = bookingId, first writer wins) keeps one payment from paying
for two bookings. While Redis is unreachable every call raises `PaymentProviderError` (retryable), so
the saga, compensation and recovery treat it like a provider they cannot reach, never a bare Redis error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.exceptions import WatchError

from roomgate.cache.client import REDIS_DOWN
from roomgate.payments.base import PaymentProviderError

TTL_SECONDS = 15 * 24 * 3600  # as long as Toss keeps an Idempotency-Key


class TossClaims:
    """Needs a `decode_responses=True` client (as `create_redis` makes)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def claim(self, payment_key: str, operation: str, booking_id: str) -> str:
        """Record `operation` unless another is recorded; return the operation that holds the claim."""
        with _store_errors():
            if await self._redis.set(
                _claim_key(payment_key), f"{operation}:{booking_id}", nx=True, ex=TTL_SECONDS
            ):
                return operation
            claim = await self.claim_of(payment_key)
            return claim[0] if claim else operation

    async def claim_of(self, payment_key: str) -> tuple[str, str] | None:
        """(operation, booking id) of the recorded claim, if any."""
        with _store_errors():
            raw = await self._redis.get(_claim_key(payment_key))
            if raw is None:
                return None
            operation, _, booking_id = str(raw).partition(":")
            return operation, booking_id

    async def release(self, payment_key: str, operation: str, booking_id: str) -> None:
        """Drop our own claim (only if it is still ours), e.g. after Toss definitively refused an approval."""
        with _store_errors():
            key = _claim_key(payment_key)
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    current = await pipe.get(key)
                    if current != f"{operation}:{booking_id}":
                        return
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.delete(key)
                    await pipe.execute()
                except WatchError:  # someone changed it meanwhile: theirs now, leave it
                    return

    async def bind(self, payment_key: str, booking_id: str) -> str:
        """Tie the payment to the first booking that presents it; return the booking it belongs to."""
        with _store_errors():
            key = _owner_key(payment_key)
            if await self._redis.set(key, booking_id, nx=True, ex=TTL_SECONDS):
                return booking_id
            raw = await self._redis.get(key)
            return booking_id if raw is None else str(raw)

    async def remember_booking(self, booking_id: str, payment_key: str) -> None:
        """Index the payment under its booking (the latest authorisation wins)."""
        with _store_errors():
            await self._redis.set(_booking_key(booking_id), payment_key, ex=TTL_SECONDS)

    async def payment_key_for(self, booking_id: str) -> str | None:
        with _store_errors():
            raw = await self._redis.get(_booking_key(booking_id))
            return None if raw is None else str(raw)


def _claim_key(payment_key: str) -> str:
    return f"pay:toss:claim:{payment_key}"


def _owner_key(payment_key: str) -> str:
    return f"pay:toss:owner:{payment_key}"


def _booking_key(booking_id: str) -> str:
    return f"pay:toss:booking:{booking_id}"


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except REDIS_DOWN as exc:
        raise PaymentProviderError("toss: claim store (Redis) unreachable", provider="toss") from exc
