"""The hold ledger: short all-or-nothing room holds, kept atomic by Lua on one hotel's shard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import redis.asyncio as aioredis

from roomgate.cache import keys, scripts
from roomgate.cache.hold_models import ConvertResult, HoldRecord, HoldResult, HoldStatus, ReleaseResult
from roomgate.cache.metrics import HOLD_OUTCOMES
from roomgate.cache.ttl import to_ms
from roomgate.clock import SYSTEM_CLOCK, Clock

SCRIPT_NAMES = ["hold_create", "hold_release", "hold_convert"]
# Records outlive their holds so a late retry with the same id still gets the first outcome.
RECORD_RETENTION_SECONDS = 86_400
MUTATION_MARK_MS = 3_600_000


class RedisHoldLedger:
    """create / release / convert, idempotent by hold id; time comes from the injected clock."""

    def __init__(
        self,
        redis: aioredis.Redis,
        clock: Clock = SYSTEM_CLOCK,
        *,
        default_ttl_seconds: int = 180,
        record_retention_seconds: int = RECORD_RETENTION_SECONDS,
        skip_check: bool = False,
    ) -> None:
        """`skip_check`: negative controls only (`ROOMGATE_DEBUG_FAULTS=hold_check=skip`, refused in
        production): holds are written without the availability check, so a race test can show the
        oversell the atomic check prevents."""
        self.redis = redis
        self.clock = clock
        self.default_ttl_seconds = default_ttl_seconds
        self.record_retention_seconds = record_retention_seconds
        self._skip_check = skip_check
        self._create = scripts.register(redis, "hold_create")
        self._release = scripts.register(redis, "hold_release")
        self._convert = scripts.register(redis, "hold_convert")
        self._unchecked_write = scripts.register(redis, "hold_unchecked_write")

    async def preload_scripts(self) -> None:
        """Load the Lua scripts at start-up."""
        await scripts.preload(self.redis, SCRIPT_NAMES)

    async def create_hold(
        self,
        hotel_id: str,
        room_type_id: str,
        nights: Sequence[date],
        quantity: int,
        hold_id: str,
        ttl_seconds: int | None = None,
        now: float | None = None,
    ) -> HoldResult:
        """Hold `quantity` rooms on every night or on none; MISSING means fill the cache and retry."""
        ordered = _validated(nights, quantity)
        ttl_ms = to_ms(ttl_seconds or self.default_ttl_seconds)
        key_list = [keys.hold(hotel_id, hold_id)]
        for night in ordered:
            key_list += [
                keys.inv(hotel_id, room_type_id, night),
                keys.night_holds(hotel_id, room_type_id, night),
            ]
        key_list.append(keys.view_version(hotel_id))
        at = self.clock.now() if now is None else now
        if self._skip_check:
            return await self._write_unchecked(hotel_id, room_type_id, ordered, quantity, hold_id, ttl_ms, at)
        args = [to_ms(at), ttl_ms, quantity, hold_id, room_type_id, _csv(ordered), self._record_ms(ttl_ms)]
        status, first, second = await self._create(keys=key_list, args=args)
        outcome = HoldStatus(status)
        HOLD_OUTCOMES.labels(operation="create", outcome=outcome.value).inc()
        if outcome in (HoldStatus.MISSING, HoldStatus.SHORT):
            return HoldResult(outcome, hold_id, night=ordered[int(first) - 1], for_sale=int(second))
        expires_at = int(first) / 1000 if outcome is not HoldStatus.CONFLICT else None
        return HoldResult(outcome, hold_id, expires_at=expires_at)

    async def release(self, hotel_id: str, hold_id: str) -> ReleaseResult:
        """Abandon the hold: its rooms are for sale again at once. Safe to repeat."""
        record = await self.get(hotel_id, hold_id)
        if record is None:
            result = ReleaseResult.UNKNOWN
        else:
            key_list = [keys.hold(hotel_id, hold_id)]
            key_list += [keys.night_holds(hotel_id, record.room_type_id, night) for night in record.nights]
            key_list.append(keys.view_version(hotel_id))
            result = ReleaseResult(
                await self._release(keys=key_list, args=[to_ms(self.clock.now()), hold_id])
            )
        HOLD_OUTCOMES.labels(operation="release", outcome=result.value).inc()
        return result

    async def convert(
        self, hotel_id: str, hold_id: str, *, booked_at: float | None = None, count_if_expired: bool = False
    ) -> ConvertResult:
        """The booking is confirmed: drop the hold and lower each night's cached count, atomically.
        `booked_at`: when the PMS confirmation arrived (copies read later already count the booking).
        `count_if_expired`: the PMS accepted the booking after the hold lapsed; lower the count anyway."""
        record = await self.get(hotel_id, hold_id)
        if record is None:
            result = ConvertResult.UNKNOWN
        else:
            room = record.room_type_id
            key_list = [keys.hold(hotel_id, hold_id)]
            for night in record.nights:
                key_list += [keys.night_holds(hotel_id, room, night), keys.inv(hotel_id, room, night)]
                key_list += [keys.lkg_inv(hotel_id, room, night), keys.mutation(hotel_id, room, night)]
            key_list.append(keys.view_version(hotel_id))
            booked_ms = -1 if booked_at is None else to_ms(booked_at)
            args = [to_ms(self.clock.now()), hold_id, booked_ms, MUTATION_MARK_MS, int(count_if_expired)]
            result = ConvertResult(await self._convert(keys=key_list, args=args))
        HOLD_OUTCOMES.labels(operation="convert", outcome=result.value).inc()
        return result

    async def get(self, hotel_id: str, hold_id: str) -> HoldRecord | None:
        """The stored hold record (kept for a day after the hold ends), or None."""
        stored = await self.redis.hgetall(keys.hold(hotel_id, hold_id))
        if not stored:
            return None
        raw = {_text(k): _text(v) for k, v in stored.items()}
        return HoldRecord(
            hold_id=hold_id,
            room_type_id=raw["rt"],
            nights=[date.fromisoformat(n) for n in raw["n"].split(",")],
            quantity=int(raw["q"]),
            state=raw["s"],
            expires_at=int(raw["e"]) / 1000,
            created_at=int(raw["c"]) / 1000,
        )

    async def _write_unchecked(
        self,
        hotel_id: str,
        room_type_id: str,
        ordered: Sequence[date],
        quantity: int,
        hold_id: str,
        ttl_ms: int,
        at: float,
    ) -> HoldResult:
        now_ms = to_ms(at)
        key_list = (
            [keys.hold(hotel_id, hold_id)]
            + [keys.night_holds(hotel_id, room_type_id, n) for n in ordered]
            + [keys.view_version(hotel_id)]
        )
        record_ms = self._record_ms(ttl_ms)
        args = [now_ms + ttl_ms, quantity, hold_id, room_type_id, _csv(ordered), record_ms, now_ms]
        await self._unchecked_write(keys=key_list, args=args)
        return HoldResult(HoldStatus.HELD, hold_id, expires_at=(now_ms + ttl_ms) / 1000)

    def _record_ms(self, ttl_ms: int) -> int:
        return ttl_ms + self.record_retention_seconds * 1000


def _validated(nights: Sequence[date], quantity: int) -> list[date]:
    ordered = sorted(nights)
    if not ordered or len(set(ordered)) != len(ordered):
        raise ValueError("a hold needs at least one night and no night twice")
    if quantity < 1:
        raise ValueError("a hold needs a quantity of at least 1")
    return ordered


def _csv(nights: Sequence[date]) -> str:
    return ",".join(n.isoformat() for n in nights)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
