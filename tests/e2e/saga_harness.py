"""In-process roomgate for the saga review tests: the real app, container and ledger in the test's event
loop, the vendors as simulators on real sockets, and one shared `FakeClock` so vendor-side expiries
(Mews `ReleasedUtc`, holds) are reached by moving time, never by sleeping.

Crashes are modelled with the saga's own debug hook (`FaultPoints`): `DiesAt(point)` raises at that
point, which, like a killed process, skips every compensation.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from roomgate.app import create_app
from roomgate.cache.client import fresh_in_process_redis
from roomgate.clock import FakeClock
from roomgate.config import load_settings
from roomgate.container import Container, build_container
from roomgate.domain.booking import Booking
from roomgate.ledger.bookings import booking_of
from roomgate.ledger.migrate import upgrade
from roomgate.ledger.models import BookingRow
from roomgate.services.faults import FaultPoints
from roomgate.simulators.registry import create_simulator
from roomgate.simulators.server import ServerThread
from tests.fake_keys import cloudbeds_key

HOTEL = "hotel_123"
ROOM = "room_456"
PMS_KEY = cloudbeds_key("saga_review_key_0001")  # Cloudbeds keys start with cbat_
PAYMENT_KEY = "sk_test_saga_review_0001"
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: stays below are in 2026 (the FakeClock's "today")


class ProcessDied(BaseException):
    """Stands in for a kill -9 at a fault point: a BaseException, so no `except Exception` catches it."""


@dataclass(frozen=True)
class DiesAt(FaultPoints):
    point: str = ""

    async def hit(self, point: str) -> None:
        if point == self.point:
            raise ProcessDied(point)


def _died(exc: BaseException) -> bool:
    if isinstance(exc, ProcessDied):
        return True
    return isinstance(exc, BaseExceptionGroup) and any(_died(inner) for inner in exc.exceptions)


@dataclass
class Vendors:
    """Simulators on real sockets sharing the test's clock."""

    clock: FakeClock
    urls: dict[str, str] = field(default_factory=dict)

    def state(self, vendor: str) -> dict[str, Any]:
        return httpx2.get(f"{self.urls[vendor]}/_sim/state", timeout=10).json()

    def faults(self, vendor: str, **faults: Any) -> None:
        httpx2.put(f"{self.urls[vendor]}/_sim/faults", json=faults, timeout=10).raise_for_status()


@contextlib.contextmanager
def running_vendors(*names: str) -> Iterator[Vendors]:
    vendors = Vendors(FakeClock(START))
    with contextlib.ExitStack() as stack:
        for name in names:
            server = ServerThread(create_simulator(name, clock=vendors.clock), graceful_shutdown_seconds=0.5)
            vendors.urls[name] = stack.enter_context(server).url
        yield vendors


@dataclass
class Roomgate:
    container: Container
    client: httpx2.AsyncClient

    async def checkout(self, body: dict[str, Any], key: str | None = None) -> httpx2.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.client.post("/api/booking/checkout", json=body, headers=headers)

    async def checkout_dies(self, body: dict[str, Any], key: str | None = None) -> None:
        """A checkout whose process "dies" at the saga's `DiesAt` point (the ASGI stack wraps the death)."""
        try:
            await self.checkout(body, key)
        except BaseException as exc:  # noqa: BLE001 - looking for the modelled death inside whatever wraps it
            if _died(exc):
                return
            raise
        raise AssertionError("the checkout did not reach its fault point")

    async def booking(self, booking_id: str) -> Booking:
        return await self.container.bookings.get(booking_id)

    async def only_booking(self) -> Booking:
        async with self.container.sessions() as session:
            [row] = list(await session.scalars(select(BookingRow)))
        return booking_of(row)

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.container.clock, FakeClock)
        return self.container.clock

    async def age(self, booking_id: str) -> None:
        """Given: time passes (on the one clock roomgate and the vendors share) until recovery may take
        the booking over: idle for the recovery window and its lease run out."""
        booking = await self.booking(booking_id)
        idle = booking.updated_at + timedelta(seconds=self.container.settings.recovery_after_seconds)
        due = max(idle, booking.lease_until or idle)
        wait = (due - datetime.fromtimestamp(self.clock.now(), UTC)).total_seconds() + 1
        if wait > 0:
            self.clock.advance(wait)


def environment(vendors: Vendors, **extra: str) -> dict[str, str]:
    env = {
        f"PMS_{HOTEL}_API_KEY": PMS_KEY,
        "PAYMENT_PROVIDER": "sandbox",
        "PAYMENT_API_KEY": PAYMENT_KEY,
        "MEWS_CLIENT_TOKEN": "saga-review-client-token",
        "ROOMGATE_RETRY_ATTEMPTS": "0",
        "ROOMGATE_DEBUG_FAULTS": "",
    }
    bases = {
        "cloudbeds": ("CLOUDBEDS_BASE_URL", "/api/v1.3"),
        "mews": ("MEWS_BASE_URL", ""),
        "toss": ("TOSS_BASE_URL", ""),
        "stripe": ("STRIPE_BASE_URL", ""),
    }
    for name, url in vendors.urls.items():
        variable, suffix = bases[name]
        env[variable] = url + suffix
    pms = [name for name in vendors.urls if name in {"cloudbeds", "mews"}]
    if len(pms) == 1:  # the hotel lives at the one PMS running (a hotel has exactly one vendor)
        env[f"PMS_{HOTEL}_VENDOR"] = pms[0]
    return {**env, **extra}


@contextlib.asynccontextmanager
async def running_roomgate(
    database_url: str, vendors: Vendors, monkeypatch: pytest.MonkeyPatch, **extra_env: str
) -> AsyncIterator[Roomgate]:
    """The app (lifespan run) over an ASGI transport; its container is the test's to inspect."""
    upgrade(database_url)
    for name, value in environment(vendors, **extra_env).items():
        monkeypatch.setenv(name, value)
    settings = load_settings(database_url=database_url, redis_url=None)
    container = build_container(settings, clock=vendors.clock, redis=fresh_in_process_redis())
    app = create_app(settings, container_factory=lambda _settings: container)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        base = "http://roomgate.test"
        async with httpx2.AsyncClient(transport=transport, base_url=base, timeout=30) as http:
            yield Roomgate(container, http)


def stay(offset_days: int = 30, nights: int = 2) -> tuple[date, date]:
    start = date(2026, 1, 1) + timedelta(days=offset_days)
    return start, start + timedelta(days=nights)


def checkout_body(
    start: date,
    end: date,
    *,
    vendor: str = "cloudbeds",
    token: str = "tok_visa_1234",
    price: int = 125000,
    payment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    nights = (end - start).days
    return {
        "vendor": vendor,
        "hotelId": HOTEL,
        "roomTypeId": ROOM,
        "checkIn": start.isoformat(),
        "checkOut": end.isoformat(),
        "guestInfo": {
            "firstName": "Saga",
            "lastName": "Review",
            "email": "saga@example.com",
            "phone": "+82-10-0000-0000",
        },
        "adults": 2,
        "children": 0,
        "payment": payment or {"cardToken": token, "amount": price * nights, "currency": "KRW"},
    }
