"""`POST /api/webhooks/pms/{vendor}`: authenticate, store in the inbox, enqueue, answer (README: Webhooks).

The answer does not wait for processing: the event is durable once its inbox row is written; the
Redis Stream only wakes the consumers (if Redis is down, the sweeper enqueues the row later).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from roomgate.api.errors import error_response
from roomgate.api.schemas import ErrorOut
from roomgate.container import Container
from roomgate.domain.errors import ErrorCode
from roomgate.logging import get_logger
from roomgate.metrics import WEBHOOK_RECEIVED
from roomgate.services.webhook_intake import Ignored, IntakeRefused

log = get_logger(__name__)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 413)}


class BodyTooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
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
) -> JSONResponse:
    """A PMS event: our signed format (`x-pms-signature`) or the vendor's native payload (`?token=`)."""
    # Not a Depends: FastAPI runs sync dependencies in a thread pool, a cost paid on every delivery.
    container: Container = request.app.state.container
    settings = container.settings
    try:
        body = await _bounded_body(request, settings.webhook_max_body_bytes)
    except BodyTooLarge:
        return _refused(vendor, 413, f"body exceeds {settings.webhook_max_body_bytes} bytes")
    now = container.clock.now()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        accepted = container.webhook_auth.accept(vendor, body, headers, dict(request.query_params), now)
    except IntakeRefused as refused:
        if refused.status == 401:
            log.warning("webhook_refused", vendor=vendor if vendor in ("cloudbeds", "mews") else "other")
        return _refused(vendor, refused.status, refused.message)
    if isinstance(accepted, Ignored):
        WEBHOOK_RECEIVED.labels(vendor, "ignored").inc()
        return JSONResponse({"success": True, "ignored": True, "reason": accepted.reason})
    hotel = await container.hotels.get(accepted.hotel_id)
    if hotel is None or hotel.vendor != vendor:
        return _refused(vendor, 400, f"hotel {accepted.hotel_id} is not connected to {vendor}")
    stored = await container.webhook_inbox.store(
        vendor=accepted.vendor,
        event_id=accepted.event_id,
        event_type=accepted.event_type,
        hotel_id=accepted.hotel_id,
        payload=accepted.payload,
        now=now,
        enqueue_again_after=settings.webhook_sweep_after_seconds,
    )
    if stored.duplicate:
        WEBHOOK_RECEIVED.labels(vendor, "duplicate").inc()
    else:
        WEBHOOK_RECEIVED.labels(vendor, "accepted").inc()
        try:
            await container.webhook_stream.add(stored.row_id)
        except Exception as exc:  # the inbox row is durable: the sweeper enqueues it later
            log.warning("webhook_enqueue_failed", row=stored.row_id, error=type(exc).__name__)
    return JSONResponse(
        {"success": True, "eventId": accepted.event_id, "duplicate": stored.duplicate}, status_code=200
    )
