"""Worker loops for polling sync and reconciliation (run by `roomgate worker`, and in process by the demo)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from roomgate.container import Container
from roomgate.logging import get_logger

log = get_logger(__name__)

RECONCILE_LEASE = "_reconciliation"  # one worker at a time reconciles (the polling lease, another key)


async def every(seconds: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event, name: str) -> None:
    """Run `job` every `seconds` until `stop` is set; a failed round is logged, not fatal."""
    while not stop.is_set():
        try:
            await job()
        except Exception as exc:
            log.error("worker_round_failed", job=name, error=type(exc).__name__, exc_info=exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            continue


async def reconcile_round(container: Container) -> bool:
    """Reconcile unless another worker is doing it; True when this worker ran it."""
    lease = container.polling.lease
    ttl = container.settings.reconcile_interval_seconds / 2
    token = await lease.acquire(RECONCILE_LEASE, ttl)
    if token is None:
        return False
    try:
        await container.reconciler.run_once()
        return True
    finally:
        await lease.release(RECONCILE_LEASE, token)


def sync_tasks(container: Container, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Start polling (every configured hotel) and the reconciliation schedule as background tasks."""
    settings = container.settings

    async def polling() -> None:
        try:
            started = await container.polling.start_all()
            log.info("polling_scheduled", hotels=len(started), running=sum(s.is_running for s in started))
        except Exception as exc:
            log.error("polling_start_failed", error=type(exc).__name__, exc_info=exc)
        await every(settings.polling_tick_seconds, container.polling.tick, stop, "polling")

    async def reconciliation() -> None:
        await every(
            settings.reconcile_interval_seconds, lambda: reconcile_round(container), stop, "reconcile"
        )

    return [asyncio.create_task(polling()), asyncio.create_task(reconciliation())]
