"""Whether a request may read or book a hotel: nights inside the bookable window, the vendor the
hotel is connected through, and a hotel the admin has not disabled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.hotel import HotelConfig
from roomgate.domain.stay import Stay, ensure_bookable
from roomgate.services.ports import HotelDirectory


class StoredHotelState(Protocol):
    """The admin's stored hotels (pms/db_hotels.py): as this process last saw them, or as now."""

    async def peek(self, hotel_id: str) -> HotelConfig | None: ...

    async def current(self, hotel_id: str) -> HotelConfig | None: ...


class HotelAccess:
    def __init__(
        self, settings: Settings, clock: Clock, hotels: HotelDirectory, stored: StoredHotelState
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._hotels = hotels
        self._stored = stored

    def stay(self, check_in: str, check_out: str) -> Stay:
        """The stay the two dates name: valid, at most `ROOMGATE_MAX_STAY_NIGHTS`, and bookable."""
        stay = Stay.parse(check_in, check_out, max_nights=self._settings.max_stay_nights)
        self.ensure_bookable(stay.check_in, stay.check_out)
        return stay

    def ensure_bookable(self, start: date, end: date, field: str = "checkIn") -> None:
        """400 for nights already past everywhere (before yesterday in UTC: a hotel east of UTC may
        already be on the next day) or beyond `ROOMGATE_MAX_ADVANCE_DAYS`."""
        today = datetime.fromtimestamp(self._clock.now(), UTC).date()
        earliest, latest = today - timedelta(days=1), today + timedelta(days=self._settings.max_advance_days)
        ensure_bookable(start, end, earliest=earliest, latest=latest, field=field)

    async def admit(self, vendor: str, hotel_id: str, *, fresh: bool = False) -> None:
        """The hotel's own vendor (else 400) and a hotel that is enabled (else 404); `fresh`: see
        `check_hotel`."""
        await self.require_vendor(vendor, hotel_id)
        await self.check_hotel(vendor, hotel_id, fresh=fresh)

    async def admit_checkout(self, vendor: str, hotel_id: str) -> None:
        """`admit`, against the database's state of the hotel right now."""
        await self.admit(vendor, hotel_id, fresh=True)

    async def require_vendor(self, vendor: str, hotel_id: str) -> None:
        """A hotel lives at one PMS (its configuration in `hotels`): naming another vendor is a 400.

        Cache keys carry no vendor (the spec's keys), so a read or booking through the wrong vendor
        would mix two PMSs' rooms under one hotel id. A hotel the directory does not know is left to
        the credentials check (404 without a key)."""
        hotel = await self._hotels.get(hotel_id)
        if hotel is not None and hotel.vendor != vendor:
            wrong = f"호텔 {hotel_id}은(는) {hotel.vendor} PMS에 연결되어 있습니다 (요청: {vendor[:20]})"
            raise DomainError(ErrorCode.VALIDATION_ERROR, wrong)

    async def check_hotel(self, vendor: str, hotel_id: str, *, fresh: bool = False) -> None:
        """404 for a hotel the admin disabled or connected through another vendor.

        A hotel in the database is checked against the database's current state (one Redis GET;
        see pms/db_hotels.py), so a remembered answer re-rendered after a disable cannot keep
        selling it; an id the database does not hold (an env hotel) costs nothing here, unless
        `fresh` (checkout) asks for the current state anyway."""
        stored = await self._stored.peek(hotel_id)
        if stored is not None or fresh:
            stored = await self._stored.current(hotel_id)
        if stored is not None and (not stored.enabled or stored.vendor != vendor):
            raise DomainError(ErrorCode.NOT_FOUND, f"호텔 {hotel_id}")
