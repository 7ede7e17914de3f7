"""Wiring: build every adapter and service once from settings; close them in reverse at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomgate.cache.client import create_redis
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import IdempotencyStore


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    http: httpx2.AsyncClient
    clock: Clock
    bookings: BookingRepository
    idempotency: IdempotencyStore
    extras: dict[str, Any] = field(default_factory=dict)

    def earliest_check_in(self) -> date:
        """Yesterday in UTC: a hotel east of UTC may already be on the next day."""
        return datetime.fromtimestamp(self.clock.now(), UTC).date() - timedelta(days=1)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def build_container(settings: Settings, *, clock: Clock = SYSTEM_CLOCK, redis: aioredis.Redis | None = None) -> Container:
    engine = create_engine(settings.async_database_url)
    sessions = session_factory(engine)
    http = httpx2.AsyncClient(
        timeout=httpx2.Timeout(connect=3.0, read=settings.pms_timeout_seconds, write=5.0, pool=3.0),
        limits=httpx2.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "roomgate/0.1"},
    )
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis or create_redis(settings.redis_url),
        http=http,
        clock=clock,
        bookings=BookingRepository(sessions),
        idempotency=IdempotencyStore(sessions),
    )
