"""One poller per hotel across all workers: a Redis lease whose value is a fencing token.

`acquire` takes the lease only when nobody holds it and hands out the next number of a per-hotel
counter that never goes down; writes made on behalf of a poll carry that number, and the database
refuses one older than the newest it has seen, so a poller whose lease ran out cannot overwrite."""

from __future__ import annotations

import redis.asyncio as aioredis

from roomgate.cache.keys import hotel_tag

_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def lease_key(hotel_id: str) -> str:
    return f"poll:lease:{hotel_tag(hotel_id)}"


def fence_key(hotel_id: str) -> str:
    return f"poll:fence:{hotel_tag(hotel_id)}"


class PollingLease:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._renew = redis.register_script(_RENEW)

    async def acquire(self, hotel_id: str, ttl_seconds: float) -> int | None:
        """The fencing token when this caller now holds the hotel's lease, else None."""
        token = int(
            await self._acquire(keys=[lease_key(hotel_id), fence_key(hotel_id)], args=[_ms(ttl_seconds)])
        )
        return token or None

    async def holds(self, hotel_id: str, token: int) -> bool:
        """The lease is still ours (checked before a poll writes to the cache)."""
        value = await self._redis.get(lease_key(hotel_id))
        return value is not None and int(value) == token

    async def renew(self, hotel_id: str, token: int, ttl_seconds: float) -> bool:
        return bool(await self._renew(keys=[lease_key(hotel_id)], args=[str(token), _ms(ttl_seconds)]))

    async def release(self, hotel_id: str, token: int) -> None:
        await self._release(keys=[lease_key(hotel_id)], args=[str(token)])


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
