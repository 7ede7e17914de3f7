"""Operator endpoints for polling sync and reconciliation (bearer token `ROOMGATE_ADMIN_TOKEN`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from roomgate.api.deps import AdminDep, PollingDep, ReconcilerDep
from roomgate.api.schemas import ID_PATTERN, ErrorOut
from roomgate.domain.polling import PollingStatus, PollOutcome

router = APIRouter(prefix="/api/admin", tags=["admin: polling sync"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 404)}
VendorPath = Annotated[Literal["cloudbeds", "mews"], Path(description="the hotel's PMS vendor")]
HotelPath = Annotated[str, Path(pattern=ID_PATTERN)]


class PollingStatusOut(BaseModel):
    hotelId: str
    vendor: str
    isRunning: bool
    lastSyncAt: datetime | None
    nextSyncAt: datetime | None
    errorCount: int
    lastError: str | None
    stoppedReason: str | None
    lastChanges: dict[str, int]

    @classmethod
    def of(cls, status: PollingStatus) -> PollingStatusOut:
        return cls(
            hotelId=status.hotel_id,
            vendor=status.vendor,
            isRunning=status.is_running,
            lastSyncAt=status.last_sync_at,
            nextSyncAt=status.next_sync_at,
            errorCount=status.error_count,
            lastError=status.last_error,
            stoppedReason=status.stopped_reason,
            lastChanges={k: int(v) for k, v in status.last_changes.items()},
        )


class PollingListOut(BaseModel):
    success: Literal[True] = True
    hotels: list[PollingStatusOut]


class PollingOneOut(BaseModel):
    success: Literal[True] = True
    status: PollingStatusOut


class SyncOut(BaseModel):
    success: Literal[True] = True
    changes: dict[str, int]
    status: PollingStatusOut


class ReconciliationOut(BaseModel):
    success: Literal[True] = True
    report: dict[str, Any] | None


@router.get("/polling", responses=_ERRORS)
async def polling_all(_admin: AdminDep, polling: PollingDep) -> PollingListOut:
    """Polling status of every configured hotel."""
    return PollingListOut(hotels=[PollingStatusOut.of(s) for s in await polling.statuses()])


@router.get("/polling/{vendor}/{hotel_id}", responses=_ERRORS)
async def polling_one(
    vendor: VendorPath, hotel_id: HotelPath, _admin: AdminDep, polling: PollingDep
) -> PollingOneOut:
    """Polling status of one hotel: running, last and next sync, errors, why it stopped."""
    return PollingOneOut(status=PollingStatusOut.of(await polling.status(vendor, hotel_id)))


@router.post("/polling/{vendor}/{hotel_id}/start", responses=_ERRORS)
async def polling_start(
    vendor: VendorPath, hotel_id: HotelPath, _admin: AdminDep, polling: PollingDep
) -> PollingOneOut:
    """Start (or restart) polling one hotel; resets the error count and polls at the next round."""
    return PollingOneOut(status=PollingStatusOut.of(await polling.start(vendor, hotel_id)))


@router.post("/polling/{vendor}/{hotel_id}/stop", responses=_ERRORS)
async def polling_stop(
    vendor: VendorPath, hotel_id: HotelPath, _admin: AdminDep, polling: PollingDep
) -> PollingOneOut:
    """Stop polling one hotel (persisted until started again)."""
    return PollingOneOut(status=PollingStatusOut.of(await polling.stop(vendor, hotel_id)))


@router.post("/polling/{vendor}/{hotel_id}/sync", responses={**_ERRORS, 409: {"model": ErrorOut}})
async def polling_sync(
    vendor: VendorPath, hotel_id: HotelPath, _admin: AdminDep, polling: PollingDep
) -> SyncOut:
    """Poll this hotel now; answers when the poll is done, with what it read and changed."""
    outcome: PollOutcome = await polling.sync_now(vendor, hotel_id)
    status = await polling.status(vendor, hotel_id)
    return SyncOut(changes=outcome.as_dict(), status=PollingStatusOut.of(status))


@router.get("/reconciliation", responses=_ERRORS)
async def reconciliation(_admin: AdminDep, reconciler: ReconcilerDep) -> ReconciliationOut:
    """The latest reconciliation report: confirmed bookings that differ from the PMS, and how."""
    return ReconciliationOut(report=await reconciler.last_report())


@router.post("/reconciliation/run", responses=_ERRORS)
async def reconciliation_run(_admin: AdminDep, reconciler: ReconcilerDep) -> ReconciliationOut:
    """Reconcile now (also done by `roomgate worker` every ROOMGATE_RECONCILE_INTERVAL_SECONDS)."""
    return ReconciliationOut(report=(await reconciler.run_once()).as_dict())
