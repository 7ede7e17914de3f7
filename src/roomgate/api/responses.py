"""Response bodies of the public API as documented in `/openapi.json`, and which error answers each
route really sends (every one in the spec's shape, `ErrorOut`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from roomgate.api.schemas import ErrorOut
from roomgate.services.availability_models import Source

BookingState = Literal[
    "pending",
    "held",
    "authorized",
    "reserved",
    "confirmed",
    "failed",
    "cancelling",
    "cancelled",
    "cancelled_by_hotel",
]
PaymentState = Literal["authorized", "captured", "voided", "refunded", "failed", "unknown"]

_STATUS_TEXT = {
    400: "Bad input (VALIDATION_ERROR); nothing changed",
    401: "Missing or wrong bearer token (UNAUTHORIZED)",
    402: "Payment pre-authorisation refused (PAYMENT_PREAUTH_FAILED)",
    404: "Unknown hotel, room type or booking (NOT_FOUND)",
    409: "No room left, hold failed, the PMS billed another amount than was pre-authorised "
    "(PRICE_MISMATCH: nothing charged, quote again), or Idempotency-Key conflict",
    500: "A bug (INTERNAL_ERROR); never a stack trace",
    502: "The PMS or the payment provider refused "
    "(BOOKING_CONFIRM_FAILED, PAYMENT_CAPTURE_FAILED, PMS_UNAVAILABLE)",
    503: "PMS unavailable with nothing cached, or degraded mode (PMS_UNAVAILABLE, SERVICE_DEGRADED)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the spec's error body (500 always included)."""
    return {
        status: {"model": ErrorOut, "description": _STATUS_TEXT[status]}
        for status in sorted({*statuses, 500})
    }


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(description='per dependency: "ok" or "error: <kind>"')


class NightOut(BaseModel):
    date: str = Field(description="YYYY-MM-DD")
    available: int = Field(description="rooms for sale now: PMS available − active holds")
    price: int | None = Field(description="nightly price in minor units of `currency`")
    currency: str | None


class InventoryOut(BaseModel):
    success: Literal[True] = True
    hotelId: str
    roomTypeId: str
    vendor: str
    source: Source = Field(description="`pms` when this request read the PMS, else `cache`")
    ageSeconds: float = Field(description="how old the data is")
    nights: list[NightOut]


class TaxOut(BaseModel):
    code: str
    name: str
    type: Literal["tax", "fee"]
    amount: int = Field(description="minor units of the option's `currency`, for the whole stay")
    inclusive: bool = Field(description="already inside the room price (shown, not added)")


class RoomTypeOptionOut(BaseModel):
    roomTypeId: str
    name: str
    maxOccupancy: int
    available: int = Field(description="rooms for sale on every night of the stay")
    nights: list[NightOut] = Field(description="nightly prices for this party (adults, children)")
    total: int = Field(description="the stay's room price for this party in minor units, before taxes")
    currency: str
    taxes: list[TaxOut] = Field(description="the hotel's taxes and fees on this stay (empty: none)")
    totalWithTaxes: int = Field(description="what checkout charges: `total` plus non-inclusive taxes")


class AvailabilityOut(BaseModel):
    success: Literal[True] = True
    hotelId: str
    vendor: str
    checkIn: str
    checkOut: str
    nights: int
    adults: int
    children: int
    source: Source
    ageSeconds: float
    roomTypes: list[RoomTypeOptionOut]


class BookingOut(BaseModel):
    success: Literal[True] = True
    bookingId: str
    status: BookingState
    vendor: str
    hotelId: str
    roomTypeId: str
    checkIn: str
    checkOut: str
    adults: int
    children: int
    amount: int | None = Field(
        description="minor units of `currency`: the quoted amount, or what was charged when the "
        "PMS's own total (read back after the reservation) was captured instead (step `price_checked`)"
    )
    currency: str
    holdId: str | None
    paymentProvider: str | None
    paymentStatus: PaymentState | None = Field(description="null until the payment was pre-authorised")
    pmsReservationId: str | None
    confirmationNumber: str | None
    errorCode: str | None
    createdAt: str
    updatedAt: str


class BookingStepOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event: str
    from_: str | None = Field(alias="from")
    to: str | None
    at: str
    detail: dict[str, Any] | None


class BookingRoomOut(BaseModel):
    roomTypeId: str
    quantity: int
    adults: int
    children: int
    amount: int = Field(description="this line's price in minor units: every room of it, every night")
    pmsReservationIds: list[str] = Field(
        description="the PMS reservations made for this line (Mews: one per room)"
    )


class BookingDetailOut(BookingOut):
    steps: list[BookingStepOut] = Field(description="every saga step, oldest first")
    rooms: list[BookingRoomOut] | None = Field(
        default=None, description="a multi-room booking's lines; absent for a single-room booking"
    )


class CacheStatsOut(BaseModel):
    hits: int
    misses: int
    hitRate: float | None


class AdminStatusOut(BaseModel):
    success: Literal[True] = True
    breakers: list[dict[str, Any]]
    degraded: dict[str, Any] = Field(description='{"global": sources | null, "hotels": {hotelId: sources}}')
    cache: CacheStatsOut


class DegradedOut(BaseModel):
    success: Literal[True] = True
    degraded: dict[str, Any]
