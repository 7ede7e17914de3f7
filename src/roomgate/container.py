"""Composition root: build every adapter and service once from settings; close them at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx2
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomgate.cache.client import create_redis
from roomgate.cache.holds import HoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.cache.webhook_stream import WebhookStream
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Settings
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import IdempotencyStore
from roomgate.ledger.webhook_inbox import WebhookInbox
from roomgate.logging import get_logger
from roomgate.payments.base import PaymentGateway
from roomgate.payments.factory import create_gateway
from roomgate.pms.base import CredentialsProvider, PMSConnector
from roomgate.pms.env_hotels import EnvHotelDirectory
from roomgate.pms.factory import EnvCredentials, PMSConnectorFactory
from roomgate.resilience.kit import Resilience
from roomgate.services.adapters import AvailabilityPricer, DegradedGate, RedisHolds
from roomgate.services.alerts_log import LogAlerts
from roomgate.services.availability import AvailabilityService
from roomgate.services.cache_refresh import CacheRefresher
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutSaga
from roomgate.services.compensation import Compensator
from roomgate.services.faults import FaultPoints
from roomgate.services.hotel_cancellation import HotelCancellation
from roomgate.services.ports import Alerts, HotelDirectory
from roomgate.services.recovery import Recovery
from roomgate.services.webhook_effects import WebhookEffects
from roomgate.services.webhook_intake import WebhookAuthenticator
from roomgate.services.webhook_subscriptions import WebhookSubscriptions
from roomgate.services.webhook_worker import WebhookConsumer, WebhookProcessor

log = get_logger(__name__)


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    http: httpx2.AsyncClient
    clock: Clock
    credentials: CredentialsProvider
    bookings: BookingRepository
    idempotency: IdempotencyStore
    inventory: InventoryCache
    hold_ledger: HoldLedger
    pms: PMSConnectorFactory
    resilience: Resilience
    hotels: HotelDirectory
    alerts: Alerts
    availability: AvailabilityService = field(init=False)
    checkout: CheckoutSaga = field(init=False)
    cancellation: Cancellation = field(init=False)
    recovery: Recovery = field(init=False)
    refresher: CacheRefresher = field(init=False)
    webhook_inbox: WebhookInbox = field(init=False)
    webhook_stream: WebhookStream = field(init=False)
    webhook_auth: WebhookAuthenticator = field(init=False)
    webhook_effects: WebhookEffects = field(init=False)
    webhook_processor: WebhookProcessor = field(init=False)
    hotel_cancellation: HotelCancellation = field(init=False)
    webhook_subscriptions: WebhookSubscriptions = field(init=False)
    _gateways: dict[str, PaymentGateway] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.availability = AvailabilityService(self.inventory, self.connector, self.settings, self.clock)
        pricer = AvailabilityPricer(self.availability)
        holds = RedisHolds(self.hold_ledger)
        self.checkout = CheckoutSaga(
            bookings=self.bookings,
            holds=holds,
            pricer=pricer,
            connectors=self.connector,
            gateways=self.gateway,
            gate=DegradedGate(self.resilience.degraded),
            clock=self.clock,
            hold_seconds=self.settings.hold_ttl_seconds,
            lease_seconds=self.settings.recovery_after_seconds,
            faults=FaultPoints.parse(self.settings.debug_faults),
        )
        self.cancellation = Cancellation(self.bookings, self.connector, self.gateway, pricer, self.clock)
        compensator = Compensator(self.bookings, holds, self.connector, self.gateway)
        self.recovery = Recovery(
            self.bookings, compensator, self.settings.recovery_after_seconds, self.cancellation
        )
        # Keeping the cache true (issue 12): webhook inbox → stream → consumers → refresh / ledger.
        self.refresher = CacheRefresher(self.inventory, self.connector, self.clock)
        self.checkout.refresher = self.refresher
        self.hotel_cancellation = HotelCancellation(self.bookings, self.gateway, self.alerts)
        self.webhook_inbox = WebhookInbox(self.sessions)
        self.webhook_stream = WebhookStream(self.redis)
        self.webhook_auth = WebhookAuthenticator(self.settings)
        self.webhook_effects = WebhookEffects(
            self.refresher,
            self.connector,
            self.sessions,
            self.hotel_cancellation,
            self.redis,
            self.settings,
            self.clock,
        )
        self.webhook_subscriptions = WebhookSubscriptions(self.settings, self.hotels, self.pms)
        self.webhook_processor = WebhookProcessor(
            self.webhook_inbox, self.webhook_effects.apply, self.alerts, self.settings, self.clock
        )
        faults = FaultPoints.parse(self.settings.debug_faults)
        if "webhook_after_claim" in faults.actions:
            self.webhook_processor.after_claim = lambda _entry: faults.hit("webhook_after_claim")

    def webhook_consumer(self, name: str | None = None) -> WebhookConsumer:
        """A member of the webhook consumer group (one per worker task)."""
        consumer = WebhookConsumer(
            self.webhook_processor, self.webhook_stream, self.webhook_inbox, self.settings, self.clock
        )
        if name:
            consumer.name = name
        return consumer

    async def connector(self, vendor: str, hotel_id: str) -> PMSConnector:
        """The hotel's connector behind breaker, retry and rate limit; an unconfigured hotel is a 404."""
        api_key = await self.credentials.api_key(vendor, hotel_id)
        if api_key is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}의 {vendor} 연동 정보가 없습니다")
        return self.resilience.wrap(await self.pms.get_connector(vendor, hotel_id), credential=api_key)

    def gateway(self, provider: str) -> PaymentGateway:
        if provider not in self._gateways:
            self._gateways[provider] = create_gateway(provider, self.settings, self.http, self.redis)
        return self._gateways[provider]

    async def start(self) -> None:
        """Load the Lua scripts once, so every later call is a single round trip."""
        try:
            await self.inventory.preload_scripts()
            await self.hold_ledger.preload_scripts()
        except Exception as exc:  # Redis down at boot: /readyz says so, scripts load on first use
            log.warning("lua_preload_failed", error=type(exc).__name__)

    def earliest_check_in(self) -> date:
        """Yesterday in UTC: a hotel east of UTC may already be on the next day."""
        return datetime.fromtimestamp(self.clock.now(), UTC).date() - timedelta(days=1)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    redis: aioredis.Redis | None = None,
    credentials: CredentialsProvider | None = None,
    hotels: HotelDirectory | None = None,
) -> Container:
    engine = create_engine(settings.async_database_url)
    sessions = session_factory(engine)
    redis = redis or create_redis(settings.redis_url)
    http = httpx2.AsyncClient(
        timeout=httpx2.Timeout(connect=3.0, read=settings.pms_timeout_seconds, write=5.0, pool=3.0),
        limits=httpx2.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "roomgate/0.1"},
    )
    credentials = credentials or EnvCredentials(settings)
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        http=http,
        clock=clock,
        credentials=credentials,
        bookings=BookingRepository(sessions),
        idempotency=IdempotencyStore(sessions),
        inventory=InventoryCache(redis, settings, clock),
        hold_ledger=HoldLedger(redis, clock, default_ttl_seconds=settings.hold_ttl_seconds),
        pms=PMSConnectorFactory(settings, http, credentials, clock),
        resilience=Resilience.create(settings, redis, clock),
        hotels=hotels or EnvHotelDirectory(),
        alerts=LogAlerts(),
    )
