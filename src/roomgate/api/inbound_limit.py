"""Inbound rate limit on the public API, per client IP and traffic class, shared through Redis.

A misbehaving front end must not exhaust a hotel's PMS quota or the checkout path. Each client has two
token buckets in Redis (`reads`: availability, inventory, booking status; `writes`: checkout, cancel),
refilled at `limit` per minute. A process leases a few tokens at a time and spends them locally, so a
busy client costs about one Redis call per `LEASE` requests per process, and the global limit is never
exceeded (an unspent lease lapses after `LEASE_SECONDS` and is lost, erring on the strict side).
Refused requests get 429 in the spec's shape with `Retry-After`. When Redis cannot answer, requests
pass (availability must keep working without Redis) and the failure is counted.

The client is the socket peer; behind a proxy, run uvicorn with `--forwarded-allow-ips` so it is the
`X-Forwarded-For` address the proxy vouches for.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from roomgate.api.errors import error_response
from roomgate.cache import scripts
from roomgate.domain.errors import ErrorCode
from roomgate.logging import get_logger

log = get_logger(__name__)

LEASE = 5
LEASE_SECONDS = 1.0
PERIOD_MS = 60_000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PREFIXES = ("/api/admin", "/api/webhooks")

INBOUND_LIMITED = Counter(
    "roomgate_inbound_rate_limit_total",
    "Public API requests by rate-limit decision: allowed, refused, error (Redis failed; let through)",
    ["traffic", "decision"],
)


@dataclass(slots=True)
class _Lease:
    tokens: int
    until: float


def traffic_class(method: str, path: str) -> str | None:
    """`reads` or `writes` for the public API; None for what the limit does not cover."""
    if not path.startswith("/api/") or path.startswith(EXEMPT_PREFIXES):
        return None
    return "writes" if method in WRITE_METHODS else "reads"


def bucket_key(client: str, traffic: str) -> str:
    digest = hashlib.sha256(client.encode()).hexdigest()[:24]
    return f"inrate:{{{digest}}}:{traffic}"


class InboundRateLimit:
    """ASGI middleware; limits per minute come from settings (`0` turns a class off)."""

    def __init__(self, app: ASGIApp, *, reads_per_minute: int, writes_per_minute: int) -> None:
        self.app = app
        self.limits = {"reads": reads_per_minute, "writes": writes_per_minute}
        self._leases: dict[str, _Lease] = {}
        self._script: object | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traffic = traffic_class(scope["method"], scope["path"])
        limit = self.limits.get(traffic or "", 0)
        if traffic is None or limit <= 0:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = await self._take(scope, bucket_key(client, traffic), limit, traffic)
        if wait is None:
            await self.app(scope, receive, send)
            return
        await _refusal(wait)(scope, receive, send)

    async def _take(self, scope: Scope, key: str, limit: int, traffic: str) -> float | None:
        """None when the request may pass, else the seconds until the client may try again."""
        container = scope["app"].state.container
        now = container.clock.now()
        lease = self._leases.get(key)
        if lease is not None and lease.tokens > 0 and lease.until > now:
            lease.tokens -= 1
            INBOUND_LIMITED.labels(traffic, "allowed").inc()
            return None
        if self._script is None:
            self._script = scripts.register(container.redis, "inbound_rate_limit")
        try:
            granted, wait_ms = await self._script(  # type: ignore[operator]
                keys=[key], args=[round(now * 1000), limit, PERIOD_MS, min(LEASE, limit)]
            )
        except Exception as exc:  # Redis trouble must not take the read path down with it
            INBOUND_LIMITED.labels(traffic, "error").inc()
            log.warning("inbound_rate_limit_unavailable", error=type(exc).__name__)
            return None
        if int(granted) > 0:
            if len(self._leases) > 10_000:  # bounded memory whatever the number of clients
                self._leases.clear()
            self._leases[key] = _Lease(int(granted) - 1, now + LEASE_SECONDS)
            INBOUND_LIMITED.labels(traffic, "allowed").inc()
            return None
        INBOUND_LIMITED.labels(traffic, "refused").inc()
        return int(wait_ms) / 1000


def _refusal(wait_seconds: float) -> JSONResponse:
    retry_after = max(1, math.ceil(wait_seconds))
    message = f"{ErrorCode.RATE_LIMITED.message}. {retry_after}초 후에 다시 시도하세요"
    return error_response(ErrorCode.RATE_LIMITED, message, headers={"Retry-After": str(retry_after)})
