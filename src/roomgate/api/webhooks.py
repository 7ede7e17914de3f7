"""`POST /api/webhooks/pms/{vendor}`: read the body (bounded), hand it to the receiver
(services/webhook_receiver.py: authenticate, store in the inbox, enqueue), answer (README: Webhooks).

The answer does not wait for processing: the event is durable once its inbox row is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from roomgate.api.deps import SettingsDep, WebhookReceiverDep
from roomgate.api.errors import error_response
from roomgate.api.schemas import ErrorOut
from roomgate.domain.errors import ErrorCode
from roomgate.logging import get_logger
from roomgate.metrics import WEBHOOK_RECEIVED
from roomgate.services.webhook_intake import Ignored, IntakeRefused

log = get_logger(__name__)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 413)}


class WebhookBodyTooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise WebhookBodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WebhookBodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refused(vendor: str, status: int, message: str) -> JSONResponse:
    WEBHOOK_RECEIVED.labels(vendor if vendor in ("cloudbeds", "mews") else "other", f"refused_{status}").inc()
    code = ErrorCode.UNAUTHORIZED if status == 401 else ErrorCode.VALIDATION_ERROR
    return error_response(code, f"{code.message}: {message}", status=status)


class WebhookAckOut(BaseModel):
    """The answer a PMS gets: accepted (or a duplicate of an accepted event), or ignored with why."""

    success: bool
    eventId: str | None = None
    duplicate: bool | None = None
    ignored: bool | None = None
    reason: str | None = None


@router.post("/pms/{vendor}", responses={200: {"model": WebhookAckOut}, **_ERRORS}, response_model=None)
async def receive(
    vendor: Annotated[
        str,
        Path(
            pattern=r"^[a-z][a-z0-9_-]{0,31}$",
            description="cloudbeds, mews, or a name for the spec's signed format",
        ),
    ],
    request: Request,
    receiver: WebhookReceiverDep,
    settings: SettingsDep,
) -> JSONResponse:
    """A PMS event: our signed format (`x-pms-signature`) or the vendor's native payload (`?token=`)."""
    try:
        body = await _bounded_body(request, settings.webhook_max_body_bytes)
    except WebhookBodyTooLarge:
        return _refused(vendor, 413, f"body exceeds {settings.webhook_max_body_bytes} bytes")
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        receipt = await receiver.receive(vendor, body, headers, dict(request.query_params))
    except IntakeRefused as refused:
        if refused.status == 401:
            log.warning("webhook_refused", vendor=vendor if vendor in ("cloudbeds", "mews") else "other")
        return _refused(vendor, refused.status, refused.message)
    if isinstance(receipt, Ignored):
        WEBHOOK_RECEIVED.labels(vendor, "ignored").inc()
        return JSONResponse({"success": True, "ignored": True, "reason": receipt.reason})
    WEBHOOK_RECEIVED.labels(vendor, "duplicate" if receipt.duplicate else "accepted").inc()
    return JSONResponse(
        {"success": True, "eventId": receipt.event_id, "duplicate": receipt.duplicate}, status_code=200
    )
