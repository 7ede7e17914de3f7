"""The latest reconciliation report, as JSON in Redis (read by the admin endpoint in any process)."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

REPORT_KEY = "reconcile:last"
REPORT_TTL_SECONDS = 7 * 86400


class RedisReportStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def save(self, report: dict[str, Any]) -> None:
        await self._redis.set(REPORT_KEY, json.dumps(report, separators=(",", ":")), ex=REPORT_TTL_SECONDS)

    async def load(self) -> dict[str, Any] | None:
        raw = await self._redis.get(REPORT_KEY)
        return None if raw is None else dict(json.loads(raw))
