"""FastAPI dependencies: the one service a route needs (not the whole container), and admin
authentication.

Each is an `async def`: FastAPI runs a plain `def` dependency in its thread pool, a hop that cost the
hot availability routes more than their Redis read."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from roomgate.api.admin_session import CSRF_HEADER, SAFE_METHODS, AdminSessions, token_matches
from roomgate.cache.webhook_stream import WebhookStream
from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.container import Container
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.ledger.booking_search import BookingSearch
from roomgate.ledger.db import ping
from roomgate.ledger.listings import ListingRepository
from roomgate.ledger.webhook_inbox import WebhookInbox
from roomgate.resilience.wiring import Resilience
from roomgate.services.availability import AvailabilityService
from roomgate.services.booking_ledger import BookingLedger
from roomgate.services.cancellation import Cancellation
from roomgate.services.hotel_access import HotelAccess
from roomgate.services.idempotent_checkout import IdempotentCheckout
from roomgate.services.listings_admin import ListingsAdmin
from roomgate.services.polling import PollingSync
from roomgate.services.reconciliation import Reconciler
from roomgate.services.webhook_receiver import WebhookReceiver
from roomgate.services.webhook_subscriptions import WebhookSubscriptions

T = TypeVar("T")


def part(pick: Callable[[Container], T]) -> Any:
    """A dependency giving a route one part of the container (`Annotated[Service, part(...)]`)."""

    async def dependency(request: Request) -> T:
        return pick(request.app.state.container)

    return Depends(dependency)


AvailabilityDep = Annotated[AvailabilityService, part(lambda c: c.availability)]
HotelAccessDep = Annotated[HotelAccess, part(lambda c: c.hotel_access)]
CheckoutDep = Annotated[IdempotentCheckout, part(lambda c: c.idempotent_checkout)]
CancellationDep = Annotated[Cancellation, part(lambda c: c.cancellation)]
BookingsDep = Annotated[BookingLedger, part(lambda c: c.bookings)]
SettingsDep = Annotated[Settings, part(lambda c: c.settings)]
BookingSearchDep = Annotated[BookingSearch, part(lambda c: c.booking_search)]
ListingsAdminDep = Annotated[ListingsAdmin, part(lambda c: c.listings_admin)]
ListingsDep = Annotated[ListingRepository, part(lambda c: c.listings)]
PollingDep = Annotated[PollingSync, part(lambda c: c.polling)]
ReconcilerDep = Annotated[Reconciler, part(lambda c: c.reconciler)]
ResilienceDep = Annotated[Resilience, part(lambda c: c.resilience)]
WebhookInboxDep = Annotated[WebhookInbox, part(lambda c: c.webhook_inbox)]
WebhookStreamDep = Annotated[WebhookStream, part(lambda c: c.webhook_stream)]
WebhookReceiverDep = Annotated[WebhookReceiver, part(lambda c: c.webhook_receiver)]
WebhookSubscriptionsDep = Annotated[WebhookSubscriptions, part(lambda c: c.webhook_subscriptions)]
ClockDep = Annotated[Clock, part(lambda c: c.clock)]
RedisDep = Annotated[aioredis.Redis, part(lambda c: c.redis)]
AdminSessionsDep = Annotated[AdminSessions, part(lambda c: AdminSessions(c.redis))]

ReadinessProbes = dict[str, Callable[[], Awaitable[Any]]]
"""What /readyz asks, by check name: each call starts one probe (it raises when that part is down)."""


def readiness_probes(container: Container) -> ReadinessProbes:
    return {"database": lambda: ping(container.engine), "redis": container.redis.ping}


ReadinessDep = Annotated[ReadinessProbes, part(readiness_probes)]


# Documented as the HTTP bearer security scheme (the Authorize button of /docs); checked below so a
# missing or wrong token is the spec's 401 with `WWW-Authenticate: Bearer`.
ADMIN_BEARER = HTTPBearer(
    scheme_name="adminToken", description="ROOMGATE_ADMIN_TOKEN (the demo prints one)", auto_error=False
)


async def require_admin(
    request: Request,
    settings: SettingsDep,
    sessions: AdminSessionsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(ADMIN_BEARER)],
) -> None:
    """Bearer token from ROOMGATE_ADMIN_TOKEN, or the admin page's session cookie (plus its CSRF
    token on unsafe methods); without a configured token, admin endpoints are closed."""
    expected = settings.admin_token
    if expected is None:
        raise DomainError(ErrorCode.UNAUTHORIZED)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        token = credentials.credentials if credentials is not None else ""
        if token and hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
            return
        raise DomainError(ErrorCode.UNAUTHORIZED)
    csrf = await sessions.csrf_token(request)
    if csrf is None:
        raise DomainError(ErrorCode.UNAUTHORIZED)
    if request.method not in SAFE_METHODS and not token_matches(request.headers.get(CSRF_HEADER), csrf):
        raise DomainError(ErrorCode.UNAUTHORIZED, message="CSRF 토큰이 없거나 올바르지 않습니다")


AdminDep = Annotated[None, Depends(require_admin)]
