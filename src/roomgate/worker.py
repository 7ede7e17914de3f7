"""`roomgate worker`: background jobs. Today: checkout recovery; each round is one pass over the ledger."""

from __future__ import annotations

import asyncio
import signal

from roomgate.config import Settings
from roomgate.container import Container, build_container
from roomgate.logging import get_logger
from roomgate.services.recovery import RecoveryReport

log = get_logger(__name__)


async def recovery_round(container: Container) -> RecoveryReport:
    report = await container.recovery.run_once()
    if report.confirmed or report.failed or report.deferred:
        log.info(
            "recovery_round",
            confirmed=len(report.confirmed),
            failed=len(report.failed),
            deferred=len(report.deferred),
        )
    return report


async def recovery_loop(container: Container, interval: float, stop: asyncio.Event) -> None:
    """Run recovery every `interval` seconds until `stop` is set; a failed round is logged, not fatal."""
    while not stop.is_set():
        try:
            await recovery_round(container)
        except Exception as exc:
            log.error("worker_round_failed", error=type(exc).__name__, exc_info=exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue


async def webhook_round(container: Container) -> int:
    """`--once`: enqueue what the inbox owes the stream, then handle everything queued."""
    consumer = container.webhook_consumer()
    await container.webhook_stream.ensure_group()
    await consumer.sweep()
    handled = 0
    while outcomes := await consumer.run_once(block_ms=0):
        handled += len(outcomes)
    return handled


async def run_worker(settings: Settings, *, once: bool, interval: float, consumers: int = 1) -> int:
    """Run jobs once (`--once`) or every `interval` seconds until SIGINT/SIGTERM; returns an exit code."""
    container = build_container(settings)
    await container.start()
    try:
        if once:
            try:
                report = await recovery_round(container)
                handled = await webhook_round(container) if consumers else 0
            except Exception as exc:
                log.error("worker_round_failed", error=type(exc).__name__, exc_info=exc)
                return 1
            print(  # noqa: T201 - the CLI's own progress line
                f"recovery: {len(report.confirmed)} confirmed, {len(report.failed)} compensated, "
                f"{len(report.deferred)} deferred; webhooks: {handled} handled",
                flush=True,
            )
            return 1 if report.deferred else 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker_started", interval=interval, webhook_consumers=consumers)
        tasks = [asyncio.create_task(container.webhook_consumer().run(stop)) for _ in range(consumers)]
        await recovery_loop(container, interval, stop)
        await asyncio.gather(*tasks, return_exceptions=True)
        return 0
    finally:
        await container.aclose()
