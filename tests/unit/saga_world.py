"""The saga, compensation, recovery and cancellation wired to the in-memory vendor fakes and a real
SQLite ledger, for the saga review's unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from roomgate.clock import FakeClock
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.domain.stay import Stay
from roomgate.ledger.bookings import BookingRepository
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.models import Booking
from roomgate.ledger.types import utcnow
from roomgate.payments.base import PaymentSource
from roomgate.pms.base import PMSConnector
from roomgate.pms.types import GuestInfo
from roomgate.resilience.breaker import CircuitBreaker
from roomgate.resilience.breaker_state import BreakerConfig
from roomgate.resilience.breaker_store import InMemoryBreakerStore
from roomgate.resilience.connector import ResilientConnector
from roomgate.resilience.retry import RetryPolicy
from roomgate.services.cancellation import Cancellation
from roomgate.services.checkout import CheckoutCommand, CheckoutResult, CheckoutSaga
from roomgate.services.faults import FaultPoints
from roomgate.services.ports import AllowAllWrites
from roomgate.services.recovery import Recovery
from tests.fakes import FakeConnector, FakeGateway, FakeHolds, FakePricer


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
    engine: AsyncEngine
    bookings: BookingRepository
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
        return Cancellation(self.bookings, self.connectors, lambda _p: self.gateway, self.pricer)

    def recovery(self, owner: str = "recovery-test") -> Recovery:
        compensator, cancellation = self.saga.compensator, self.cancellation()
        return Recovery(
            self.bookings,
            compensator,
            after_seconds=0,
            cancellation=cancellation,
            owner=owner,
            price_tolerance=self.saga.price_tolerance,
        )

    async def age(self, booking_id: str, seconds: float = 3600) -> None:
        """Given: the booking was last touched `seconds` ago and any lease on it has run out."""
        async with session_factory(self.engine).begin() as session:
            await session.execute(
                update(Booking)
                .where(Booking.booking_id == booking_id)
                .values(updated_at=utcnow() - timedelta(seconds=seconds), lease_until=None)
            )


async def saga_world(database_url: str) -> AsyncIterator[SagaWorld]:
    """Use as a fixture body: `yield from`-style async generator over one world."""
    engine = create_engine(database_url)
    bookings = BookingRepository(session_factory(engine))
    holds, pricer, connector, gateway = FakeHolds(), FakePricer(), FakeConnector(), FakeGateway()

    saga = CheckoutSaga(
        bookings=bookings,
        holds=holds,
        pricer=pricer,
        connectors=lambda v, h: world.connectors(v, h),
        gateways=lambda _p: gateway,
        gate=AllowAllWrites(),
        clock=FakeClock(),
    )
    world = SagaWorld(engine, bookings, holds, pricer, connector, gateway, saga)
    yield world
    await engine.dispose()
