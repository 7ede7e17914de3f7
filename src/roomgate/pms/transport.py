"""One HTTP exchange with a PMS: explicit deadline, transport failures mapped to `PMSError` classes.

Connectors never retry (the resilience wrapper does); they only say precisely what went wrong.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

from roomgate.pms.errors import PMSError, PMSRateLimited, PMSTimeout, PMSTransientError
from roomgate.pms.redact import safe_text


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling whom: used in every error message, with the secrets to keep out of them."""

    vendor: str
    hotel_id: str
    timeout: float
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:  # the secrets must not leak through repr() either
        return f"CallContext(vendor={self.vendor!r}, hotel_id={self.hotel_id!r}, timeout={self.timeout!r})"

    def error(
        self, cls: type[PMSError], operation: str, detail: object, status: int | None = None
    ) -> PMSError:
        """Build `cls` with a message naming the operation, cleaned of secrets and guest contacts."""
        message = f"{operation}: {safe_text(detail, self.secrets)}"
        return cls(message, vendor=self.vendor, hotel_id=self.hotel_id, status=status)

    def rate_limited(self, operation: str, response: httpx2.Response, now: float) -> PMSRateLimited:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        hint = f" (retry after {retry_after:g}s)" if retry_after is not None else ""
        return PMSRateLimited(
            f"{operation}: rate limited by the vendor{hint}",
            retry_after=retry_after,
            vendor=self.vendor,
            hotel_id=self.hotel_id,
            status=response.status_code,
        )


async def send(
    http: httpx2.AsyncClient, ctx: CallContext, operation: str, method: str, url: str, **kwargs: Any
) -> httpx2.Response:
    """Send one request with `ctx.timeout` as both the httpx timeout and an overall deadline."""
    try:
        # asyncio.timeout also bounds transports that ignore httpx timeouts (in-process ASGI apps).
        async with asyncio.timeout(ctx.timeout):
            return await http.request(method, url, timeout=httpx2.Timeout(ctx.timeout), **kwargs)
    except (TimeoutError, httpx2.TimeoutException) as exc:
        raise ctx.error(PMSTimeout, operation, f"no answer within {ctx.timeout:g}s") from exc
    except httpx2.TransportError as exc:
        raise ctx.error(PMSTransientError, operation, f"connection failed ({type(exc).__name__})") from exc


def decode_json(ctx: CallContext, operation: str, response: httpx2.Response) -> Any:
    """The body as JSON with every non-integer number as `Decimal` (money never passes through float)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise ctx.error(
            PMSTransientError,
            operation,
            f"unreadable answer (HTTP {response.status_code}, not JSON)",
            response.status_code,
        ) from None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date; None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
