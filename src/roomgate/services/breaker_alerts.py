"""The spec's "PMS Circuit Breaker OPEN!" as an alert an operator receives without Prometheus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from roomgate.resilience.breaker_state import BreakerKey, BreakerState
from roomgate.services.ports import Alerts


def alert_when_open(alerts: Alerts) -> Callable[[BreakerKey, BreakerState, BreakerState], Awaitable[None]]:
    """A breaker listener: one alert per opening (the process whose call opened it sends it; the
    alert sink deduplicates per vendor and hotel across processes)."""

    async def listener(key: BreakerKey, before: BreakerState, after: BreakerState) -> None:
        if after is BreakerState.OPEN:
            await alerts.alert(
                "breaker_open",
                f"{key.vendor}:{key.hotel_id}",
                "PMS Circuit Breaker OPEN! 예약은 막히고 조회는 캐시로 응답합니다",
                vendor=key.vendor,
                hotel_id=key.hotel_id,
                was=before.value,
            )

    return listener
