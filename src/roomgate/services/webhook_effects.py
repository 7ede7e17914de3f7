"""What each webhook event does. Payloads are hints: state is re-read from the PMS, so events may
arrive late, twice or out of order and the cache still ends up as the PMS is now.

- `inventory_update` / `rate_update`: refresh exactly the nights and room types named (all room
  types when none is named; the next `webhook_refresh_days` nights when no dates are given).
- reservation events (ours or another channel's): re-read the reservation; refresh the nights it
  touches now, the nights it touched when last seen (date or room changes) and any the payload names.
  Ours (found by our booking id or the PMS reservation id we recorded): a hotel-side cancellation of a
  confirmed booking refunds the guest (`cancelled_by_hotel`); a live reservation we did not confirm
  is logged.
- `room_update`: re-read the room-type list into the cache and the `room_types` rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import redis.asyncio as aioredis

from roomgate.cache import keys
from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.domain.booking import Booking, BookingStatus
from roomgate.domain.webhook_inbox import InboxEntry
from roomgate.logging import get_logger
from roomgate.pms.errors import PMSNotFound
from roomgate.pms.types import Reservation, ReservationStatus, RoomType
from roomgate.services.booking_ledger import BookingLedger
from roomgate.services.cache_refresh import CacheRefresher
from roomgate.services.hotel_cancellation import HotelCancellation
from roomgate.services.ports import ConnectorProvider

log = get_logger(__name__)

# What we last saw of a reservation (room type and dates), to refresh its old nights after a change.
SEEN_TTL_SECONDS = 400 * 86400
Span = tuple[str | None, date, date]  # room type (None: every room type), first night, end


class UnknownEvent(ValueError):
    """An inbox row roomgate cannot act on (never retried)."""


class RoomTypeRows(Protocol):
    async def update_room_types(self, vendor: str, hotel_id: str, room_types: Sequence[RoomType]) -> int:
        """Bring the imported `room_types` rows of the hotel in line with the PMS; how many changed."""
        ...


@dataclass
class WebhookEffects:
    refresher: CacheRefresher
    connectors: ConnectorProvider
    bookings: BookingLedger
    room_type_rows: RoomTypeRows
    hotel_cancellation: HotelCancellation
    redis: aioredis.Redis
    settings: Settings
    clock: Clock

    async def apply(self, entry: InboxEntry) -> None:
        vendor, hotel_id, payload = entry.vendor, entry.hotel_id or "", entry.payload
        kind = entry.event_type
        if kind in ("inventory_update", "rate_update"):
            await self._refresh(vendor, hotel_id, [_span(payload, "roomTypeId", "from", "to")])
        elif kind == "room_update":
            await self.room_types(vendor, hotel_id)
        elif kind in ("booking_confirm", "booking_cancel"):
            hint = _span(payload, "roomTypeId", "from", "to") if payload.get("from") else None
            await self.reservation(vendor, hotel_id, str(payload["reservationId"]), kind, hint)
        elif kind.startswith("reservation/"):
            hint = _span(payload, None, "startDate", "endDate") if payload.get("startDate") else None
            await self.reservation(vendor, hotel_id, str(payload["reservationID"]), kind, hint)
        elif kind == "mews/general":
            await self._mews(vendor, hotel_id, payload)
        else:
            raise UnknownEvent(kind)

    # -- events --------------------------------------------------------------------------------------
    async def reservation(
        self, vendor: str, hotel_id: str, reservation_id: str, kind: str, hint: Span | None
    ) -> None:
        connector = await self.connectors(vendor, hotel_id)
        ours = await self.bookings.find_for_reservation(
            vendor, hotel_id, reservation_id=None, external_id=reservation_id
        )
        if ours is not None and ours.pms_reservation_id:  # the event named our booking id
            reservation_id = ours.pms_reservation_id
        try:
            current: Reservation | None = await connector.get_reservation(reservation_id)
        except PMSNotFound:
            current = None  # deleted at the PMS
        if ours is None:
            ours = await self.bookings.find_for_reservation(
                vendor,
                hotel_id,
                reservation_id=reservation_id,
                external_id=current.external_id if current else None,
            )
        spans = [s for s in (hint, await self._seen(hotel_id, reservation_id), _stay(current)) if s]
        if ours is not None:
            await self._reconcile(ours, current, kind)
        elif kind == "booking_confirm":
            log.info("reservation_of_another_channel", hotel_id=hotel_id, reservation_id=reservation_id)
        await self._refresh(vendor, hotel_id, spans or [_span({}, None, None, None)])
        await self._remember(hotel_id, reservation_id, current)

    async def room_types(self, vendor: str, hotel_id: str) -> list[RoomType]:
        room_types = await self.refresher.refresh_room_types(vendor, hotel_id)
        await self.room_type_rows.update_room_types(vendor, hotel_id, room_types)
        return room_types

    async def _mews(self, vendor: str, hotel_id: str, payload: dict[str, Any]) -> None:
        resources_changed = False
        for event in payload.get("Events", []):
            kind, ident = event["Discriminator"], event["Value"]["Id"]
            if kind == "ServiceOrderUpdated":
                await self.reservation(vendor, hotel_id, ident, "reservation/updated", None)
            else:  # a room (resource) or its block changed: availability may have, for any night
                resources_changed = True
        if resources_changed:
            await self._refresh(vendor, hotel_id, [_span({}, None, None, None)])

    # -- ledger --------------------------------------------------------------------------------------
    async def _reconcile(self, booking: Booking, current: Reservation | None, kind: str) -> None:
        cancelled = current is None or current.status is ReservationStatus.CANCELLED
        if cancelled and booking.status is BookingStatus.CONFIRMED:
            await self.hotel_cancellation.apply(
                booking, pms_status=current.raw_status if current else "deleted", source=kind
            )
        elif not cancelled and booking.status in (BookingStatus.FAILED, BookingStatus.CANCELLED):
            log.warning(
                "pms_reservation_not_confirmed_by_us",
                booking_id=booking.booking_id,
                booking_status=booking.status,
                pms_status=current.raw_status if current else None,
            )

    # -- cache ---------------------------------------------------------------------------------------
    async def _refresh(self, vendor: str, hotel_id: str, spans: Sequence[Span]) -> None:
        today = datetime.fromtimestamp(self.clock.now(), UTC).date()
        default_end = today + timedelta(days=self.settings.webhook_refresh_days)
        merged: dict[tuple[str | None, date, date], None] = {}
        for room, start, end in spans:
            first = start if start != date.min else today
            last = end if end != date.min else default_end
            merged[(room, first, last)] = None
        # A span of one room type inside a span of every room type is read by the latter already.
        wide = [(first, last) for room, first, last in merged if room is None]
        for room, first, last in merged:
            if room is not None and any(a <= first and last <= b for a, b in wide):
                continue
            await self.refresher.refresh_nights(vendor, hotel_id, [room] if room else None, first, last)

    async def _seen(self, hotel_id: str, reservation_id: str) -> Span | None:
        raw = await self.redis.get(_seen_key(hotel_id, reservation_id))
        if not raw:
            return None
        data = json.loads(raw)
        return (data["r"], date.fromisoformat(data["i"]), date.fromisoformat(data["o"]))

    async def _remember(self, hotel_id: str, reservation_id: str, current: Reservation | None) -> None:
        span = _stay(current)
        if span is None:
            return
        room, check_in, check_out = span
        value = json.dumps({"r": room, "i": check_in.isoformat(), "o": check_out.isoformat()})
        await self.redis.set(_seen_key(hotel_id, reservation_id), value, ex=SEEN_TTL_SECONDS)


def _seen_key(hotel_id: str, reservation_id: str) -> str:
    return f"whres:{keys.hotel_tag(hotel_id)}:{reservation_id}"


def _stay(current: Reservation | None) -> Span | None:
    if current is None or current.check_in is None or current.check_out is None:
        return None
    if current.check_out <= current.check_in:
        return None
    return (current.room_type_id, current.check_in, current.check_out)


def _span(payload: dict[str, Any], room_key: str | None, start_key: str | None, end_key: str | None) -> Span:
    """A span from payload fields; `date.min` marks a missing bound (today / the default window)."""
    room = payload.get(room_key) if room_key else None
    start = payload.get(start_key) if start_key else None
    end = payload.get(end_key) if end_key else None
    first = date.fromisoformat(start) if isinstance(start, str) else date.min
    last = date.fromisoformat(end) if isinstance(end, str) else date.min
    if first != date.min and last != date.min and last <= first:
        last = first + timedelta(days=1)
    return (str(room) if room else None, first, last)
