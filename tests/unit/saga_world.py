"""The saga, compensation, recovery and cancellation wired to the in-memory vendor fakes, one fake
clock, and the in-memory booking ledger (or, given a database URL, the SQL one), for the saga unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from roomgate.clock import FakeClock
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.payments.base import PaymentSource
from roomgate.pms.base import PMSConnector
from roomgate.pms.types import GuestInfo
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.retry import RetryPolicy
from roomgate.services.booking_ledger import BookingLedger
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutCommand, CheckoutResult, CheckoutSaga
from roomgate.services.faults import FaultPoints
from roomgate.services.ports import AllowAllWrites
from roomgate.services.recovery import Recovery
from tests.fakes import FakeConnector, FakeGateway, FakeHolds, FakePricer
from tests.memory_ledger import MemoryLedger


class Crash(Exception):
    """Stands in for the process dying at a fault point (the saga compensates only `SagaFailed`)."""


@dataclass(frozen=True)
class DiesAt(FaultPoints):
    point: str = ""

    async def hit(self, point: str) -> None:
        if point == self.point:
            raise Crash(point)


@dataclass
class SagaWorld:
    engine: AsyncEngine | None  # None: the in-memory ledger
    bookings: BookingLedger
    clock: FakeClock
    holds: FakeHolds
    pricer: FakePricer
    connector: FakeConnector
    gateway: FakeGateway
    saga: CheckoutSaga
    disconnected: bool = False  # the hotel's PMS credentials are gone: no connector can be built
    resilient: bool = False  # the fake PMS behind the real breaker + retry wrapper, as in production

    async def connectors(self, vendor: str, hotel_id: str) -> PMSConnector:
        if self.disconnected:
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}의 {vendor} 연동 정보가 없습니다")
        if self.resilient:
            clock = FakeClock()  # retry back-off advances it instead of sleeping
            breaker = CircuitBreaker(InMemoryBreakerStore(), BreakerConfig(), clock)
            return ResilientConnector(cast(PMSConnector, self.connector), breaker, RetryPolicy(), None, clock)
        return cast(PMSConnector, self.connector)

    def command(self, token: str = "tok_visa_1234", amount: int = 250000) -> CheckoutCommand:
        start = date(2026, 12, 24)
        return CheckoutCommand(
            vendor="cloudbeds",
            hotel_id="hotel_123",
            room_type_id="room_456",
            stay=Stay.of(start, start + timedelta(days=2)),
            adults=2,
            children=0,
            guest=GuestInfo("Saga", "Review", "saga@example.com"),
            amount=Money.from_minor(amount, "KRW"),
            provider="sandbox",
            source=PaymentSource(card_token=token),
        )

    async def checkout(
        self, booking_id: str = "bk_review", token: str = "tok_visa_1234", amount: int = 250000
    ) -> CheckoutResult:
        cmd = self.command(token, amount)
        return await self.saga.run(cmd, await self.saga.price(cmd), booking_id)

    def cancellation(self) -> Cancellation:
        return Cancellation(self.bookings, self.connectors, lambda _p: self.gateway, self.pricer, self.clock)

    def recovery(self, owner: str = "recovery-test") -> Recovery:
        compensator, cancellation = self.saga.compensator, self.cancellation()
        return Recovery(
            self.bookings,
            compensator,
            after_seconds=0,
            cancellation=cancellation,
            owner=owner,
            clock=self.clock,
            price_tolerance=self.saga.price_tolerance,
        )

    async def age(self, booking_id: str, seconds: float = 3600) -> None:
        """Given: `seconds` pass (longer than any saga lease), so the booking is stale and its lease
        has run out. The one clock moves: the ledger, the saga and recovery all read it."""
        assert seconds > self.saga.lease_seconds, "shorter than the saga's lease: nothing would be stale"
        self.clock.advance(seconds)

    def rewrite(self, booking_id: str, **values: Any) -> None:
        """Given: a booking row as an older release wrote it (in-memory ledger only)."""
        assert isinstance(self.bookings, MemoryLedger), "rewrite needs the in-memory ledger"
        ledger = self.bookings
        ledger.bookings[booking_id] = replace_fields(ledger.bookings[booking_id], **values)


async def saga_world(database_url: str | None = None) -> AsyncIterator[SagaWorld]:
    """Use as a fixture body: `yield from`-style async generator over one world; the in-memory ledger
    unless a (migrated) database URL is given."""
    clock = FakeClock()
    engine = create_engine(database_url) if database_url else None
    bookings: BookingLedger = (
        BookingRepository(session_factory(engine), clock) if engine is not None else MemoryLedger(clock)
    )
    holds, pricer, connector, gateway = FakeHolds(), FakePricer(), FakeConnector(), FakeGateway()

    saga = CheckoutSaga(
        bookings=bookings,
        holds=holds,
        pricer=pricer,
        connectors=lambda v, h: world.connectors(v, h),
        gateways=lambda _p: gateway,
        gate=AllowAllWrites(),
        clock=clock,
    )
    world = SagaWorld(engine, bookings, clock, holds, pricer, connector, gateway, saga)
    yield world
    if engine is not None:
        await engine.dispose()
