"""The small interfaces the checkout saga needs from adapters (cache, pricing, resilience, vendors)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from roomgate.domain.hotel import HotelConfig
from roomgate.domain.listing import ImportChanges, ListingDetails, ListingImport, StoredHotel
from roomgate.domain.money import Money
from roomgate.domain.polling import BookedStay, PollingStatus
from roomgate.domain.stay import Stay
from roomgate.domain.taxes import TaxLine
from roomgate.payments.base import PaymentGateway
from roomgate.pms.base import PMSConnector


@dataclass(frozen=True, slots=True)
class HoldOutcome:
    ok: bool
    short_night: date | None = None  # first night without enough rooms for sale
    missing_nights: tuple[date, ...] = ()  # nights with no cached PMS count (fill, then retry)


class HoldLedger(Protocol):
    """Atomic all-nights-or-none holds (Redis Lua); idempotent by hold id."""

    async def create(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, hold_id: str
    ) -> HoldOutcome: ...

    async def release(self, hotel_id: str, hold_id: str) -> None: ...

    async def convert(self, hotel_id: str, hold_id: str, booked_at: float | None = None) -> None:
        """The booking is confirmed (`booked_at`: when the PMS confirmed): hold gone, cached count lowered."""
        ...


@dataclass(frozen=True, slots=True)
class NightQuote:
    night: date
    price: Money
    for_sale: int


@dataclass(frozen=True, slots=True)
class Quote:
    """One room for one party: nightly prices are the party's; `total` is what is charged (the
    room total plus the hotel's non-inclusive taxes and fees, itemised in `taxes`)."""

    room_type_id: str
    max_occupancy: int
    nights: tuple[NightQuote, ...]
    total: Money
    rate_plan_id: str | None = None
    taxes: tuple[TaxLine, ...] = ()
    room_total: Money | None = None  # before taxes and fees (None: same as `total`)

    @property
    def first_short_night(self) -> date | None:
        return next((n.night for n in self.nights if n.for_sale < 1), None)


class Pricer(Protocol):
    async def quote(
        self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay, adults: int, children: int
    ) -> Quote:
        """Server-side price and availability of a stay (cache first, PMS on a miss)."""
        ...

    async def ensure_cached(self, vendor: str, hotel_id: str, room_type_id: str, stay: Stay) -> None:
        """Make sure every night of the stay has a cached PMS count (before a hold)."""
        ...


class Restocker(Protocol):
    async def restock(
        self, hotel_id: str, room_type_id: str, nights: Sequence[date], quantity: int, changed_at: float
    ) -> None:
        """Give a cancelled booking's rooms back to the cached count of each night.

        `changed_at`: when the PMS cancel was sent."""
        ...


class WriteGate(Protocol):
    async def write_refusal(self, vendor: str, hotel_id: str) -> str | None:
        """None when bookings are allowed; else the degraded-mode message."""
        ...


class ConnectorProvider(Protocol):
    async def __call__(self, vendor: str, hotel_id: str) -> PMSConnector: ...


class GatewayProvider(Protocol):
    def __call__(self, provider: str) -> PaymentGateway: ...


class AllowAllWrites:
    async def write_refusal(self, vendor: str, hotel_id: str) -> str | None:
        return None


class HotelDirectory(Protocol):
    """Which hotels exist, at which vendor, and their sync settings (env today, the database later)."""

    async def get(self, hotel_id: str) -> HotelConfig | None:
        """The hotel's configuration, or None when roomgate does not know it."""
        ...

    async def list_hotels(self) -> Sequence[HotelConfig]:
        """Every known hotel, enabled or not, in a stable order."""
        ...


class Alerts(Protocol):
    """Tell an operator something needs a human (breaker open, polling stopped, dead-lettered event).

    Implementations log at ERROR, count a metric and may POST to `ROOMGATE_ALERT_WEBHOOK_URL`; sending an
    alert never raises into the caller (a failing notification is logged and skipped)."""

    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        """`kind` names the alert (`polling_stopped`); `key` deduplicates it (`cloudbeds:hotel_123`)."""
        ...


class PollingStates(Protocol):
    """Persisted polling state per (vendor, hotel) (`polling_state` table); writes of a poll's result
    are fenced: one carrying a token older than the newest seen is refused (False / None)."""

    async def get(self, vendor: str, hotel_id: str) -> PollingStatus | None: ...

    async def list_all(self) -> Sequence[PollingStatus]: ...

    async def ensure(
        self, vendor: str, hotel_id: str, next_sync_at: datetime, *, running: bool = True
    ) -> PollingStatus: ...

    async def start(self, vendor: str, hotel_id: str, next_sync_at: datetime) -> PollingStatus: ...

    async def stop(self, vendor: str, hotel_id: str, reason: str, now: datetime) -> PollingStatus: ...

    async def record_success(
        self,
        vendor: str,
        hotel_id: str,
        fence: int,
        *,
        at: datetime,
        next_sync_at: datetime,
        delta_synced_to: datetime | None,
        changes: dict[str, Any],
    ) -> bool: ...

    async def record_failure(
        self, vendor: str, hotel_id: str, fence: int, *, error: str, next_sync_at: datetime, limit: int
    ) -> PollingStatus | None: ...


class PollerLease(Protocol):
    """One poller per hotel across workers (Redis): a lease whose value is a fencing token."""

    async def acquire(self, hotel_id: str, ttl_seconds: float) -> int | None: ...

    async def renew(self, hotel_id: str, token: int, ttl_seconds: float) -> bool: ...

    async def release(self, hotel_id: str, token: int) -> None: ...


class ConfirmedBookings(Protocol):
    async def confirmed_between(self, first_night: date, last_check_in: date, limit: int) -> list[BookedStay]:
        """Confirmed bookings with nights after `first_night` and a check-in up to `last_check_in`."""
        ...


class ReportStore(Protocol):
    """Keeps the latest reconciliation report where every process can read it."""

    async def save(self, report: dict[str, Any]) -> None: ...

    async def load(self) -> dict[str, Any] | None: ...


class ListingStore(Protocol):
    """Listings imported from a PMS: `listings`, `room_types`, `room_inventory`, `rate_plan`, `pms_config`."""

    async def save_import(self, data: ListingImport) -> tuple[int, ImportChanges]:
        """Create or update the hotel's listing and everything under it in one transaction."""
        ...

    async def get(self, listing_id: int) -> ListingDetails:
        """Raises `ListingNotFound`."""
        ...

    async def update(
        self, listing_id: int, listing_fields: Mapping[str, Any], config_fields: Mapping[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """Change some fields; returns what changed. Raises `ListingNotFound`."""
        ...

    async def encrypted_keys(self) -> list[tuple[int, str]]: ...

    async def replace_encrypted_key(self, config_id: int, old: str, new: str) -> bool:
        """Compare-and-set of one stored (encrypted) key."""
        ...


class StoredHotels(Protocol):
    """The stored PMS connections as every server process sees them."""

    async def stored(self, hotel_id: str) -> StoredHotel | None: ...

    async def changed(self) -> None:
        """Tell every process the stored hotels changed (after the transaction committed)."""
        ...


class NightsRefresher(Protocol):
    """Re-read nights from the PMS into the cache now (services/cache_refresh.py)."""

    async def refresh_nights(
        self, vendor: str, hotel_id: str, room_type_ids: Sequence[str] | None, start: date, end: date
    ) -> object: ...
