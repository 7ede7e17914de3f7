"""`ResilientConnector`: a `PMSConnector` with rate limit, breaker, retry and metrics around each call.

Every attempt is admitted by the breaker, then waits for the credential's rate-limit slot, then
calls the vendor. Retries wrap attempts, so each failed attempt counts once for the breaker and an
open breaker ends the retries. Reads and the vendor-idempotent writes (confirm, cancel) are
retried; `create_reservation` is retried only after a lookup by our external id shows that the
failed attempt did not create the reservation after all. `get_inventory_and_rates` is one read when
the vendor connector offers it (taking one rate-limit slot per HTTP request it sends), else the two
reads, each with its own retries.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import TypeVar

import httpx2

from roomgate.clock import SYSTEM_CLOCK, Clock
from roomgate.domain.money import Money
from roomgate.domain.taxes import TaxRule
from roomgate.pms.base import (
    InventoryAndRates,
    ListsModifiedReservations,
    PMSConnector,
    ReadsInventoryAndRates,
    ReadsTaxes,
    both,
    reservation_total,
)
from roomgate.pms.errors import PMSError, PMSTimeout, PMSTransientError
from roomgate.pms.types import (
    HotelDetails,
    NightInventory,
    NightRate,
    Reservation,
    ReservationRequest,
    RoomType,
)
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerKey
from roomgate.resilience.metrics import PMS_ERRORS, PMS_REQUEST_SECONDS
from roomgate.resilience.ratelimit import OutboundRateLimiter
from roomgate.resilience.retry import RetryPolicy

T = TypeVar("T")

# A write that failed like this may have been carried out by the vendor anyway.
OUTCOME_UNKNOWN = (PMSTimeout, PMSTransientError)


def never_sent(error: PMSError) -> bool:
    """The request never left this host (no connection could be made), so sending it again is safe."""
    return isinstance(error.__cause__, httpx2.ConnectError | httpx2.ConnectTimeout)


class ResilientConnector:
    """Implements `PMSConnector` by delegating to `inner` through limiter, breaker and retry."""

    def __init__(
        self,
        inner: PMSConnector,
        breaker: CircuitBreaker,
        retry: RetryPolicy,
        limiter: OutboundRateLimiter | None = None,
        clock: Clock = SYSTEM_CLOCK,
        *,
        credential: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.vendor = inner.vendor
        self.hotel_id = inner.hotel_id
        self.inner = inner
        self._breaker = breaker
        self._retry = retry
        self._limiter = limiter
        self._clock = clock
        self._rng = rng or random.Random()
        self._key = BreakerKey(inner.vendor, inner.hotel_id)
        # Without the credential, the hotel stands for it (one credential per property is the norm).
        self._rate_key = limiter.key_for(credential or f"hotel:{inner.hotel_id}") if limiter else ""
        # The vendor's own cap on one read's range, if it has one (Mews: 367 time units).
        self.max_read_nights: int | None = getattr(inner, "max_read_nights", None)

    async def get_hotel_details(self) -> HotelDetails:
        return await self._read("get_hotel_details", self.inner.get_hotel_details)

    async def get_room_types(self) -> list[RoomType]:
        return await self._read("get_room_types", self.inner.get_room_types)

    async def get_taxes(self) -> list[TaxRule]:
        """The hotel's taxes and fees (a read); empty when the vendor's prices already include them."""
        inner = self.inner
        if not isinstance(inner, ReadsTaxes):
            return []
        return await self._read("get_taxes", inner.get_taxes)

    async def get_inventory(
        self, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> list[NightInventory]:
        return await self._read("get_inventory", lambda: self.inner.get_inventory(room_type_ids, start, end))

    async def get_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> list[NightRate]:
        return await self._read(
            "get_rates", lambda: self.inner.get_rates(room_type_ids, start, end, adults, children)
        )

    async def get_inventory_and_rates(
        self, room_type_ids: Sequence[str] | None, start: date, end: date, adults: int, children: int
    ) -> InventoryAndRates:
        """One read through limiter, breaker and retry; or both reads when the vendor has no combined one."""
        inner = self.inner
        if not isinstance(inner, ReadsInventoryAndRates):
            return await both(
                self.get_inventory(room_type_ids, start, end),
                self.get_rates(room_type_ids, start, end, adults, children),
            )
        return await self._read(
            "get_inventory_and_rates",
            lambda: inner.get_inventory_and_rates(room_type_ids, start, end, adults, children),
            slots=max(1, int(getattr(inner, "inventory_and_rates_requests", 1))),
        )

    async def get_reservation(self, reservation_id: str) -> Reservation:
        return await self._read("get_reservation", lambda: self.inner.get_reservation(reservation_id))

    async def get_reservation_total(self, reservation_id: str) -> Money | None:
        """The PMS's own total for the reservation (its capability, else `get_reservation`'s total)."""
        return await self._read(
            "get_reservation_total", lambda: reservation_total(self.inner, reservation_id)
        )

    async def find_reservation_by_external_id(self, external_id: str) -> Reservation | None:
        return await self._read(
            "find_reservation_by_external_id", lambda: self.inner.find_reservation_by_external_id(external_id)
        )

    async def get_modified_reservations(self, since: datetime, until: datetime) -> list[Reservation]:
        """The vendor's reservation delta (a read); empty when the connector offers none."""
        inner = self.inner
        if not isinstance(inner, ListsModifiedReservations):
            return []
        return await self._read(
            "get_modified_reservations", lambda: inner.get_modified_reservations(since, until)
        )

    async def confirm_reservation(self, reservation_id: str) -> Reservation:
        """Retried: confirming an already-confirmed reservation is a no-op at the vendor."""
        return await self._read("confirm_reservation", lambda: self.inner.confirm_reservation(reservation_id))

    async def cancel_reservation(self, reservation_id: str) -> None:
        """Retried: cancelling an already-cancelled reservation succeeds at the vendor."""
        await self._read("cancel_reservation", lambda: self.inner.cancel_reservation(reservation_id))

    async def create_reservation(self, request: ReservationRequest) -> Reservation:
        """Create at most once. After an attempt whose outcome is unknown (timeout, 5xx, a connection
        lost mid-request), later attempts only look the reservation up by our id; they never send the
        create again, because the first one may still land (a duplicate would be a second, unpaid
        reservation). If it cannot be found, the unknown outcome goes up to the saga, which leaves the
        booking for recovery to look again later."""
        unknown: PMSError | None = None

        async def attempt() -> Reservation:
            nonlocal unknown
            if unknown is not None:
                found = await self._attempt(
                    "find_reservation_by_external_id",
                    lambda: self.inner.find_reservation_by_external_id(request.external_id),
                )
                if found is not None:
                    return found
                raise unknown
            try:
                return await self._attempt(
                    "create_reservation", lambda: self.inner.create_reservation(request)
                )
            except OUTCOME_UNKNOWN as error:
                if not never_sent(error):
                    unknown = error
                raise

        return await self._retry.run(attempt, clock=self._clock, rng=self._rng)

    async def _read(self, method: str, call: Callable[[], Awaitable[T]], *, slots: int = 1) -> T:
        return await self._retry.run(
            lambda: self._attempt(method, call, slots=slots), clock=self._clock, rng=self._rng
        )

    async def _attempt(self, method: str, call: Callable[[], Awaitable[T]], *, slots: int = 1) -> T:
        async def timed() -> T:
            started = self._clock.monotonic()
            outcome = "aborted"  # cancelled, or an error the connector failed to map
            try:
                result = await call()
                outcome = "ok"
                return result
            except PMSError as error:
                outcome = "vendor_error" if error.vendor_side else "client_error"
                raise
            finally:
                PMS_REQUEST_SECONDS.labels(vendor=self.vendor, method=method, outcome=outcome).observe(
                    self._clock.monotonic() - started
                )

        try:
            return await self._breaker.call(self._key, timed, before=lambda: self._wait_for_slots(slots))
        except PMSError as error:
            PMS_ERRORS.labels(vendor=self.vendor, method=method, error=type(error).__name__).inc()
            raise

    async def _wait_for_slots(self, slots: int) -> None:
        if self._limiter is not None:
            for _ in range(slots):
                await self._limiter.acquire(self._rate_key)
