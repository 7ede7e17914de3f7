"""Operator endpoints for webhooks (bearer token): the inbox state and PMS subscriptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from roomgate.api.deps import AdminDep, WebhookInboxDep, WebhookStreamDep, WebhookSubscriptionsDep
from roomgate.api.schemas import ErrorOut
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.pms.types import WebhookSubscription
from roomgate.services.webhook_intake import HOTEL_ID

router = APIRouter(prefix="/api/admin/webhooks", tags=["admin"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 404)}


class InboxOut(BaseModel):
    success: bool
    inbox: dict[str, int]
    streamPending: int


class SubscriptionOut(BaseModel):
    subscriptionId: str
    event: str
    endpoint: str  # without its query: the URL token is a secret


class SubscriptionsOut(BaseModel):
    success: bool
    hotelId: str
    subscriptions: list[SubscriptionOut]


class UnsubscribedOut(BaseModel):
    success: bool
    hotelId: str
    removed: int


@router.get("/inbox", response_model=InboxOut, responses=_ERRORS)
async def inbox(_admin: AdminDep, webhook_inbox: WebhookInboxDep, stream: WebhookStreamDep) -> dict[str, Any]:
    """Inbox rows per status (received, processing, retry, processed, dead) and stream messages pending."""
    return {
        "success": True,
        "inbox": await webhook_inbox.counts(),
        "streamPending": await stream.pending(),
    }


def _subscription(sub: WebhookSubscription) -> dict[str, str]:
    # The endpoint carries the secret token: show it without its query.
    return {"subscriptionId": sub.subscription_id, "event": sub.event, "endpoint": sub.endpoint.split("?")[0]}


def _hotel(hotel_id: str) -> str:
    if not HOTEL_ID.match(hotel_id):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "hotelId 형식이 올바르지 않습니다")
    return hotel_id


@router.get("/subscriptions/{hotel_id}", response_model=SubscriptionsOut, responses=_ERRORS)
async def list_subscriptions(
    hotel_id: str, _admin: AdminDep, subscriptions: WebhookSubscriptionsDep
) -> dict[str, Any]:
    """The hotel's PMS webhook subscriptions that point at roomgate."""
    subs = await subscriptions.list(_hotel(hotel_id))
    return {"success": True, "hotelId": hotel_id, "subscriptions": [_subscription(s) for s in subs]}


@router.post("/subscriptions/{hotel_id}", response_model=SubscriptionsOut, responses=_ERRORS)
async def subscribe(
    hotel_id: str, _admin: AdminDep, subscriptions: WebhookSubscriptionsDep
) -> dict[str, Any]:
    """Subscribe roomgate's endpoint to every reservation event of the hotel's PMS (idempotent)."""
    subs = await subscriptions.subscribe(_hotel(hotel_id))
    return {"success": True, "hotelId": hotel_id, "subscriptions": [_subscription(s) for s in subs]}


@router.delete("/subscriptions/{hotel_id}", response_model=UnsubscribedOut, responses=_ERRORS)
async def unsubscribe(
    hotel_id: str, _admin: AdminDep, subscriptions: WebhookSubscriptionsDep
) -> dict[str, Any]:
    """Remove roomgate's subscriptions from the hotel's PMS."""
    removed = await subscriptions.unsubscribe(_hotel(hotel_id))
    return {"success": True, "hotelId": hotel_id, "removed": removed}
