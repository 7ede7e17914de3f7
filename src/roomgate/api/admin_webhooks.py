"""Operator endpoints for webhooks (bearer token): the inbox state and PMS subscriptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from roomgate.api.deps import AdminDep, ContainerDep
from roomgate.api.schemas import ErrorOut

router = APIRouter(prefix="/api/admin/webhooks", tags=["admin"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 404)}


@router.get("/inbox", responses=_ERRORS)
async def inbox(_admin: AdminDep, container: ContainerDep) -> dict[str, Any]:
    """Inbox rows per status (received, processing, retry, processed, dead) and stream messages pending."""
    return {
        "success": True,
        "inbox": await container.webhook_inbox.counts(),
        "streamPending": await container.webhook_stream.pending(),
    }
