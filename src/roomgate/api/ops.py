"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from roomgate.api.deps import ReadinessDep
from roomgate.api.responses import HealthOut, ReadyOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, Any]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
async def readyz(probes: ReadinessDep) -> JSONResponse:
    """The database and Redis both answer; 503 names whichever does not."""
    checks: dict[str, str] = {}

    async def check(name: str, probe: Any) -> None:
        try:
            await asyncio.wait_for(probe, timeout=2.0)
            checks[name] = "ok"
        except Exception as exc:  # readiness reports, never raises
            checks[name] = f"error: {type(exc).__name__}"

    await asyncio.gather(*(check(name, probe()) for name, probe in probes.items()))
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
