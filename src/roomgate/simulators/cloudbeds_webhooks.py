"""Cloudbeds simulator webhooks: `postWebhook`, `getWebhooks`, `deleteWebhook` and thin event POSTs.

One subscription per (object, action, endpoint) and property (or every property when `propertyID` is
empty), as the v1.3 spec describes; an event goes to every matching subscription's endpoint. Bodies
follow the recorded samples (vendor-apis §1.8): `propertyID` and `propertyID_str`, `reservationID`,
`version`, `event`, float `timestamp`.
"""

from __future__ import annotations

from typing import Any

from roomgate.clock import Clock
from roomgate.simulators.pms_state import PmsSimState, SimReservation
from roomgate.simulators.webhook_delivery import WebhookDelivery

OWNER_ID = "sim-api-client"


class SubscriptionRefused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class CloudbedsWebhooks:
    def __init__(self, state: PmsSimState, clock: Clock, delivery: WebhookDelivery) -> None:
        self.state = state
        self.clock = clock
        self.delivery = delivery
        self.subscriptions: dict[str, dict[str, str | None]] = {}

    def reset(self) -> None:
        self.subscriptions.clear()
        self.delivery.reset()

    def subscribe(self, form: dict[str, Any]) -> str:
        """`postWebhook`: returns the subscription id (the same one for an identical subscription)."""
        obj, action, url = (str(form.get(k) or "") for k in ("object", "action", "endpointUrl"))
        property_id = str(form.get("propertyID") or "") or None
        if not obj or not action or not url:
            raise SubscriptionRefused("Parameters object, action and endpointUrl are required")
        if not url.startswith(("http://", "https://")):
            raise SubscriptionRefused("endpointUrl must be an http(s) URL")
        if property_id is not None and property_id not in self.state.properties:
            raise SubscriptionRefused("You don't have access to property ID", 200)
        wanted = {"object": obj, "action": action, "endpoint": url, "propertyID": property_id}
        for sub_id, existing in self.subscriptions.items():
            if existing == wanted:
                return sub_id
        sub_id = self.state.new_digits(10)
        self.subscriptions[sub_id] = wanted
        return sub_id

    def listing(self, property_id: str | None) -> list[dict[str, Any]]:
        """`getWebhooks` items."""
        return [
            {
                "id": sub_id,
                "key": {"type": "property", "id": sub["propertyID"]}
                if sub["propertyID"]
                else {"type": "user", "id": OWNER_ID},
                "event": {"entity": sub["object"], "action": sub["action"]},
                "owner": {"type": "api_client", "id": OWNER_ID},
                "subscriptionType": "webhook",
                "subscriptionData": {"endpoint": sub["endpoint"]},
            }
            for sub_id, sub in self.subscriptions.items()
            if not property_id or sub["propertyID"] in (None, property_id)
        ]

    def unsubscribe(self, subscription_id: str) -> None:
        if not subscription_id:
            raise SubscriptionRefused("Parameter subscriptionID is required")
        if self.subscriptions.pop(subscription_id, None) is None:
            raise SubscriptionRefused("Subscription not found", 200)

    def reservation_event(self, action: str, res: SimReservation, **extra: Any) -> None:
        """Deliver `reservation/<action>` for `res` to every matching subscription."""
        body: dict[str, Any] = {
            "reservationID": res.reservation_id,
            "propertyID": res.property_id,
            "propertyID_str": res.property_id,
            **extra,
            "version": "1.0",
            "event": f"reservation/{action}",
            "timestamp": round(self.clock.now(), 6),
        }
        for sub in self.subscriptions.values():
            if sub["object"] != "reservation" or sub["action"] != action:
                continue
            if sub["propertyID"] not in (None, res.property_id):
                continue
            self.delivery.emit(str(sub["endpoint"]), body)
