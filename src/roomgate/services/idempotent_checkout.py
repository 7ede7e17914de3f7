"""A checkout under an optional Idempotency-Key: claim the key, run the saga at most once, keep its
answer for every retry.

The caller turns an outcome into the answer it sends (`render`: the API's status and JSON body);
this service keeps that answer under the key without reading it, and decides only from outcomes:
- same key, same body, finished: the stored answer again (`replayed`);
- same key, another body: `IDEMPOTENCY_CONFLICT`;
- same key still running: `in_flight` (the caller says "retry later"), unless recovery has already
  settled the booking that request wrote, whose outcome is then stored and replayed;
- refused before anything was written (the PMS or degraded mode said no): the key is freed for a
  retry; once the booking exists, the key stays claimed and recovery settles the booking it names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from roomgate.domain.booking import Booking, BookingAlreadyExists, BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.idempotency import Claim, ClaimOutcome
from roomgate.domain.rooms import StoredRoomLine
from roomgate.pms.errors import PMSError, PMSNotFound
from roomgate.services.checkout import CheckoutCommand
from roomgate.services.checkout_model import CheckoutResult, new_booking_id
from roomgate.services.ports import Quote
from roomgate.services.saga_lease import SagaTakenOver

# What a checkout came to: a confirmed booking, a refusal or failure with its code, or a PMS error
# met while pricing (nothing was held).
CheckoutOutcome = CheckoutResult | DomainError | PMSError
# The answer as the caller renders it (status, JSON body); stored under the key as it is.
StoredAnswer = tuple[int, dict[str, Any]]
Render = Callable[[CheckoutOutcome], StoredAnswer]

# Failures that mean the checkout stopped before any side effect: the key is freed for a retry.
NOTHING_DONE = frozenset({ErrorCode.PMS_UNAVAILABLE, ErrorCode.SERVICE_DEGRADED})


class Saga(Protocol):
    """The checkout saga (services/checkout.py)."""

    async def price(self, cmd: CheckoutCommand) -> Quote:
        """Everything that can refuse a checkout without side effects."""
        ...

    async def run(self, cmd: CheckoutCommand, quote: Quote, booking_id: str) -> CheckoutResult:
        """Every step; on failure compensated, raising `SagaFailed`."""
        ...


class IdempotencyKeys(Protocol):
    """Claimed keys and their stored answers (ledger/idempotency.py)."""

    async def claim(self, key: str, request_hash: str, booking_id: str) -> Claim: ...

    async def complete(
        self, key: str, status_code: int, body: dict[str, Any], *, booking_id: str | None = None
    ) -> None: ...

    async def forget(self, key: str, *, token: datetime | None = None) -> None: ...


class BookingFinder(Protocol):
    """The part of the booking ledger (services/booking_ledger.py) this service reads."""

    async def find(self, booking_id: str) -> Booking | None: ...


class RoomLines(Protocol):
    """A multi-room booking's lines (`RoomLineStore.lines`, ledger/booking_rooms.py)."""

    async def lines(self, booking_id: str) -> list[StoredRoomLine]: ...


@dataclass(frozen=True, slots=True)
class CheckoutReply:
    """`answer` to send (None: the first request with this key is still running; ask again later);
    `booking_id`: the booking this request's checkout wrote, when one exists."""

    answer: StoredAnswer | None
    booking_id: str | None = None
    replayed: bool = False


