"""A payment provider's HTTP edge: base URL, auth, an explicit deadline, transport failures mapped."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

import httpx2
import structlog

from roomgate.payments.base import PaymentProviderError, PaymentTimeout
from roomgate.payments.redaction import mask

log = structlog.get_logger("roomgate.payments")


class VendorHttp:
    """Sends one request and returns the response whatever its status; adapters map the errors.

    The deadline is enforced twice: httpx's own timeouts on a socket, and an overall
    `asyncio.timeout`, which also bounds in-process transports that have no network timeouts.
    """

    def __init__(
        self,
        client: httpx2.AsyncClient,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        timeout_seconds: float,
    ) -> None:
        self._client = client
        self._provider = provider
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._timeout = timeout_seconds

    async def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        subject: str | None = None,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx2.Response:
        """`subject` (payment key or id) is only ever logged masked."""
        headers = dict(self._headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        context = {"provider": self._provider, "operation": operation, "payment": mask(subject)}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.request(
                    method,
                    self._base_url + path,
                    json=json,
                    data=dict(form) if form is not None else None,
                    params=dict(params) if params is not None else None,
                    headers=headers,
                    timeout=httpx2.Timeout(self._timeout),
                )
        except (TimeoutError, httpx2.TimeoutException):
            log.warning("payment.vendor_timeout", timeout_seconds=self._timeout, **context)
            raise PaymentTimeout(
                f"{self._provider}: {operation} got no answer within {self._timeout:g}s; outcome unknown",
                provider=self._provider,
                code="timeout",
            ) from None
        except httpx2.ConnectError:
            # Nothing reached the provider, so nothing happened there.
            log.warning("payment.vendor_unreachable", **context)
            raise PaymentProviderError(
                f"{self._provider}: {operation}: cannot connect",
                provider=self._provider,
                code="connect_error",
            ) from None
        except httpx2.TransportError as exc:
            # The request may have arrived: the outcome is as unknown as after a timeout.
            log.warning("payment.vendor_connection_lost", error=type(exc).__name__, **context)
            raise PaymentTimeout(
                f"{self._provider}: {operation}: connection lost ({type(exc).__name__}); outcome unknown",
                provider=self._provider,
                code="connection_lost",
            ) from None
        log.debug("payment.vendor_call", status=response.status_code, **context)
        return response


def json_body(response: httpx2.Response) -> dict[str, Any]:
    """The response's JSON object, or `{}` when the body is empty, not JSON or not an object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def basic_auth(secret_key: str) -> dict[str, str]:
    """`Authorization: Basic base64(secretKey + ":")`: the secret as user name, an empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{secret_key}:".encode()).decode()}
