"""Bookings for operators: search (guest contacts masked), one booking with its audit steps, cancel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from roomgate.api.booking import BookingIdPath
from roomgate.api.deps import AdminDep, BookingsDep, BookingSearchDep, CancellationDep
from roomgate.api.schemas import DATE_PATTERN, ID_PATTERN, ErrorOut
from roomgate.domain.booking import Booking, BookingNotFound, BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.stay import parse_date
from roomgate.ledger.booking_search import BookingQuery, mask_email, mask_name, mask_phone
from roomgate.services.booking_ledger import BookingLedger

router = APIRouter(prefix="/api/admin/bookings", tags=["admin: bookings"])

_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorOut} for status in (400, 401, 404, 503)}


class GuestOut(BaseModel):
    name: str | None = Field(description="masked")
    email: str | None = Field(description="masked")
    phone: str | None = Field(description="masked: last four digits")


class BookingRowOut(BaseModel):
    bookingId: str
    status: str
    vendor: str
    hotelId: str
    roomTypeId: str
    checkIn: date
    checkOut: date
    adults: int
    children: int
    amount: int | None
    currency: str
    paymentProvider: str | None
    paymentStatus: str | None
    pmsReservationId: str | None
    confirmationNumber: str | None
    errorCode: str | None
    guest: GuestOut
    createdAt: datetime
    updatedAt: datetime


class BookingListOut(BaseModel):
    success: Literal[True] = True
    total: int
    bookings: list[BookingRowOut]


class StepOut(BaseModel):
    event: str
    from_: str | None = Field(alias="from")
    to: str | None
    at: datetime
    detail: dict[str, Any] | None


class BookingDetailOut(BaseModel):
    success: Literal[True] = True
    booking: BookingRowOut
    steps: list[StepOut]


def row_out(booking: Booking) -> BookingRowOut:
    return BookingRowOut(
        bookingId=booking.booking_id,
        status=booking.status,
        vendor=booking.vendor,
        hotelId=booking.hotel_id,
        roomTypeId=booking.room_type_id,
        checkIn=booking.check_in,
        checkOut=booking.check_out,
        adults=booking.adults,
        children=booking.children,
        amount=booking.total_minor,
        currency=booking.currency,
        paymentProvider=booking.payment_provider,
        paymentStatus=booking.payment_status,
        pmsReservationId=booking.pms_reservation_id,
        confirmationNumber=booking.confirmation_number,
        errorCode=booking.error_code,
        guest=GuestOut(
            name=mask_name(booking.guest_first_name, booking.guest_last_name),
            email=mask_email(booking.guest_email),
            phone=mask_phone(booking.guest_phone),
        ),
        createdAt=booking.created_at,
        updatedAt=booking.updated_at,
    )


@router.get("", response_model=BookingListOut, responses=_ERRORS)
async def search_bookings(
    _admin: AdminDep,
    search: BookingSearchDep,
    hotel_id: Annotated[str | None, Query(alias="hotelId", pattern=ID_PATTERN)] = None,
    status: BookingStatus | None = None,
    booking_id: Annotated[str | None, Query(alias="bookingId", pattern=ID_PATTERN)] = None,
    check_in_from: Annotated[
        str | None, Query(alias="from", pattern=DATE_PATTERN, description="check-in on or after, YYYY-MM-DD")
    ] = None,
    check_in_to: Annotated[
        str | None, Query(alias="to", pattern=DATE_PATTERN, description="check-in on or before, YYYY-MM-DD")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BookingListOut:
    """Newest first; guest name, e-mail and phone masked."""
    first = parse_date(check_in_from, "from") if check_in_from else None
    last = parse_date(check_in_to, "to") if check_in_to else None
    query = BookingQuery(hotel_id, status.value if status else None, booking_id, first, last, offset, limit)
    total, rows = await search.search(query)
    return BookingListOut(total=total, bookings=[row_out(b) for b in rows])


async def booking_detail(bookings: BookingLedger, booking_id: str) -> BookingDetailOut:
    try:
        booking = await bookings.get(booking_id)
    except BookingNotFound:
        raise DomainError(ErrorCode.NOT_FOUND, f"예약 {booking_id}") from None
    events = await bookings.events(booking_id)
    steps = [
        StepOut.model_validate(
            {
                "event": e.event,
                "from": e.from_status,
                "to": e.to_status,
                "at": e.created_at,
                "detail": e.detail,
            }
        )
        for e in events
    ]
    return BookingDetailOut(booking=row_out(booking), steps=steps)


@router.get("/{booking_id}", response_model=BookingDetailOut, responses=_ERRORS, response_model_by_alias=True)
async def get_booking(booking_id: BookingIdPath, _admin: AdminDep, bookings: BookingsDep) -> BookingDetailOut:
    """One booking with every audit step (`booking_event`)."""
    return await booking_detail(bookings, booking_id)


@router.post("/{booking_id}/cancel", response_model=BookingDetailOut, responses=_ERRORS)
async def cancel_booking(
    booking_id: BookingIdPath, _admin: AdminDep, bookings: BookingsDep, cancellation: CancellationDep
) -> BookingDetailOut:
    """Cancel a confirmed booking (PMS cancel, refund, rooms back on sale); repeating it is harmless."""
    await cancellation.cancel(booking_id, reason="operator")
    return await booking_detail(bookings, booking_id)
