"""Mews simulator General Webhooks: one URL per integration (`PUT /_sim/webhooks {"url"}`), bodies
`{"EnterpriseId", "IntegrationId", "Events": [{"Discriminator", "Value": {"Id"}}]}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from roomgate.simulators.webhook_delivery import WebhookDelivery

INTEGRATION_ID = "3f7a1f0e-0000-4000-8000-00000000a11e"


class WebhookTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


class MewsWebhooks:
    def __init__(self, delivery: WebhookDelivery) -> None:
        self.delivery = delivery
        self.url: str | None = None

    def reset(self) -> None:
        self.url = None
        self.delivery.reset()

    def service_orders_updated(self, enterprise_id: str, reservation_ids: list[str]) -> None:
        """Reservations (service orders) changed: one message listing them."""
        if self.url is None or not reservation_ids:
            return
        events = [{"Discriminator": "ServiceOrderUpdated", "Value": {"Id": rid}} for rid in reservation_ids]
        body: dict[str, Any] = {
            "EnterpriseId": enterprise_id,
            "IntegrationId": INTEGRATION_ID,
            "Events": events,
        }
        self.delivery.emit(self.url, body)

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/_sim", tags=["simulator control"])

        @router.put("/webhooks")
        async def set_url(target: WebhookTarget) -> dict[str, Any]:
            """The General Webhook URL (Mews registers it by e-mail; `null` stops delivery)."""
            self.url = target.url
            return {"ok": True}

        return router
