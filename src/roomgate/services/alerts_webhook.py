"""Alerts that also reach a human: every alert is logged at ERROR and counted; with
`ROOMGATE_ALERT_WEBHOOK_URL` set it is POSTed as Slack-compatible JSON `{"text": ...}`, at most once
per (kind, key) within the dedup window (shared by all processes through Redis), with a bounded
timeout. Delivery never raises into the caller: a failing notification is logged and skipped."""

from __future__ import annotations

import httpx2
import redis.asyncio as aioredis

from roomgate.clock import Clock
from roomgate.logging import get_logger
from roomgate.services.alerts_log import LogAlerts
from roomgate.services.polling_metrics import ALERTS

log = get_logger("roomgate.alerts")


def alert_text(kind: str, key: str, message: str, details: dict[str, str | int | float | None]) -> str:
    facts = ", ".join(f"{name}={value}" for name, value in details.items() if value is not None)
    return f"[roomgate] {kind} ({key}): {message}" + (f" [{facts}]" if facts else "")


class WebhookAlerts:
    def __init__(
        self,
        *,
        http: httpx2.AsyncClient,
        url: str | None,
        redis: aioredis.Redis | None,
        clock: Clock,
        dedup_seconds: int = 900,
        timeout_seconds: float = 3.0,
    ) -> None:
        self._http = http
        self._url = url
        self._redis = redis
        self._clock = clock
        self._dedup_seconds = dedup_seconds
        self._timeout = timeout_seconds
        self._log = LogAlerts()
        self._sent_locally: dict[tuple[str, str], float] = {}  # used when Redis cannot answer

    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        try:
            await self._log.alert(kind, key, message, **details)
            if self._url is None:
                ALERTS.labels(kind=kind, delivery="log_only").inc()
                return
            if not await self._first_in_window(kind, key):
                ALERTS.labels(kind=kind, delivery="deduplicated").inc()
                return
            await self._post(kind, alert_text(kind, key, message, details))
        except Exception as exc:  # never into the caller
            ALERTS.labels(kind=kind, delivery="failed").inc()
            log.warning("alert_failed", alert=kind, error=type(exc).__name__)

    async def _first_in_window(self, kind: str, key: str) -> bool:
        if self._dedup_seconds <= 0:
            return True
        if self._redis is not None:
            try:
                return bool(
                    await self._redis.set(f"alert:sent:{kind}:{key}", "1", nx=True, ex=self._dedup_seconds)
                )
            except Exception as exc:
                log.warning("alert_dedup_unavailable", error=type(exc).__name__)
        now = self._clock.now()
        last = self._sent_locally.get((kind, key))
        if last is not None and now - last < self._dedup_seconds:
            return False
        self._sent_locally[(kind, key)] = now
        return True

    async def _post(self, kind: str, text: str) -> None:
        assert self._url is not None
        try:
            response = await self._http.post(self._url, json={"text": text}, timeout=self._timeout)
            response.raise_for_status()
        except Exception as exc:
            ALERTS.labels(kind=kind, delivery="failed").inc()
            # The URL is a credential (Slack webhook): never logged.
            log.warning("alert_delivery_failed", alert=kind, error=type(exc).__name__)
            return
        ALERTS.labels(kind=kind, delivery="delivered").inc()
