"""Register our webhook endpoint with a hotel's PMS (Cloudbeds: one subscription per event).

The endpoint is `ROOMGATE_WEBHOOK_PUBLIC_URL` + `/api/webhooks/pms/<vendor>?token=<token>`, the token
being the hotel's `PMS_<hotelId>_WEBHOOK_TOKEN` or `ROOMGATE_WEBHOOK_URL_TOKEN`. Subscribing twice
adds nothing; unsubscribing removes only subscriptions that point at our endpoint. Mews General
Webhooks are registered by Mews on request (no API), so Mews hotels are refused with that message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from roomgate.config import Settings, env_value
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.pms.types import WebhookSubscription
from roomgate.services.ports import HotelDirectory

EVENTS = (
    "reservation/created",
    "reservation/status_changed",
    "reservation/dates_changed",
    "reservation/accommodation_changed",
    "reservation/deleted",
)
ENDPOINT_PATH = "/api/webhooks/pms/"


class SubscribingConnector(Protocol):
    async def subscribe_webhook(self, obj: str, action: str, endpoint_url: str) -> str: ...

    async def list_webhooks(self) -> list[WebhookSubscription]: ...

    async def unsubscribe_webhook(self, subscription_id: str) -> None: ...


class RawConnectors(Protocol):
    async def get_connector(self, vendor: str, hotel_id: str) -> Any: ...


@dataclass
class WebhookSubscriptions:
    settings: Settings
    hotels: HotelDirectory
    connectors: RawConnectors

    async def subscribe(self, hotel_id: str) -> list[WebhookSubscription]:
        """Subscribe every event roomgate uses; returns the hotel's subscriptions to our endpoint."""
        vendor, connector = await self._connector(hotel_id)
        endpoint = self.endpoint_url(vendor, hotel_id)
        existing = {s.event for s in await connector.list_webhooks() if s.endpoint == endpoint}
        for event in EVENTS:
            if event not in existing:
                obj, _, action = event.partition("/")
                await connector.subscribe_webhook(obj, action, endpoint)
        return await self.list(hotel_id)

    async def list(self, hotel_id: str) -> list[WebhookSubscription]:
        """The hotel's subscriptions that point at our endpoint (with any token)."""
        _vendor, connector = await self._connector(hotel_id)
        return [s for s in await connector.list_webhooks() if self._ours(s.endpoint)]

    async def unsubscribe(self, hotel_id: str) -> int:
        """Remove our subscriptions; returns how many."""
        _vendor, connector = await self._connector(hotel_id)
        ours = await self.list(hotel_id)
        for sub in ours:
            await connector.unsubscribe_webhook(sub.subscription_id)
        return len(ours)

    def endpoint_url(self, vendor: str, hotel_id: str) -> str:
        base = (self.settings.webhook_public_url or "").rstrip("/")
        if not base:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                "ROOMGATE_WEBHOOK_PUBLIC_URL이 설정되지 않았습니다 (PMS가 접근할 주소)",
            )
        global_token = self.settings.webhook_url_token
        token = env_value(f"PMS_{hotel_id}_WEBHOOK_TOKEN") or (
            global_token.get_secret_value() if global_token is not None else None
        )
        if not token:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                "웹훅 토큰이 없습니다 (ROOMGATE_WEBHOOK_URL_TOKEN 또는 PMS_<hotelId>_WEBHOOK_TOKEN)",
            )
        return f"{base}{ENDPOINT_PATH}{vendor}?token={quote(token, safe='')}"

    def _ours(self, endpoint: str) -> bool:
        base = (self.settings.webhook_public_url or "").rstrip("/")
        return bool(base) and endpoint.startswith(base + ENDPOINT_PATH)

    async def _connector(self, hotel_id: str) -> tuple[str, SubscribingConnector]:
        hotel = await self.hotels.get(hotel_id)
        if hotel is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}")
        if hotel.vendor != "cloudbeds":
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"{hotel.vendor} 웹훅은 API로 등록할 수 없습니다 (Mews: 이메일로 요청, URL에 토큰 포함)",
            )
        connector = await self.connectors.get_connector(hotel.vendor, hotel_id)
        return hotel.vendor, connector
