"""`roomgate worker`: background jobs: checkout recovery, polling sync (one poller per hotel across
workers) and reconciliation."""

from __future__ import annotations

import asyncio
import signal

from roomgate.config import Settings
from roomgate.container import Container, build_container
from roomgate.logging import get_logger
from roomgate.metrics import RECOVERY_BACKLOG
from roomgate.services.recovery import RecoveryReport
from roomgate.worker_sync import reconcile_round, sync_tasks

log = get_logger(__name__)


async def recovery_round(container: Container) -> RecoveryReport:
    report = await container.recovery.run_once()
    for outcome in ("confirmed", "failed", "cancelled", "deferred", "needs_operator"):
        RECOVERY_BACKLOG.labels(outcome).set(len(getattr(report, outcome)))
    if report.confirmed or report.failed or report.deferred or report.needs_operator:
        log.info(
            "recovery_round",
            confirmed=len(report.confirmed),
            failed=len(report.failed),
            deferred=len(report.deferred),
            needs_operator=len(report.needs_operator),
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


def serve_metrics(host: str, port: int) -> None:
    """Expose this worker's Prometheus metrics (polling, webhooks, recovery) on http://host:port/."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)
    log.info("worker_metrics", url=f"http://{host}:{port}/metrics")


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
    if not once and settings.worker_metrics_port:
        serve_metrics(settings.host, settings.worker_metrics_port)
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
                f"{len(report.deferred)} deferred, {len(report.needs_operator)} need an operator; "
                f"webhooks: {handled} handled",
                flush=True,
            )
            try:
                await container.polling.start_all()
                polled = await container.polling.tick()
                reconciled = await reconcile_round(container)
            except Exception as exc:
                log.error("worker_round_failed", error=type(exc).__name__, exc_info=exc)
                return 1
            print(  # noqa: T201
                f"polling: {len(polled)} hotels polled; reconciliation: {'run' if reconciled else 'skipped'}",
                flush=True,
            )
            return 1 if report.deferred or report.needs_operator else 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker_started", interval=interval, webhook_consumers=consumers)
        background = sync_tasks(container, stop)
        background += [asyncio.create_task(container.webhook_consumer().run(stop)) for _ in range(consumers)]
        await recovery_loop(container, interval, stop)
        await asyncio.wait(background, timeout=10)
        return 0
    finally:
        await container.aclose()
