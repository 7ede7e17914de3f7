"""Operator endpoints (bearer token `ROOMGATE_ADMIN_TOKEN`): resilience status and degraded mode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import REGISTRY
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from roomgate.api.deps import AdminDep, ResilienceDep
from roomgate.api.responses import AdminStatusOut, DegradedOut, errors

router = APIRouter(prefix="/api/admin", tags=["admin"])


class DegradedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = Field(description="true switches degraded (read-only) mode on, false off")
    reason: str = Field(default="관리자 설정", min_length=1, max_length=200)
    hotelId: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.\-]{1,100}$", description="omit for all hotels"
    )


def cache_hit_rate() -> dict[str, Any]:
    """Hits and misses of this process's cache look-ups, from the Prometheus counters."""
    hits = misses = 0.0
    for metric in REGISTRY.collect():
        if metric.name != "roomgate_cache_requests":
            continue
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                if sample.labels.get("result") == "hit":
                    hits += sample.value
                elif sample.labels.get("result") == "miss":
                    misses += sample.value
    looked_up = hits + misses
    return {
        "hits": int(hits),
        "misses": int(misses),
        "hitRate": round(hits / looked_up, 4) if looked_up else None,
    }


@router.get("/status", response_model=AdminStatusOut, responses=errors(401))
async def status(_admin: AdminDep, resilience: ResilienceDep) -> dict[str, Any]:
    """Circuit breakers per vendor/hotel, degraded flags and the cache hit rate."""
    breakers = await resilience.breaker.all_states()
    return {
        "success": True,
        "breakers": [b.as_dict() for b in breakers],
        "degraded": await resilience.degraded.status(),
        "cache": cache_hit_rate(),
    }


@router.post("/degraded", response_model=DegradedOut, responses=errors(400, 401))
async def set_degraded(body: DegradedIn, _admin: AdminDep, resilience: ResilienceDep) -> dict[str, Any]:
    """Switch degraded mode on (with a reason) or off, for one hotel or for the whole service."""
    degraded = resilience.degraded
    if body.enabled:
        await degraded.enable_degraded_mode(body.reason, body.hotelId)
    else:
        await degraded.disable_degraded_mode(body.hotelId)
    return {"success": True, "degraded": await degraded.status()}
