"""Availability: cache first, one PMS fill on a miss, last-known-good data when the PMS fails;
straight from the PMS (`availability_direct`) while Redis is unreachable."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from redis.exceptions import RedisError

from roomgate.cache.client import REDIS_DOWN
from roomgate.cache.fill_lease import FillLease
from roomgate.cache.hotel_read import Grid, HotelRead
from roomgate.cache.inventory import InventoryCache
from roomgate.cache.metrics import INVENTORY_FILLS, count_lookups
from roomgate.cache.models import CachedNight
from roomgate.cache.room_types import CachedRoomTypes
from roomgate.cache.ttl import to_ms
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.stay import Stay, date_range
from roomgate.domain.taxes import TaxRule
from roomgate.logging import get_logger
from roomgate.pms.base import PMSConnector, room_types_and_taxes
from roomgate.pms.errors import PMSAuthenticationError, PMSBadRequest, PMSError, PMSNotFound
from roomgate.pms.types import RoomType
from roomgate.services import availability_direct as direct
from roomgate.services.availability_models import Revalidation, RoomTypeInventory, StayAvailability, ViewStamp
from roomgate.services.inventory_fill import Filled, InventoryFiller, complete
from roomgate.services.ports import ConnectorProvider
from roomgate.services.room_type_memo import RoomTypeMemo
from roomgate.services.single_flight import SingleFlight
from roomgate.services.stay_options import night_availability, stay_options

log = get_logger(__name__)


@dataclass(slots=True)
class _Trace:
    """One traced request: the stamp of its answer (set by the read that built it; None: it cannot be
    served again) and a read a revalidation already made for it (used instead of reading again)."""

    stamp: ViewStamp | None = None
    read: HotelRead | None = None


_TRACE: ContextVar[_Trace | None] = ContextVar("roomgate_availability_trace", default=None)


class AvailabilityService:
    """Answers 'which rooms are free, at what price' for a hotel; PMS failures raise `PMSError`
    unless `fallback=True`, which serves last-known-good data (source "cache") instead."""

    def __init__(
        self,
        cache: InventoryCache,
        connector_provider: ConnectorProvider,
        settings: Settings,
        clock: Clock = SYSTEM_CLOCK,
        *,
        filler: InventoryFiller | None = None,
    ) -> None:
        self.cache = cache
        self.connector_provider = connector_provider
        self.settings = settings
        self.clock = clock
        self.filler = filler or InventoryFiller(
            cache,
            FillLease(cache.redis),
            clock,
            lease_seconds=settings.pms_timeout_seconds,
            wait_seconds=settings.pms_timeout_seconds,
        )
        self._room_flights: SingleFlight[CachedRoomTypes] = SingleFlight()
        self._room_memo = RoomTypeMemo()

    async def room_type_inventory(
        self,
        vendor: str,
        hotel_id: str,
        room_type_id: str,
        start: date,
        end: date,
        *,
        fallback: bool = False,
        adults: int = 1,
        children: int = 0,
    ) -> RoomTypeInventory:
        """Per night (start inclusive, end exclusive): rooms for sale and the party's price (one adult
        unless asked), plus source and age."""
        self._check_range(start, end)
        trace = _TRACE.get()
        prefetched = None if trace is None else trace.read
        try:
            filled, warm = await self._room_type_rows(
                vendor, hotel_id, room_type_id, start, end, fallback, prefetched
            )
        except REDIS_DOWN:
            filled, warm = await self._direct_room_type_rows(vendor, hotel_id, room_type_id, start, end), None
        rows = filled.rows[room_type_id]
        stamp = None if warm is None else _stamp(warm, rows)
        if trace is not None:
            trace.stamp = stamp
        return RoomTypeInventory(
            hotel_id,
            room_type_id,
            [night_availability(n, adults, children) for n in rows],
            filled.source,
            self._age(rows),
            stamp,
        )

    async def stay_availability(
        self,
        vendor: str,
        hotel_id: str,
        stay: Stay,
        adults: int,
        children: int,
        *,
        fallback: bool = False,
    ) -> StayAvailability:
        """Room types bookable on every night of the stay for this party, with nightly prices and total."""
        if adults < 1 or children < 0:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "성인은 1명 이상, 아동은 0명 이상이어야 합니다")
        if stay.night_count > self.settings.max_stay_nights:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"최대 {self.settings.max_stay_nights}박까지 예약할 수 있습니다"
            )
        trace = _TRACE.get()
        prefetched = None if trace is None else trace.read
        try:
            result = await self._stay_availability(
                vendor, hotel_id, stay, adults, children, fallback, prefetched
            )
        except REDIS_DOWN:
            result = await self._direct_stay_availability(vendor, hotel_id, stay, adults, children)
        if trace is not None:
            trace.stamp = result.stamp
        return result

    # -- serving an answer again ------------------------------------------------------------------
    @staticmethod
    @contextmanager
    def traced() -> Iterator[_Trace]:
        """Within it, `stamp` of the yielded trace says whether the answer of this request (task and
        the tasks it starts) came from one warm read, and what it depends on; a `revalidate` that
        finds the answer changed leaves its read there for the request's own read to use."""
        trace = _Trace()
        token = _TRACE.set(trace)
        try:
            yield trace
        finally:
            _TRACE.reset(token)

    async def revalidate(self, stamp: ViewStamp) -> Revalidation:
        """Whether an answer with this `stamp` is still current: one round trip (the same read, told
        the version it saw), nothing at all once something it showed has expired."""
        now = self.clock.now()
        if to_ms(now) >= stamp.valid_until_ms:
            return Revalidation("expired", now)
        try:
            read = await self.cache.read_hotel(
                stamp.hotel_id, stamp.room_type_ids, stamp.nights, expect_version=stamp.version
            )
        except RedisError:
            return Revalidation("error", now)
        if not read.unchanged:
            trace = _TRACE.get()
            if trace is not None:
                trace.read = read  # the full read: the request builds its new answer from it
            return Revalidation("changed", now)
        # Redis confirmed every copy unchanged: the cache answered them all.
        cells = len(stamp.room_type_ids) * len(stamp.nights)
        count_lookups("rooms", 1, 0)
        count_lookups("inv", cells, 0)
        count_lookups("rate", cells, 0)
        return Revalidation("current", now)

    async def _stay_availability(
        self,
        vendor: str,
        hotel_id: str,
        stay: Stay,
        adults: int,
        children: int,
        fallback: bool,
        prefetched: HotelRead | None,
    ) -> StayAvailability:
        # One round trip when warm: the room-type list and the nights of the room types that fitted
        # this party last time are read together; the list read alongside is what decides.
        guess = self._room_memo.fitting(hotel_id, adults + children)
        warm = await self._warm_read(hotel_id, guess, date_range(stay.check_in, stay.check_out), prefetched)
        if warm.room_types is not None:
            room_types = warm.room_types
        else:
            room_types = await self._room_types(vendor, hotel_id, fallback, known_missing=True)
        self._room_memo.remember(hotel_id, room_types.room_types)
        fitting = [rt for rt in room_types.room_types if rt.max_occupancy >= adults + children]
        if not fitting:
            stamp = _stamp(warm, []) if warm.room_types is room_types else None
            return StayAvailability(hotel_id, stay, adults, children, [], "cache", 0.0, stamp)
        ids = [rt.room_type_id for rt in fitting]
        read = warm.rows() if warm.room_types is not None and ids == guess else None
        filled = await self._load(vendor, hotel_id, ids, stay.check_in, stay.check_out, fallback, read)
        options = stay_options(fitting, filled.rows, adults, children, room_types.taxes)
        used = [night for rows in filled.rows.values() for night in rows]
        stamp = _stamp(warm, used) if filled.rows is read else None
        return StayAvailability(
            hotel_id, stay, adults, children, options, filled.source, self._age(used), stamp
        )

    async def ensure_cached(
        self, vendor: str, hotel_id: str, room_type_id: str, start: date, end: date
    ) -> list[CachedNight]:
        """Make sure the range is freshly cached (the checkout calls this before a hold, and again
        when the hold script reports a night MISSING); returns the cached nights."""
        self._check_range(start, end)
        filled, _ = await self._room_type_rows(vendor, hotel_id, room_type_id, start, end, False)
        return filled.rows[room_type_id]

    async def room_type(
        self, vendor: str, hotel_id: str, room_type_id: str, *, fallback: bool = False
    ) -> RoomType:
        """The hotel's room type (cached list, PMS on a miss); unknown → DomainError(NOT_FOUND)."""
        return (await self.room_type_and_taxes(vendor, hotel_id, room_type_id, fallback=fallback))[0]

    async def room_type_and_taxes(
        self, vendor: str, hotel_id: str, room_type_id: str, *, fallback: bool = False
    ) -> tuple[RoomType, tuple[TaxRule, ...]]:
        """The room type and the hotel's taxes and fees (one cached value, PMS on a miss)."""
        cached = await self._room_types(vendor, hotel_id, fallback)
        room_type = cached.find(room_type_id)
        if room_type is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"객실 타입 {room_type_id}")
        return room_type, cached.taxes

    # -- while Redis is unreachable: the PMS alone -------------------------------------------------
    async def _direct_room_type_rows(
        self, vendor: str, hotel_id: str, room_type_id: str, start: date, end: date
    ) -> Filled:
        connector = await self._connector(vendor, hotel_id)
        if not any(rt.room_type_id == room_type_id for rt in await direct.room_types(connector)):
            raise DomainError(ErrorCode.NOT_FOUND, f"객실 타입 {room_type_id}")
        INVENTORY_FILLS.labels(outcome="direct_redis_down").inc()
        return await direct.read_rows(connector, self.clock, [room_type_id], start, end)

    async def _direct_stay_availability(
        self, vendor: str, hotel_id: str, stay: Stay, adults: int, children: int
    ) -> StayAvailability:
        connector = await self._connector(vendor, hotel_id)
        room_types, taxes = await room_types_and_taxes(connector)
        fitting = [rt for rt in room_types if rt.max_occupancy >= adults + children]
        if not fitting:
            return StayAvailability(hotel_id, stay, adults, children, [], "pms", 0.0)
        INVENTORY_FILLS.labels(outcome="direct_redis_down").inc()
        ids = [rt.room_type_id for rt in fitting]
        filled = await direct.read_rows(connector, self.clock, ids, stay.check_in, stay.check_out)
        options = stay_options(fitting, filled.rows, adults, children, taxes)
        used = [night for rows in filled.rows.values() for night in rows]
        return StayAvailability(hotel_id, stay, adults, children, options, "pms", self._age(used))

    # -- internals --------------------------------------------------------------------------------
    async def _room_type_rows(
        self,
        vendor: str,
        hotel_id: str,
        room_type_id: str,
        start: date,
        end: date,
        fallback: bool,
        prefetched: HotelRead | None = None,
    ) -> tuple[Filled, HotelRead | None]:
        """The room type's nights, after checking the hotel has it; one round trip when warm. The
        second value is the warm read when the nights came from it alone."""
        warm = await self._warm_read(hotel_id, [room_type_id], date_range(start, end), prefetched)
        room_types = warm.room_types
        if room_types is None:
            room_types = await self._room_types(vendor, hotel_id, fallback, known_missing=True)
        if room_types.find(room_type_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"객실 타입 {room_type_id}")
        read = warm.rows() if warm.room_types is not None else None
        filled = await self._load(vendor, hotel_id, [room_type_id], start, end, fallback, read)
        return filled, (warm if read is not None and filled.rows is read else None)

    async def _warm_read(
        self,
        hotel_id: str,
        room_type_ids: Sequence[str],
        nights: Sequence[date],
        prefetched: HotelRead | None,
    ) -> HotelRead:
        """The room-type list and these nights in one round trip, unless `prefetched` is that read."""
        if prefetched is not None and prefetched.answers(hotel_id, room_type_ids, nights):
            return prefetched
        return await self.cache.read_hotel(hotel_id, room_type_ids, nights)

    async def _load(
        self,
        vendor: str,
        hotel_id: str,
        room_type_ids: Sequence[str],
        start: date,
        end: date,
        fallback: bool,
        rows: Grid | None = None,
    ) -> Filled:
        """Cached rows (`rows`, when the caller already read them), else a fill from the PMS."""
        if rows is None:
            rows = await self.cache.get_many(hotel_id, room_type_ids, date_range(start, end))
        if complete(rows):
            return Filled(rows, "cache")
        try:
            connector = await self._connector(vendor, hotel_id)
            return await self.filler.fill(connector, hotel_id, room_type_ids, start, end)
        except PMSError as exc:
            if not fallback:
                raise
            stale = await self.cache.get_many(
                hotel_id, room_type_ids, date_range(start, end), allow_stale=True
            )
            if not complete(stale):
                if refused(exc):
                    raise
                raise unavailable(exc) from exc
            INVENTORY_FILLS.labels(outcome="fallback_lkg").inc()
            return Filled(stale, "cache")

    async def _room_type(self, vendor: str, hotel_id: str, room_type_id: str, fallback: bool) -> RoomType:
        # Kept for services/adapters.py until it calls `room_type`.
        return await self.room_type(vendor, hotel_id, room_type_id, fallback=fallback)

    async def _room_types(
        self, vendor: str, hotel_id: str, fallback: bool, *, known_missing: bool = False
    ) -> CachedRoomTypes:
        # known_missing: the caller's own read just found no fresh list; don't ask Redis again.
        cached = None if known_missing else await self.cache.get_room_types(hotel_id)
        if cached is not None:
            return cached
        try:
            return await self._room_flights.run(
                (vendor, hotel_id), lambda: self._fetch_room_types(vendor, hotel_id)
            )
        except PMSError as exc:
            stale = await self.cache.get_room_types(hotel_id, allow_stale=True) if fallback else None
            if stale is None:
                if fallback and not refused(exc):
                    raise unavailable(exc) from exc
                raise
            return stale

    async def _fetch_room_types(self, vendor: str, hotel_id: str) -> CachedRoomTypes:
        # Re-check: a flight that finished just before this one began may have filled it.
        cached = await self.cache.get_room_types(hotel_id)
        if cached is not None:
            return cached
        read_started_at = self.clock.now()
        room_types, taxes = await room_types_and_taxes(await self._connector(vendor, hotel_id))
        await self.cache.put_room_types(hotel_id, room_types, read_started_at=read_started_at, taxes=taxes)
        return CachedRoomTypes(room_types, read_started_at, taxes=tuple(taxes))

    async def _connector(self, vendor: str, hotel_id: str) -> PMSConnector:
        return await self.connector_provider(vendor, hotel_id)

    def _check_range(self, start: date, end: date) -> None:
        if end <= start:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "종료일은 시작일 이후여야 합니다")
        if (end - start).days > self.settings.max_range_days:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, f"최대 {self.settings.max_range_days}일까지 조회할 수 있습니다"
            )

    def _age(self, nights: Sequence[CachedNight]) -> float:
        """Age of the oldest data used (the oldest read is the largest `CachedNight.age`)."""
        oldest = _oldest_read(nights)
        return 0.0 if oldest is None else max(0.0, self.clock.now() - oldest)


def _oldest_read(nights: Sequence[CachedNight]) -> float | None:
    reads = [n.read_at for n in nights if n.read_at is not None]
    return min(reads) if reads else None


def _stamp(warm: HotelRead, used: Sequence[CachedNight]) -> ViewStamp | None:
    """What an answer built from `warm` alone depends on (None: it cannot be revalidated)."""
    until = warm.valid_until_ms
    if warm.version is None or until is None:
        return None
    return ViewStamp(warm.hotel_id, warm.room_type_ids, warm.nights, warm.version, until, _oldest_read(used))


def refused(exc: PMSError) -> bool:
    """The PMS answered and said no (unknown property or room type, rejected key, bad request): the
    caller hears that (404/502), not "the PMS did not respond"."""
    return isinstance(exc, PMSNotFound | PMSAuthenticationError | PMSBadRequest)


def unavailable(exc: PMSError) -> DomainError:
    """The 503 for a PMS that failed with nothing cached, its cause in the log."""
    log.warning(
        "pms_unavailable_nothing_cached",
        vendor=exc.vendor,
        hotel_id=exc.hotel_id,
        error=type(exc).__name__,
        reason=exc.message[:300],
    )
    return DomainError(ErrorCode.PMS_UNAVAILABLE)
