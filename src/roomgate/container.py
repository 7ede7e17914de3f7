"""Composition root: build every adapter and service once from settings; close them at shutdown."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomgate.cache import keys
from roomgate.cache.client import create_redis
from roomgate.cache.holds import RedisHoldLedger
from roomgate.cache.inventory import InventoryCache
from roomgate.cache.polling_lease import PollingLease
from roomgate.cache.report_store import RedisReportStore
from roomgate.cache.scripts import register
from roomgate.cache.webhook_stream import WebhookStream
from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.config import Environment, Settings, SettingsError
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.ledger.booked_stays import ConfirmedBookingsReader
from roomgate.ledger.booking_rooms import BookingRooms
from roomgate.ledger.booking_search import BookingSearch
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.idempotency import IdempotencyStore
from roomgate.ledger.listings import ListingRepository
from roomgate.ledger.polling_state import PollingStateRepository
from roomgate.ledger.webhook_inbox import WebhookInbox
from roomgate.logging import get_logger
from roomgate.payments.base import PaymentGateway, PaymentProviderUnusable
from roomgate.payments.factory import create_gateway
from roomgate.pms.base import CredentialsProvider, PMSConnector
from roomgate.pms.db_hotels import DatabaseHotels, LayeredCredentials, LayeredHotelDirectory
from roomgate.pms.env_hotels import EnvHotelDirectory
from roomgate.pms.errors import PMSAuthenticationError
from roomgate.pms.factory import EnvCredentials, PMSConnectorFactory
from roomgate.resilience.wiring import Resilience
from roomgate.secrets_box import SecretBox
from roomgate.services.adapters import AvailabilityPricer, CacheRestocker, DegradedGate, RedisHolds
from roomgate.services.alerts_webhook import WebhookAlerts
from roomgate.services.availability import AvailabilityService
from roomgate.services.breaker_alerts import alert_when_open
from roomgate.services.cache_refresh import CacheRefresher
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutSaga
from roomgate.services.compensation import Compensator
from roomgate.services.faults import FaultPoints
from roomgate.services.hotel_access import HotelAccess
from roomgate.services.hotel_cancellation import HotelCancellation
from roomgate.services.hotel_import import HotelImporter
from roomgate.services.idempotent_checkout import IdempotentCheckout
from roomgate.services.listings_admin import ListingsAdmin
from roomgate.services.pms_refresh import PmsRefresh
from roomgate.services.polling import PollingConfig, PollingSync
from roomgate.services.ports import Alerts, HotelDirectory
from roomgate.services.price_check import PriceTolerance
from roomgate.services.reconciliation import Reconciler
from roomgate.services.recovery import Recovery
from roomgate.services.webhook_effects import WebhookEffects
from roomgate.services.webhook_intake import WebhookAuthenticator
from roomgate.services.webhook_receiver import WebhookReceiver
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
    hold_ledger: RedisHoldLedger
    pms: PMSConnectorFactory
    resilience: Resilience
    hotels: HotelDirectory
    alerts: Alerts
    secrets: SecretBox | None
    listings: ListingRepository
    stored_hotels: DatabaseHotels
    availability: AvailabilityService = field(init=False)
    hotel_access: HotelAccess = field(init=False)
    checkout: CheckoutSaga = field(init=False)
    booking_rooms: BookingRooms = field(init=False)
    idempotent_checkout: IdempotentCheckout = field(init=False)
    cancellation: Cancellation = field(init=False)
    recovery: Recovery = field(init=False)
    polling: PollingSync = field(init=False)
    reconciler: Reconciler = field(init=False)
    listings_admin: ListingsAdmin = field(init=False)
    booking_search: BookingSearch = field(init=False)
    pms_refresh: PmsRefresh = field(init=False)
    refresher: CacheRefresher = field(init=False)
    webhook_inbox: WebhookInbox = field(init=False)
    webhook_stream: WebhookStream = field(init=False)
    webhook_auth: WebhookAuthenticator = field(init=False)
    webhook_receiver: WebhookReceiver = field(init=False)
    webhook_effects: WebhookEffects = field(init=False)
    webhook_processor: WebhookProcessor = field(init=False)
    hotel_cancellation: HotelCancellation = field(init=False)
    webhook_subscriptions: WebhookSubscriptions = field(init=False)
    _gateways: dict[str, PaymentGateway] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hotel_access = HotelAccess(self.settings, self.clock, self.hotels, self.stored_hotels)
        self.availability = AvailabilityService(self.inventory, self.connector, self.settings, self.clock)
        pricer = AvailabilityPricer(self.availability)
        holds = RedisHolds(self.hold_ledger)
        self.booking_rooms = BookingRooms(self.sessions)
        tolerance = PriceTolerance(self.settings.price_tolerance_minor, self.settings.price_tolerance_percent)
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
            rooms=self.booking_rooms,
            price_tolerance=tolerance,
        )
        self.idempotent_checkout = IdempotentCheckout(
            self.checkout,
            self.idempotency,
            self.bookings,
            self.hotel_access.admit_checkout,
            rooms=self.booking_rooms,
        )
        restocker = CacheRestocker(self.inventory)
        self.cancellation = Cancellation(
            self.bookings, self.connector, self.gateway, restocker, self.clock, rooms=self.booking_rooms
        )
        compensator = Compensator(self.bookings, holds, self.connector, self.gateway, self.booking_rooms)
        self.recovery = Recovery(
            self.bookings,
            compensator,
            self.settings.recovery_after_seconds,
            self.cancellation,
            alerts=self.alerts,
            clock=self.clock,
            price_tolerance=tolerance,
        )
        self.resilience.breaker.on_state_change(alert_when_open(self.alerts))
        # Keeping the cache true (issue 12): webhook inbox → stream → consumers → refresh / ledger.
        self.pms_refresh = PmsRefresh(
            self.inventory, self.clock, max_nights_per_read=self.settings.max_range_days
        )
        self.refresher = CacheRefresher(self.pms_refresh, self.connector, self.clock)
        self.checkout.refresher = self.refresher
        self.hotel_cancellation = HotelCancellation(
            self.bookings, self.gateway, self.alerts, rooms=self.booking_rooms
        )
        self.webhook_inbox = WebhookInbox(self.sessions)
        self.webhook_stream = WebhookStream(self.redis)
        self.webhook_auth = WebhookAuthenticator(self.settings)
        self.webhook_receiver = WebhookReceiver(
            self.webhook_auth,
            self.hotels,
            self.webhook_inbox,
            self.webhook_stream,
            self.clock,
            enqueue_again_after=self.settings.webhook_sweep_after_seconds,
        )
        self.webhook_effects = WebhookEffects(
            self.refresher,
            self.connector,
            self.bookings,
            self.listings,
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
        self._build_sync()

    def _build_sync(self) -> None:
        """Polling sync and reconciliation (both write the cache like a fill, never over newer changes)."""
        cfg = self.settings
        self.polling = PollingSync(
            hotels=self.hotels,
            states=PollingStateRepository(self.sessions),
            lease=PollingLease(self.redis),
            connectors=self.connector,
            refresh=self.pms_refresh,
            alerts=self.alerts,
            clock=self.clock,
            config=PollingConfig(
                days=cfg.polling_days,
                failure_limit=cfg.polling_failure_limit,
                jitter_ratio=cfg.polling_jitter_ratio,
                lease_seconds=max(60.0, 4 * cfg.retry_deadline_seconds),
                delta_overlap_seconds=cfg.polling_delta_overlap_seconds,
            ),
            faults=FaultPoints.parse(cfg.debug_faults),
        )
        self.reconciler = Reconciler(
            bookings=ConfirmedBookingsReader(self.sessions),
            connectors=self.connector,
            refresh=self.pms_refresh,
            alerts=self.alerts,
            reports=RedisReportStore(self.redis),
            clock=self.clock,
            days=cfg.reconcile_days,
        )
        self.booking_search = BookingSearch(self.sessions)
        self.listings_admin = ListingsAdmin(
            HotelImporter(self.connector_with_key, self.clock),
            self.listings,
            self.stored_hotels,
            self.secrets,
            self.bump_view,
        )

    async def connector_with_key(self, vendor: str, hotel_id: str, api_key: str) -> PMSConnector:
        """A bare connector with a key an operator typed (admin preview): no breaker, no retries."""
        if vendor == "mews" and not (
            self.settings.mews_client_token and self.settings.mews_client_token.get_secret_value()
        ):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, "MEWS_CLIENT_TOKEN이 설정되지 않아 Mews에 연결할 수 없습니다"
            )
        try:
            return self.pms.build(vendor, hotel_id, api_key)
        except PMSAuthenticationError:
            raise DomainError(ErrorCode.PMS_AUTH_FAILED) from None

    async def bump_view(self, hotel_id: str) -> None:
        """Rendered availability answers of the hotel lapse on every process."""
        await register(self.redis, "view_version_bump")(keys=[keys.view_version(hotel_id)])

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
        await self.hotel_access.require_vendor(vendor, hotel_id)
        api_key = await self.credentials.api_key(vendor, hotel_id)
        if api_key is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}의 {vendor} 연동 정보가 없습니다")
        return self.resilience.wrap(await self.pms.get_connector(vendor, hotel_id), credential=api_key)

    def gateway(self, provider: str) -> PaymentGateway:
        """The gateway for a provider a checkout named (allow-listed by the API) or a booking recorded;
        `PaymentProviderUnusable` if this deployment cannot act there (no key, sandbox in production)."""
        if provider not in self._gateways:
            try:
                self._gateways[provider] = create_gateway(provider, self.settings, self.http, self.redis)
            except SettingsError as exc:
                raise PaymentProviderUnusable(str(exc), provider=provider[:20]) from None
        return self._gateways[provider]

    async def start(self) -> None:
        """Load the Lua scripts once, so every later call is a single round trip."""
        await self._refuse_unreadable_credentials()
        try:
            await self.inventory.preload_scripts()
            await self.hold_ledger.preload_scripts()
        except Exception as exc:  # Redis down at boot: /readyz says so, scripts load on first use
            log.warning("lua_preload_failed", error=type(exc).__name__)

    async def _refuse_unreadable_credentials(self) -> None:
        if self.secrets is not None:
            return
        try:
            stored = await self.listings.stored_credential_count()
        except Exception as exc:  # no table yet (not migrated) or database down: /readyz says so
            log.warning("stored_credentials_check_failed", error=type(exc).__name__)
            return
        if stored and self.settings.env is Environment.PRODUCTION:
            raise RuntimeError(
                f"{stored} PMS credential(s) are stored in the database but ROOMGATE_SECRET_KEY is not set; "
                "refusing to start in production"
            )
        if stored:
            log.error("stored_credentials_unreadable", count=stored, reason="ROOMGATE_SECRET_KEY is not set")

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
    clock = FaultPoints.parse(settings.debug_faults).clock(clock)
    engine = create_engine(settings.async_database_url)
    sessions = session_factory(engine)
    redis = redis or create_redis(settings.redis_url)
    http = httpx2.AsyncClient(
        timeout=httpx2.Timeout(connect=3.0, read=settings.pms_timeout_seconds, write=5.0, pool=3.0),
        limits=httpx2.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "roomgate/0.1"},
    )
    secrets = SecretBox.from_setting(settings.secret_key.get_secret_value() if settings.secret_key else None)
    listings = ListingRepository(sessions)
    stored_hotels = DatabaseHotels(listings, redis, secrets, clock, settings.hotels_recheck_seconds)
    credentials = credentials or LayeredCredentials(stored_hotels, EnvCredentials(settings))
    return Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=redis,
        http=http,
        clock=clock,
        credentials=credentials,
        bookings=BookingRepository(sessions, clock),
        idempotency=IdempotencyStore(sessions, clock=clock),
        inventory=InventoryCache(redis, settings, clock),
        hold_ledger=RedisHoldLedger(
            redis,
            clock,
            default_ttl_seconds=settings.hold_ttl_seconds,
            skip_check=FaultPoints.parse(settings.debug_faults).skips("hold_check"),
        ),
        pms=PMSConnectorFactory(settings, http, credentials, clock),
        resilience=Resilience.create(settings, redis, clock),
        alerts=WebhookAlerts(
            http=http,
            url=settings.alert_webhook_url,
            redis=redis,
            clock=clock,
            dedup_seconds=settings.alert_dedup_seconds,
            timeout_seconds=settings.alert_timeout_seconds,
        ),
        hotels=hotels or LayeredHotelDirectory(stored_hotels, EnvHotelDirectory()),
        secrets=secrets,
        listings=listings,
        stored_hotels=stored_hotels,
    )
