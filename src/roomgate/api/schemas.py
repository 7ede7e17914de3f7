"""Request and response bodies of the public API, field names exactly as the spec writes them."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictInt,
    field_validator,
    model_serializer,
)

from roomgate.domain.rooms import MAX_ROOM_LINES, MAX_ROOMS

ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # what the schema promises; the calendar is checked after
# The PMS vendors roomgate speaks (pms.base.SUPPORTED_VENDORS); a hotel is at exactly one of them.
Vendor = Literal["cloudbeds", "mews"]
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"
# Never part of a name, an address or a token: control characters (NUL, newlines, escapes), lone
# surrogates, line/paragraph separators and the bidirectional overrides used to disguise text.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable_text(value: object) -> object:
    """A field validator: refuse text carrying control characters (the value is never echoed)."""
    if isinstance(value, str) and any(
        ch in _BIDI_CONTROLS or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value
    ):
        raise ValueError("제어 문자는 사용할 수 없습니다")
    return value


class GuestInfoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firstName: str = Field(min_length=1, max_length=100)
    lastName: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\-() ]*$")
    country: str = Field(default="KR", pattern=r"^[A-Z]{2}$")

    _printable = field_validator("firstName", "lastName", "email", "phone", mode="before")(printable_text)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cardToken: str | None = Field(default=None, min_length=1, max_length=200)
    amount: int = Field(ge=0, le=10**12, description="integer minor units of `currency` (KRW has none)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    provider: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,20}$",
        description="one of the deployment's PAYMENT_PROVIDERS; omitted = PAYMENT_PROVIDER",
    )
    paymentKey: str | None = Field(
        default=None, min_length=1, max_length=200, description="Toss: from the widget's authentication"
    )
    orderId: str | None = Field(
        default=None, min_length=6, max_length=64, description="Toss: the widget's orderId"
    )

    _printable = field_validator("cardToken", "paymentKey", "orderId", mode="before")(printable_text)

    @field_validator("amount", mode="before")
    @classmethod
    def _integer_only(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("amount는 정수(최소 화폐 단위)여야 합니다")
        return value


def _checkout_example(schema: dict[str, Any]) -> None:
    """The spec's example, with a stay 30 days after the schema was rendered (fixed dates expire)."""
    check_in = datetime.now(UTC).date() + timedelta(days=30)
    schema["example"] = {
        "vendor": "cloudbeds",
        "hotelId": "hotel_123",
        "roomTypeId": "room_456",
        "checkIn": check_in.isoformat(),
        "checkOut": (check_in + timedelta(days=2)).isoformat(),
        "guestInfo": {
            "firstName": "홍",
            "lastName": "길동",
            "email": "hong@example.com",
            "phone": "+82-10-1234-5678",
        },
        "adults": 2,
        "children": 0,
        "payment": {"cardToken": "tok_visa_1234", "amount": 250000, "currency": "KRW"},
    }


class RoomLineIn(BaseModel):
    """One line of a multi-room checkout: `quantity` rooms of a type, each for `adults` + `children`."""

    model_config = ConfigDict(extra="forbid")

    roomTypeId: str = Field(pattern=ID_PATTERN)
    quantity: StrictInt = Field(default=1, ge=1, le=MAX_ROOMS)
    adults: StrictInt = Field(default=1, ge=1, le=20)
    children: StrictInt = Field(default=0, ge=0, le=20)


class RoomLineOut(BaseModel):
    roomTypeId: str
    quantity: int
    adults: int
    children: int
    amount: int  # this line's price in minor units: every room of it, every night


class CheckoutIn(BaseModel):
    """The spec's checkout (`roomTypeId`, `adults`, `children`: one room), or several rooms in one
    checkout (`rooms`, without those three): exactly one of the two forms."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_checkout_example)

    vendor: Vendor
    hotelId: str = Field(pattern=ID_PATTERN)
    roomTypeId: str | None = Field(default=None, pattern=ID_PATTERN)
    rooms: list[RoomLineIn] | None = Field(default=None, max_length=MAX_ROOM_LINES)
    checkIn: str = Field(pattern=DATE_PATTERN, description="YYYY-MM-DD")
    checkOut: str = Field(pattern=DATE_PATTERN, description="YYYY-MM-DD")
    guestInfo: GuestInfoIn
    adults: StrictInt = Field(default=1, ge=1, le=20)
    children: StrictInt = Field(default=0, ge=0, le=20)
    payment: PaymentIn

    @model_serializer(mode="wrap")
    def _spec_form_unchanged(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A single-room request dumps exactly as before `rooms` existed (no `rooms` key), so its
        idempotency fingerprint, and keys stored earlier, stay the same."""
        data: dict[str, Any] = handler(self)
        if self.rooms is None:
            data.pop("rooms", None)
        return data


class CheckoutOut(BaseModel):
    success: Literal[True] = True
    bookingId: str
    confirmationNumber: str
    rooms: list[RoomLineOut] | None = None  # a multi-room checkout's lines (absent for the spec's form)

    def body(self) -> dict[str, Any]:
        """The answer: the spec's three fields, plus `rooms` for a multi-room checkout."""
        return self.model_dump(exclude_none=True)


class ErrorOut(BaseModel):
    success: Literal[False] = False
    error: str
    errorCode: str