class IdempotentCheckout:
    def __init__(
        self,
        saga: Saga,
        keys: IdempotencyKeys,
        bookings: BookingFinder,
        admit: Callable[[str, str], Awaitable[None]],
        rooms: RoomLines | None = None,
    ) -> None:
        """`admit(vendor, hotel_id)` refuses a hotel that cannot be booked (raises); `rooms` gives an
        answer built from a settled booking its room lines, as the saga's own answer has them."""
        self._saga = saga
        self._keys = keys
        self._bookings = bookings
        self._admit = admit
        self._rooms = rooms
        # Someone else carries this checkout on: the request whose key this one took over (alive
        # after all), or the recovery job (the saga outlasted its lease).
        self._carried_on = (BookingAlreadyExists, SagaTakenOver)

    async def checkout(
        self, command: CheckoutCommand, render: Render, *, key: str | None = None, fingerprint: str = ""
    ) -> CheckoutReply:
        """Hold, pre-authorise, reserve, capture — or roll back; at most once per `key` and body
        (`fingerprint`)."""
        await self._admit(command.vendor, command.hotel_id)
        booking_id = new_booking_id()
        token = None
        if key is not None:
            claim = await self._keys.claim(key, fingerprint, booking_id)
            if claim.outcome is ClaimOutcome.REPLAY:
                return CheckoutReply((claim.status_code or 200, claim.body or {}), replayed=True)
            if claim.outcome is ClaimOutcome.BODY_MISMATCH:
                raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "다른 요청 본문에 이미 사용된 키입니다")
            if claim.outcome is ClaimOutcome.IN_FLIGHT:
                settled = await self._settled(claim.booking_id)
                if settled is None:
                    return CheckoutReply(None, await self._existing(claim.booking_id))
                answer = render(settled)
                await self._keys.complete(key, *answer, booking_id=claim.booking_id)
                return CheckoutReply(answer, replayed=True)
            # A retry that took over a dead request's key runs under that request's booking id.
            booking_id, token = claim.booking_id or booking_id, claim.token
        try:
            outcome = await self._run(command, booking_id)
        except self._carried_on:
            # StoredAnswer from the booking once settled.
            settled = await self._settled(booking_id)
            if settled is None:
                return CheckoutReply(None, await self._existing(booking_id))
            outcome = settled
        except Exception:
            # Nothing was written for this booking: free the key so the client may retry.
            if key is not None and await self._bookings.find(booking_id) is None:
                await self._keys.forget(key, token=token)
            raise
        answer = render(outcome)
        if key is not None:
            if _nothing_done(outcome):
                await self._keys.forget(key, token=token)
            else:
                await self._keys.complete(key, *answer, booking_id=booking_id)
        # Only a booking that exists is named: a checkout refused before the saga wrote one (degraded
        # mode, a wrong amount, no room) has no booking to look up.
        named = booking_id if isinstance(outcome, CheckoutResult) else await self._existing(booking_id)
        return CheckoutReply(answer, named)

    async def _run(self, command: CheckoutCommand, booking_id: str) -> CheckoutOutcome:
        try:
            quote = await self._saga.price(command)
            return await self._saga.run(command, quote, booking_id)
        except DomainError as exc:  # includes SagaFailed
            return exc
        except PMSError as exc:  # pricing needed the PMS and it failed or refused (nothing was held)
            return exc

    async def _existing(self, booking_id: str | None) -> str | None:
        """`booking_id` if the ledger has that booking, else None."""
        if booking_id is None:
            return None
        return booking_id if await self._bookings.find(booking_id) is not None else None

    async def _settled(self, booking_id: str | None) -> CheckoutOutcome | None:
        """For a key whose first request died mid-saga: once recovery settled the booking, its outcome."""
        booking = await self._bookings.find(booking_id) if booking_id else None
        if booking is None or not BookingStatus(booking.status).is_final:
            return None
        if booking.status == BookingStatus.FAILED.value:
            code = ErrorCode(booking.error_code or ErrorCode.INTERNAL_ERROR.value)
            return DomainError(code, message=booking.error_message)
        lines = await self._rooms.lines(booking.booking_id) if self._rooms is not None else []
        return CheckoutResult(
            booking.booking_id,
            booking.confirmation_number or "",
            tuple((stored.line, stored.total_minor) for stored in lines),
        )


def _nothing_done(outcome: CheckoutOutcome) -> bool:
    """Refused before anything happened (every PMS error met while pricing is answered as
    PMS_UNAVAILABLE, except an unknown hotel or room, which a retry cannot change)."""
    if isinstance(outcome, DomainError):
        return outcome.code in NOTHING_DONE
    return isinstance(outcome, PMSError) and not isinstance(outcome, PMSNotFound)
