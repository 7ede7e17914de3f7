"""Webhook consumers and the inbox sweeper (run by `roomgate worker`, and in process by the demo).

A consumer reads the stream as one member of the consumer group, takes over messages a dead member
left unacknowledged (XAUTOCLAIM after the processing lease), and handles each inbox row at most once
at a time: the row is claimed with a lease in the database before anything is done. A failure is
retried with backoff (the sweeper enqueues the row again when it is due); after
`webhook_max_attempts` tries the row is dead-lettered and an alert raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from roomgate.cache.webhook_stream import WebhookStream
from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.domain.webhook_inbox import InboxEntry, InboxStatus
from roomgate.logging import get_logger
from roomgate.metrics import WEBHOOK_EVENTS
from roomgate.services.ports import Alerts
from roomgate.services.webhook_effects import UnknownEvent

log = get_logger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
Apply = Callable[[InboxEntry], Awaitable[None]]
Hook = Callable[[InboxEntry], Awaitable[None]]


class WebhookInbox(Protocol):
    """The durable inbox rows behind the stream (adapter: `ledger/webhook_inbox.py`)."""

    async def claim(self, row_id: int, *, now: float, lease_seconds: float) -> InboxEntry | None: ...

    async def status_of(self, row_id: int) -> InboxStatus | None: ...

    async def mark_processed(self, entry: InboxEntry, *, now: float) -> bool: ...

    async def mark_retry(self, entry: InboxEntry, error: str, *, retry_at: float) -> bool: ...

    async def mark_dead(self, entry: InboxEntry, error: str, *, now: float) -> bool: ...

    async def due(self, *, now: float, limit: int = 500, only_retries: bool = False) -> list[int]: ...

    async def postpone(self, row_ids: list[int], *, until: float) -> None: ...


class Outcome(StrEnum):
    PROCESSED = "processed"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"  # finished already (or the row is gone)
    BUSY = "busy"  # another consumer's lease on it still runs: left pending, taken over later


async def _no_hook(_entry: InboxEntry) -> None:
    return None


@dataclass
class WebhookProcessor:
    inbox: WebhookInbox
    apply: Apply
    alerts: Alerts
    settings: Settings
    clock: Clock
    # Test seam: runs after the claim, before the effects (a consumer "killed mid-event" stops here).
    after_claim: Hook = field(default=_no_hook)

    async def handle(self, row_id: int) -> Outcome:
        entry = await self.inbox.claim(
            row_id, now=self.clock.now(), lease_seconds=self.settings.webhook_lease_seconds
        )
        if entry is None:
            status = await self.inbox.status_of(row_id)
            finished = status is None or status in (InboxStatus.PROCESSED, InboxStatus.DEAD)
            return Outcome.SKIPPED if finished else Outcome.BUSY
        await self.after_claim(entry)
        try:
            await self.apply(entry)
        except UnknownEvent as exc:
            return await self._dead(entry, f"unknown event type {exc}")
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            if entry.attempts >= self.settings.webhook_max_attempts:
                return await self._dead(entry, error)
            backoff = min(
                MAX_BACKOFF_SECONDS, self.settings.webhook_retry_base_seconds * 2 ** (entry.attempts - 1)
            )
            await self.inbox.mark_retry(entry, error, retry_at=self.clock.now() + backoff)
            WEBHOOK_EVENTS.labels(entry.vendor, Outcome.RETRY.value).inc()
            log.warning(
                "webhook_event_failed",
                row=entry.row_id,
                event_type=entry.event_type,
                hotel_id=entry.hotel_id,
                attempts=entry.attempts,
                error=type(exc).__name__,
            )
            return Outcome.RETRY
        if not await self.inbox.mark_processed(entry, now=self.clock.now()):
            return Outcome.SKIPPED  # our lease lapsed and another consumer took the row over
        WEBHOOK_EVENTS.labels(entry.vendor, Outcome.PROCESSED.value).inc()
        return Outcome.PROCESSED

    async def _dead(self, entry: InboxEntry, error: str) -> Outcome:
        await self.inbox.mark_dead(entry, error, now=self.clock.now())
        WEBHOOK_EVENTS.labels(entry.vendor, Outcome.DEAD.value).inc()
        await self.alerts.alert(
            "webhook_dead_letter",
            f"{entry.vendor}:{entry.event_id}"[:200],
            "웹훅 이벤트 처리가 반복해서 실패했습니다 (dead letter)",
            row=entry.row_id,
            event_type=entry.event_type,
            hotel_id=entry.hotel_id,
            attempts=entry.attempts,
            error=error[:200],
        )
        return Outcome.DEAD


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class WebhookConsumer:
    processor: WebhookProcessor
    stream: WebhookStream
    inbox: WebhookInbox
    settings: Settings
    clock: Clock
    name: str = field(default_factory=consumer_name)
    batch: int = 50

    async def run_once(
        self, *, block_ms: int = 1000, take_over: bool = True, min_idle_ms: int | None = None
    ) -> list[Outcome]:
        """One read (after taking over messages idle longer than the processing lease, i.e. of dead
        consumers); a handled message is acknowledged whatever its outcome (a retry is re-enqueued
        from the inbox when due), except one another consumer is still working on."""
        messages = []
        if take_over:
            idle_ms = int(self.settings.webhook_lease_seconds * 1000) if min_idle_ms is None else min_idle_ms
            messages += await self.stream.take_over(self.name, min_idle_ms=idle_ms, count=self.batch)
        if not messages:
            messages += await self.stream.read(self.name, count=self.batch, block_ms=block_ms)
        outcomes = []
        for message in messages:
            outcome = await self.processor.handle(message.row_id) if message.row_id > 0 else Outcome.SKIPPED
            outcomes.append(outcome)
            if outcome is not Outcome.BUSY:
                await self.stream.ack(message.message_id)
        return outcomes

    async def sweep(self) -> int:
        """Enqueue again every inbox row whose time has come (never enqueued because Redis was down or
        flushed, a retry that is due, a consumer that died holding it); returns how many.

        While the group still has a backlog, rows not yet handled are most likely waiting in it (or
        pending with a consumer, for XAUTOCLAIM): only due retries are enqueued then, so a long queue
        is not doubled by copies of itself."""
        now = self.clock.now()
        busy = await self.stream.backlog() > 0
        due = await self.inbox.due(now=now, only_retries=busy)
        for row_id in due:
            await self.stream.add(row_id)
        await self.inbox.postpone(due, until=now + self.settings.webhook_sweep_after_seconds)
        if due:
            log.info("webhook_sweep", enqueued=len(due))
        return len(due)

    async def run(self, stop: asyncio.Event, *, sweep_every_seconds: float = 10.0) -> None:
        """Consume until `stop` is set; errors (Redis or database down) are logged and retried."""
        await self.stream.ensure_group()
        last_sweep = -sweep_every_seconds
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                if loop.time() - last_sweep >= sweep_every_seconds:
                    last_sweep = loop.time()
                    await self.sweep()
                await self.run_once(block_ms=1000, take_over=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("webhook_consumer_error", error=type(exc).__name__, exc_info=exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
