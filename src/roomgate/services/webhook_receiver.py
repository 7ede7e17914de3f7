"""A PMS event delivered to roomgate: authenticate it, check the hotel is connected through that
vendor, store it in the inbox (durable from then on) and wake the consumers.

Processing does not happen here: the Redis Stream only wakes the consumers, and an event whose
enqueue failed is enqueued later by the inbox sweeper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from roomgate.clock import Clock
from roomgate.logging import get_logger
from roomgate.services.ports import HotelDirectory
from roomgate.services.webhook_intake import Ignored, IntakeRefused, WebhookAuthenticator

log = get_logger(__name__)


class StoredEvent(Protocol):
    @property
    def row_id(self) -> int: ...

    @property
    def duplicate(self) -> bool: ...


class EventInbox(Protocol):
    """The webhook inbox table (ledger/webhook_inbox.py): one row per event id, duplicates noticed."""

    async def store(
        self,
        *,
        vendor: str,
        event_id: str,
        event_type: str,
        hotel_id: str | None,
        payload: dict[str, Any],
        now: float,
        enqueue_again_after: float,
    ) -> StoredEvent: ...


class EventQueue(Protocol):
    """Wakes the consumers (cache/webhook_stream.py)."""

    async def add(self, row_id: int) -> str: ...


@dataclass(frozen=True, slots=True)
class Received:
    """Stored in the inbox (or already there: `duplicate`)."""

    event_id: str
    duplicate: bool


class WebhookReceiver:
    def __init__(
        self,
        auth: WebhookAuthenticator,
        hotels: HotelDirectory,
        inbox: EventInbox,
        queue: EventQueue,
        clock: Clock,
        *,
        enqueue_again_after: float,
    ) -> None:
        self._auth = auth
        self._hotels = hotels
        self._inbox = inbox
        self._queue = queue
        self._clock = clock
        self._enqueue_again_after = enqueue_again_after

    async def receive(
        self, vendor: str, body: bytes, headers: Mapping[str, str], query: dict[str, str]
    ) -> Received | Ignored:
        """Raises `IntakeRefused` for a delivery that is not authentic or not well formed, or names
        a hotel not connected through `vendor`. `headers`: lower-case names."""
        now = self._clock.now()
        accepted = self._auth.accept(vendor, body, dict(headers), query, now)
        if isinstance(accepted, Ignored):
            return accepted
        hotel = await self._hotels.get(accepted.hotel_id)
        if hotel is None or hotel.vendor != vendor:
            raise IntakeRefused(400, f"hotel {accepted.hotel_id} is not connected to {vendor}")
        stored = await self._inbox.store(
            vendor=accepted.vendor,
            event_id=accepted.event_id,
            event_type=accepted.event_type,
            hotel_id=accepted.hotel_id,
            payload=accepted.payload,
            now=now,
            enqueue_again_after=self._enqueue_again_after,
        )
        if not stored.duplicate:
            try:
                await self._queue.add(stored.row_id)
            except Exception as exc:  # the inbox row is durable: the sweeper enqueues it later
                log.warning("webhook_enqueue_failed", row=stored.row_id, error=type(exc).__name__)
        return Received(accepted.event_id, stored.duplicate)
