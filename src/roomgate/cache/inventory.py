"""Inventory and rate cache: per-night PMS counts and prices, read in one round trip per request."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date

import redis.asyncio as aioredis

from roomgate.cache import hotel_read, keys, scripts
from roomgate.cache.hotel_read import HotelRead
from roomgate.cache.metrics import SNAPSHOT_WRITES
from roomgate.cache.models import CachedNight, StoreResult
from roomgate.cache.packed_script import PackedScript
from roomgate.cache.room_types import CachedRoomTypes, RoomTypeCache
from roomgate.cache.scripts import bump_view_version
from roomgate.cache.ttl import jittered_ms, to_ms
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.domain.taxes import TaxRule
from roomgate.pms.types import NightInventory, NightRate, RoomType

# A mutation marker must outlive any PMS read that could have begun before the mutation.
MUTATION_MARK_SECONDS = 3600
SCRIPT_NAMES = ["read_range", "store_snapshot", "adjust_inventory", "view_version_bump"]


class InventoryCache:
    """`inv:` / `rate:` keys plus last-known-good copies; freshness follows the injected clock."""

    def __init__(
        self,
        redis: aioredis.Redis,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.clock = clock
        self._rng = rng or random.Random()
        self._read_script = PackedScript(redis, "read_range")
        self._store = scripts.register(redis, "store_snapshot")
        # Not idempotent (moves counts by a delta): never re-sent after a broken connection.
        self._adjust = scripts.register_once(redis, "adjust_inventory")
        self.room_types = RoomTypeCache(redis, settings, clock, self._rng)

    async def preload_scripts(self) -> None:
        """Load the Lua scripts at start-up so every later call is exactly one round trip."""
        await scripts.preload(self.redis, SCRIPT_NAMES)

    async def get(
        self, hotel_id: str, room_type_id: str, night: date, *, allow_stale: bool = False
    ) -> CachedNight:
        """One night (the spec's `getInventory(hotel, roomType, date)`)."""
        return (await self.get_range(hotel_id, room_type_id, [night], allow_stale=allow_stale))[0]

    async def get_range(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], *, allow_stale: bool = False
    ) -> list[CachedNight]:
        """Nights of one room type in ONE round trip; `allow_stale` fills gaps from last-known-good."""
        return (await self.get_many(hotel_id, [room_type_id], nights, allow_stale=allow_stale))[room_type_id]

    async def get_many(
        self,
        hotel_id: str,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        *,
        allow_stale: bool = False,
    ) -> dict[str, list[CachedNight]]:
        """Nights of several room types, still in ONE round trip (one read-only script call)."""
        return await self._read_grid(hotel_id, room_type_ids, nights, "fallback" if allow_stale else "fresh")

    async def get_last_known_good(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date]
    ) -> list[CachedNight]:
        """Only the last-known-good copies (`stale=True`); use `CachedNight.age(now)` for their age."""
        return (await self._read_grid(hotel_id, [room_type_id], nights, "lkg"))[room_type_id]

    async def read_hotel(
        self,
        hotel_id: str,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        *,
        expect_version: str | None = None,
    ) -> HotelRead:
        """The fresh room-type list AND the fresh nights of these room types, in ONE round trip
        (the warm availability path); `room_types` is None when the list is not freshly cached.
        With `expect_version` still the hotel's view version, the read stops there (`unchanged`)."""
        return await self._read(
            hotel_id, room_type_ids, nights, "fresh", with_room_types=True, expect_version=expect_version
        )

    async def _read_grid(
        self, hotel_id: str, room_type_ids: Sequence[str], nights: Sequence[date], mode: str
    ) -> dict[str, list[CachedNight]]:
        return (await self._read(hotel_id, room_type_ids, nights, mode, with_room_types=False)).rows()

    async def _read(
        self,
        hotel_id: str,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        mode: str,
        *,
        with_room_types: bool,
        expect_version: str | None = None,
    ) -> HotelRead:
        now_ms = to_ms(self.clock.now())
        return await hotel_read.read(
            self._read_script,
            now_ms,
            hotel_id,
            room_type_ids,
            nights,
            mode,
            with_room_types=with_room_types,
            expect_version=expect_version,
        )

    async def store_snapshot(
        self,
        hotel_id: str,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        inventory: Sequence[NightInventory],
        rates: Sequence[NightRate],
        *,
        read_started_at: float,
    ) -> StoreResult:
        """Write what the PMS said for the whole grid, never over a local mutation made after
        `read_started_at` (nights the PMS left out are cached as 0 available / no price)."""
        counts = {(i.room_type_id, i.date): i.available for i in inventory}
        prices = {(r.room_type_id, r.date): r for r in rates}
        grid = list(dict.fromkeys([(r, n) for r in room_type_ids for n in nights] + [*counts, *prices]))
        cfg = self.settings
        lkg_ms = to_ms(cfg.lkg_ttl_seconds)
        key_list: list[str] = []
        args: list[str | int] = [to_ms(self.clock.now()), to_ms(read_started_at)]
        for room, night in grid:
            mark = keys.mutation(hotel_id, room, night)
            key_list += [keys.inv(hotel_id, room, night), keys.lkg_inv(hotel_id, room, night), mark]
            inv_ms = jittered_ms(cfg.inv_ttl_seconds, cfg.ttl_jitter_ratio, self._rng)
            args += _entry(True, inv_ms, lkg_ms, {"a": max(0, counts.get((room, night), 0))})
            key_list += [keys.rate(hotel_id, room, night), keys.lkg_rate(hotel_id, room, night), mark]
            rate_ms = jittered_ms(cfg.rate_ttl_seconds, cfg.ttl_jitter_ratio, self._rng)
            args += _entry(False, rate_ms, lkg_ms, _rate_fields(prices.get((room, night))))
        key_list.append(keys.view_version(hotel_id))
        reply = await self._store(keys=key_list, args=args)
        result = StoreResult()
        for (room, night), status in zip(grid, reply[0::2], strict=True):
            bucket = {1: result.stored, 0: result.skipped_mutated, 2: result.skipped_newer}[int(status)]
            bucket.append((room, night))
        for name, entries in asdict(result).items():
            if entries:
                SNAPSHOT_WRITES.labels(result=name).inc(len(entries))
        return result

    async def decrement_inventory(
        self,
        hotel_id: str,
        room_type_id: str,
        nights: date | Sequence[date],
        quantity: int = 1,
        *,
        pms_changed_at: float | None = None,
    ) -> list[int | None]:
        """A booking took rooms: lower the cached counts and mark the nights as locally mutated.
        `pms_changed_at`: when the PMS booked it; copies read after that already count it."""
        return await self._apply(hotel_id, room_type_id, nights, -_positive(quantity), pms_changed_at)

    async def increment_inventory(
        self,
        hotel_id: str,
        room_type_id: str,
        nights: date | Sequence[date],
        quantity: int = 1,
        *,
        pms_changed_at: float | None = None,
    ) -> list[int | None]:
        """A cancellation freed rooms: raise the cached counts (same rules as `decrement_inventory`)."""
        return await self._apply(hotel_id, room_type_id, nights, _positive(quantity), pms_changed_at)

    async def _apply(
        self,
        hotel_id: str,
        room_type_id: str,
        nights: date | Sequence[date],
        delta: int,
        changed_at: float | None,
    ) -> list[int | None]:
        night_list = [nights] if isinstance(nights, date) else list(nights)
        key_list: list[str] = []
        for night in night_list:
            key_list += [keys.inv(hotel_id, room_type_id, night), keys.lkg_inv(hotel_id, room_type_id, night)]
            key_list.append(keys.mutation(hotel_id, room_type_id, night))
        key_list.append(keys.view_version(hotel_id))
        changed_ms = -1 if changed_at is None else to_ms(changed_at)
        args = [to_ms(self.clock.now()), delta, changed_ms, MUTATION_MARK_SECONDS * 1000]
        reply = await self._adjust(keys=key_list, args=args)
        return [None if int(value) < 0 else int(value) for value in reply]

    async def invalidate(self, hotel_id: str, room_type_id: str, nights: Sequence[date]) -> None:
        """Drop the fresh inv/rate copies (a webhook said they changed) and mark the nights, so a
        snapshot read before now cannot put the old count back; last-known-good copies stay."""
        pipe = self.redis.pipeline(transaction=True)
        now_ms = to_ms(self.clock.now())
        for night in nights:
            pipe.delete(keys.inv(hotel_id, room_type_id, night), keys.rate(hotel_id, room_type_id, night))
            pipe.set(keys.mutation(hotel_id, room_type_id, night), now_ms, px=MUTATION_MARK_SECONDS * 1000)
        await bump_view_version(pipe, hotel_id)
        await pipe.execute()

    # -- room-type list ---------------------------------------------------------------------------
    async def get_room_types(self, hotel_id: str, *, allow_stale: bool = False) -> CachedRoomTypes | None:
        """The hotel's cached room types (`hotel:{h}:rooms`), or last-known-good when allowed."""
        return await self.room_types.get(hotel_id, allow_stale=allow_stale)

    async def put_room_types(
        self,
        hotel_id: str,
        room_types: Sequence[RoomType],
        *,
        read_started_at: float,
        taxes: Sequence[TaxRule] = (),
    ) -> None:
        """Cache the room-type list and the hotel's taxes (and their last-known-good copy)."""
        await self.room_types.put(hotel_id, room_types, read_started_at=read_started_at, taxes=taxes)

    async def invalidate_room_types(self, hotel_id: str) -> None:
        """Forget the fresh room-type list so the next read asks the PMS (last-known-good stays)."""
        await self.room_types.invalidate(hotel_id)


def _positive(quantity: int) -> int:
    if quantity < 1:
        raise ValueError("quantity must be a positive room count")
    return quantity


def _entry(guarded: bool, ttl_ms: int, lkg_ms: int, fields: dict[str, str | int]) -> list[str | int]:
    """One entry of lua/store_snapshot.lua's ARGV: guard flag, TTLs, field count, field/value pairs."""
    return [int(guarded), ttl_ms, lkg_ms, len(fields), *[x for pair in fields.items() for x in pair]]


def _rate_fields(rate: NightRate | None) -> dict[str, str | int]:
    # A night without a rate is cached as "no price" so it is not asked for again and again.
    if rate is None:
        return {"p": "", "c": "", "rp": "", "o": ""}
    # `o`: the extra-guest rule (domain/occupancy.py) — the `rate:` key stays per night, not per party.
    occupancy = rate.occupancy.encode() if rate.occupancy is not None else ""
    return {"p": str(rate.price.amount), "c": rate.price.currency, "rp": rate.rate_plan_id, "o": occupancy}
