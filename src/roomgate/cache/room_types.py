"""The hotel's room-type list (`hotel:{h}:rooms`, 1 h) and its last-known-good copy.

The same value carries the hotel's taxes and fees (`taxes`): they are per hotel, change as rarely,
and are needed by the same warm availability read, which reads this key anyway (one round trip)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import redis.asyncio as aioredis

from roomgate.cache import keys
from roomgate.cache.metrics import count_lookups
from roomgate.cache.scripts import bump_view_version
from roomgate.cache.ttl import jittered_ms, to_ms
from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.domain.taxes import TaxRule
from roomgate.pms.types import RoomType


@dataclass(frozen=True, slots=True)
class CachedRoomTypes:
    room_types: list[RoomType]
    read_at: float
    stale: bool = False
    fresh_until_ms: int | None = None  # the logical expiry of the copy it came from
    taxes: tuple[TaxRule, ...] = ()  # what the hotel adds to a stay (Cloudbeds getTaxesAndFees)

    def find(self, room_type_id: str) -> RoomType | None:
        """The room type with this id, if the hotel has it."""
        return next((rt for rt in self.room_types if rt.room_type_id == room_type_id), None)


class RoomTypeCache:
    """JSON envelope `{r: read ms, e: logical expiry ms, rooms: [...]}` so expiry follows the clock."""

    def __init__(self, redis: aioredis.Redis, settings: Settings, clock: Clock, rng: random.Random) -> None:
        self.redis = redis
        self.settings = settings
        self.clock = clock
        self._rng = rng

    async def get(self, hotel_id: str, *, allow_stale: bool = False) -> CachedRoomTypes | None:
        """Fresh list, else (when allowed) the last-known-good one, else None."""
        fresh, lkg = await self.redis.mget(keys.rooms(hotel_id), keys.lkg_rooms(hotel_id))
        now_ms = to_ms(self.clock.now())
        found = decode_fresh(fresh, now_ms)
        if found is not None or not allow_stale:
            return found
        stale = _decode(lkg, now_ms, stale=True)
        count_lookups("lkg_rooms", int(stale is not None), int(stale is None))
        return stale

    async def put(
        self,
        hotel_id: str,
        room_types: Sequence[RoomType],
        *,
        read_started_at: float,
        taxes: Sequence[TaxRule] = (),
    ) -> None:
        """Store the list (and the hotel's taxes) fresh (rooms TTL ± jitter) and as last-known-good."""
        now_ms = to_ms(self.clock.now())
        ttl_ms = jittered_ms(self.settings.rooms_ttl_seconds, self.settings.ttl_jitter_ratio, self._rng)
        lkg_ms = to_ms(self.settings.lkg_ttl_seconds)
        rooms = [asdict(rt) for rt in room_types]
        read_ms = to_ms(read_started_at)
        extra = {"taxes": [tax.to_json() for tax in taxes]} if taxes else {}
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(
            keys.rooms(hotel_id),
            json.dumps({"r": read_ms, "e": now_ms + ttl_ms, "rooms": rooms, **extra}),
            px=ttl_ms,
        )
        pipe.set(
            keys.lkg_rooms(hotel_id),
            json.dumps({"r": read_ms, "e": now_ms + lkg_ms, "rooms": rooms, **extra}),
            px=lkg_ms,
        )
        await bump_view_version(pipe, hotel_id)
        await pipe.execute()

    async def invalidate(self, hotel_id: str) -> None:
        """Drop the fresh list (a room_update webhook); the last-known-good copy stays for fallback."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(keys.rooms(hotel_id))
        await bump_view_version(pipe, hotel_id)
        await pipe.execute()


def decode_fresh(raw: str | bytes | None, now_ms: int) -> CachedRoomTypes | None:
    """The fresh list from its raw envelope (None when missing or past its logical expiry),
    counted as a `rooms` hit or miss."""
    found = _decode(raw, now_ms)
    count_lookups("rooms", int(found is not None), int(found is None))
    return found


def _decode(raw: str | bytes | None, now_ms: int, *, stale: bool = False) -> CachedRoomTypes | None:
    if raw is None:
        return None
    expires_ms, read_ms, room_types, taxes = _envelope(raw)
    if expires_ms <= now_ms:
        return None
    return CachedRoomTypes(list(room_types), read_ms / 1000, stale, expires_ms, taxes)


@lru_cache(maxsize=1024)
def _envelope(raw: str | bytes) -> tuple[int, int, tuple[RoomType, ...], tuple[TaxRule, ...]]:
    # Every warm request reads the same few envelopes; RoomType is immutable, so parse each once.
    envelope = json.loads(raw)
    room_types = tuple(RoomType(**item) for item in envelope["rooms"])
    taxes = tuple(TaxRule.from_json(item) for item in envelope.get("taxes") or ())
    return int(envelope["e"]), int(envelope["r"]), room_types, taxes
