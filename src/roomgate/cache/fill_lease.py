"""A short Redis lease (`SET NX PX`) so one process at a time fills a range from the PMS."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date

import redis.asyncio as aioredis

from roomgate.cache import keys, scripts


class FillLease:
    """Others that find the lease taken wait briefly and re-read the cache instead of calling the PMS."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._release = scripts.register(redis, "lease_release")

    async def acquire(
        self,
        hotel_id: str,
        vendor: str,
        room_type_ids: Sequence[str],
        start: date,
        end: date,
        ttl_seconds: float,
    ) -> tuple[str, str] | None:
        """(key, token) when this caller now holds the lease, else None."""
        key = keys.fill_lease(hotel_id, vendor, room_type_ids, start, end)
        token = secrets.token_hex(8)
        taken = await self.redis.set(key, token, nx=True, px=max(1, round(ttl_seconds * 1000)))
        return (key, token) if taken else None

    async def release(self, lease: tuple[str, str]) -> bool:
        """Free the lease if it is still ours (a lease that timed out may belong to someone else now)."""
        key, token = lease
        return bool(await self._release(keys=[key], args=[token]))
