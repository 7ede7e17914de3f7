"""Mews Connector API transport: `POST {base}/api/connector/v1/{resource}/{action}`, tokens in the JSON body.

Errors are `{"Message": ..., "RequestId": ...}` with 400/401/403/404/408/409/429/5xx (Mews guidelines).
"""

from __future__ import annotations

from typing import Any

import httpx2

from roomgate.clock import Clock
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
)
from roomgate.pms.transport import CallContext, decode_json, send

API_PATH = "/api/connector/v1"
PAGE_SIZE = 100
MAX_PAGES = 1000
# 403 = "business-logic check violated"; Mews documents no codes, so sold-out is told by its wording.
_SOLD_OUT_HINTS = ("availab", "overbook", "sold out", "no free")


def classify(status: int, message: str) -> type[PMSError]:
    """The `PMSError` class for a Mews error status and message."""
    if status == 401:
        return PMSAuthenticationError
    if status == 403:
        lowered = message.lower()
        return PMSSoldOut if any(hint in lowered for hint in _SOLD_OUT_HINTS) else PMSBadRequest
    if status == 404:
        return PMSNotFound
    if status == 408:
        return PMSTimeout
    # 409 "data changed, refresh and resubmit" is worth a retry, like a vendor hiccup.
    if status == 409 or status >= 500:
        return PMSTransientError
    return PMSBadRequest


class MewsClient:
    """Signs every call with ClientToken/AccessToken/Client and maps failures to `PMSError`."""

    def __init__(
        self,
        *,
        http: httpx2.AsyncClient,
        base_url: str,
        client_token: str,
        access_token: str,
        client_name: str,
        ctx: CallContext,
        clock: Clock,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._tokens = {"ClientToken": client_token, "AccessToken": access_token, "Client": client_name}
        self.ctx = ctx
        self._clock = clock

    def __repr__(self) -> str:
        return f"MewsClient(base_url={self._base_url!r}, hotel_id={self.ctx.hotel_id!r})"

    async def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One operation (`reservations/add`, ...); the answer's JSON object or the fitting `PMSError`."""
        body = {**self._tokens, **{k: v for k, v in payload.items() if v is not None}}
        url = f"{self._base_url}{API_PATH}/{operation}"
        response = await send(self._http, self.ctx, operation, "POST", url, json=body)
        status = response.status_code
        if status == 429:
            raise self.ctx.rate_limited(operation, response, self._clock.now())
        if status == 204:
            return {}
        data = decode_json(self.ctx, operation, response) if response.content else {}
        if status >= 400:
            message = str(data.get("Message") or "") if isinstance(data, dict) else ""
            raise self.ctx.error(classify(status, message), operation, message or f"HTTP {status}", status)
        if not isinstance(data, dict):
            raise self.ctx.error(
                PMSTransientError, operation, "unexpected answer (not a JSON object)", status
            )
        return data

    async def get_all(self, operation: str, payload: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """Follow the cursor until an empty or short page (Mews cursor pagination)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            limitation = {"Count": PAGE_SIZE, **({"Cursor": cursor} if cursor else {})}
            page = await self.call(operation, {**payload, "Limitation": limitation})
            batch = page.get(key) or []
            items.extend(batch)
            cursor = page.get("Cursor")
            if not cursor or len(batch) < PAGE_SIZE:
                break
        return items
