"""Hotels and credentials stored by the admin import (`pms_config`), layered over the environment.

Every server process keeps a copy of the (small) `pms_config` table. A save, update or disable writes
the database, then sets a fresh random token in the Redis key `roomgate:hotels:version` (and bumps
the hotel's view version, so remembered availability answers lapse). The table is re-read only when
the token changed, so the database sees one small query per change per process, not per request.

- `current()` reads the token each time (one GET). It gates every checkout, and every rendered
  availability answer of a hotel the copy holds: a disable bumps the hotel's view version, so the
  remembered answers (api/view_memo.py) are rendered again, and that render must not trust a
  stale copy. Env hotels and remembered answers pay nothing.
- `stored()`/`get()` (connector credentials before a PMS call) look an id the copy lacks up at once,
  so a hotel saved on one process is sold by every other process at its next request.
- `peek()`, `api_key()` and `list_hotels()` trust the copy for `ROOMGATE_HOTELS_RECHECK_SECONDS` (1 s).

Why not a TTL alone: a new hotel would be a 404 and a disabled one sold for up to the TTL, and
re-reading the table every TTL costs a query per process whether anything changed or not. If Redis
cannot answer, the copy is reloaded from the database every recheck interval instead (a plain TTL).

A token rather than a counter: after a Redis flush a counter starts again at 1 and could equal the
number a process remembers; a random token never repeats.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from roomgate.clock import Clock
from roomgate.domain.hotel import HotelConfig
from roomgate.domain.listing import StoredHotel
from roomgate.ledger.listings import ListingRepository
from roomgate.logging import get_logger
from roomgate.pms.base import CredentialsProvider
from roomgate.secrets_box import SecretBox, UndecryptableSecret
from roomgate.services.ports import HotelDirectory

log = get_logger(__name__)

VERSION_KEY = "roomgate:hotels:version"


class DatabaseHotels:
    """The hotels of `pms_config`, cached per process as described above."""

    def __init__(
        self,
        listings: ListingRepository,
        redis: aioredis.Redis,
        secrets: SecretBox | None,
        clock: Clock,
        recheck_seconds: float = 1.0,
    ) -> None:
        self._listings = listings
        self._redis = redis
        self._secrets = secrets
        self._clock = clock
        self._recheck = recheck_seconds
        self._hotels: dict[str, StoredHotel] = {}
        # The Redis token the copy was loaded under (None: no token yet, nothing ever saved), and
        # whether it is known at all (not before the first load, nor after a load without Redis).
        self._version: str | None = None
        self._version_known = False
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()
        self._warned_no_key = False
        self.reloads = 0  # how often the table was read (tests and metrics)

    async def changed(self) -> None:
        """Tell every process the table changed (call after the transaction committed)."""
        self._checked_at = None  # this process re-reads at its next look-up
        try:
            await self._redis.set(VERSION_KEY, uuid.uuid4().hex)
        except RedisError as exc:  # the others fall back to the recheck interval
            log.warning("hotel_version_bump_failed", error=type(exc).__name__)

    async def _snapshot(self, *, force: bool = False) -> dict[str, StoredHotel]:
        now = self._clock.monotonic()
        recent = self._checked_at is not None and now - self._checked_at < self._recheck
        if recent and not force:
            return self._hotels
        try:  # outside the lock: concurrent requests each ask, none waits on another's round trip
            raw = await self._redis.get(VERSION_KEY)
        except RedisError:
            if recent:  # Redis down: fall back to the recheck interval (a plain TTL)
                return self._hotels
            raw, redis_ok = None, False
        else:
            redis_ok = True
        version = raw.decode() if isinstance(raw, bytes) else raw
        if redis_ok and self._version_known and version == self._version:
            self._checked_at = now
            return self._hotels
        async with self._lock:
            if redis_ok and self._version_known and version == self._version:
                return self._hotels  # another request reloaded meanwhile
            try:
                await self._reload()
            except SQLAlchemyError as exc:
                # Reads live on Redis and must survive a database outage: keep the last copy (an
                # empty one before the first load) and try again after the recheck interval.
                log.warning("hotel_directory_reload_failed", error=type(exc).__name__)
                self._checked_at = self._clock.monotonic()
                return self._hotels
            self._version, self._version_known = version, redis_ok
            self._checked_at = self._clock.monotonic()
        return self._hotels

    async def _reload(self) -> None:
        rows = await self._listings.hotel_configs()
        self.reloads += 1
        self._hotels = {
            row.hotel_id: StoredHotel(
                HotelConfig(
                    hotel_id=row.hotel_id,
                    vendor=row.vendor,
                    enabled=row.enabled,
                    polling_enabled=row.polling_enabled,
                    polling_interval_seconds=row.polling_interval_seconds,
                    source="database",
                ),
                row.api_key_encrypted,
            )
            for row in rows
        }

    async def peek(self, hotel_id: str) -> HotelConfig | None:
        """The hotel as this process last saw it (trusted for the recheck interval)."""
        stored = (await self._snapshot()).get(hotel_id)
        return None if stored is None else stored.config

    async def current(self, hotel_id: str) -> HotelConfig | None:
        """The hotel as the database has it now: one Redis GET, a reload only if something changed.

        The gate of every rendered availability answer and every checkout: a remembered answer
        (api/view_memo.py) is served again only while the hotel's view version is unchanged, and
        a disable bumps that version, so the first render after it must not trust a stale copy."""
        stored = (await self._snapshot(force=True)).get(hotel_id)
        return None if stored is None else stored.config

    async def stored(self, hotel_id: str, *, check_unknown: bool = True) -> StoredHotel | None:
        """`check_unknown`: a hotel id the copy lacks is looked up at once (one GET) rather than
        after the recheck interval."""
        stored = (await self._snapshot()).get(hotel_id)
        if stored is None and check_unknown:
            stored = (await self._snapshot(force=True)).get(hotel_id)
        return stored

    async def get(self, hotel_id: str) -> HotelConfig | None:
        stored = await self.stored(hotel_id)
        return None if stored is None else stored.config

    async def list_hotels(self) -> list[HotelConfig]:
        return [stored.config for _, stored in sorted((await self._snapshot()).items())]

    async def api_key(self, vendor: str, hotel_id: str) -> str | None:
        """The decrypted key of an enabled hotel at this vendor; None otherwise."""
        stored = await self.stored(hotel_id, check_unknown=False)
        if stored is None or not stored.config.enabled or stored.config.vendor != vendor:
            return None
        if stored.encrypted_api_key is None:
            return None
        if self._secrets is None:
            if not self._warned_no_key:
                log.error("stored_credentials_unreadable", reason="ROOMGATE_SECRET_KEY is not set")
                self._warned_no_key = True
            return None
        try:
            return self._secrets.decrypt(stored.encrypted_api_key)
        except UndecryptableSecret:
            log.error("stored_credential_undecryptable", vendor=vendor, hotel_id=hotel_id)
            return None


class LayeredHotelDirectory:
    """Database hotels first (enabled or not: the database decides), then the environment's."""

    def __init__(self, stored: DatabaseHotels, env: HotelDirectory) -> None:
        self._stored = stored
        self._env = env

    async def get(self, hotel_id: str) -> HotelConfig | None:
        # This process's copy (rechecked every ROOMGATE_HOTELS_RECHECK_SECONDS): the hot path of every
        # request asks here, and an env hotel must cost no Redis call (one round trip per warm read).
        # Freshness where it matters is `HotelAccess.check_hotel` (checkouts re-read the database state).
        stored = await self._stored.stored(hotel_id, check_unknown=False)
        return stored.config if stored is not None else await self._env.get(hotel_id)

    async def list_hotels(self) -> Sequence[HotelConfig]:
        stored = await self._stored.list_hotels()
        known = {hotel.hotel_id for hotel in stored}
        env = [hotel for hotel in await self._env.list_hotels() if hotel.hotel_id not in known]
        return sorted([*stored, *env], key=lambda hotel: hotel.hotel_id)


class LayeredCredentials:
    """The key stored by the admin import, else `PMS_<hotelId>_API_KEY`.

    A hotel in the database never falls back to the environment: disabled there means disabled."""

    def __init__(self, stored: DatabaseHotels, env: CredentialsProvider) -> None:
        self._stored = stored
        self._env = env

    async def api_key(self, vendor: str, hotel_id: str) -> str | None:
        # An id the copy lacks is looked up at once (a hotel saved on another process a moment ago):
        # one GET on a path that is about to call the PMS anyway.
        if await self._stored.stored(hotel_id) is not None:
            return await self._stored.api_key(vendor, hotel_id)
        return await self._env.api_key(vendor, hotel_id)

    def source_hint(self, hotel_id: str) -> str:
        return f"connect it on /admin or set PMS_{hotel_id}_API_KEY"
