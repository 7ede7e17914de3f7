"""Checkout, booking status and cancellation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse

from roomgate.api import checkout_rooms
from roomgate.api.checkout_rooms import BookingRoomsDep
from roomgate.api.deps import BookingsDep, CancellationDep, CheckoutDep, HotelAccessDep, SettingsDep
from roomgate.api.errors import error_body, error_response, pms_failure, status_of
from roomgate.api.responses import BookingDetailOut, BookingOut, errors
from roomgate.api.schemas import ID_PATTERN, CheckoutIn, CheckoutOut
from roomgate.config import Settings
from roomgate.domain.booking import Booking, BookingNotFound
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.idempotency import request_fingerprint
from roomgate.domain.money import Money, MoneyError
from roomgate.payments.base import PaymentSource
from roomgate.pms.base import SUPPORTED_VENDORS
from roomgate.pms.errors import PMSError
from roomgate.pms.types import GuestInfo
from roomgate.services.checkout import CheckoutCommand
from roomgate.services.hotel_access import HotelAccess
from roomgate.services.idempotent_checkout import CheckoutOutcome, StoredAnswer

router = APIRouter(prefix="/api", tags=["booking"])

REPLAYED = {"Idempotent-Replayed": "true"}
# 1–255 visible ASCII characters: an empty key would be one key shared by every caller.
IDEMPOTENCY_KEY = r"^[!-~]{1,255}$"
BookingIdPath = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("/booking/checkout", response_model=CheckoutOut, responses=errors(400, 402, 404, 409, 502, 503))
async def checkout(
    body: CheckoutIn,
    service: CheckoutDep,
    access: HotelAccessDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY)] = None,
) -> JSONResponse:
    """Hold the rooms, pre-authorise, reserve at the PMS, capture — or roll everything back."""
    command = to_command(body, access, settings)
    fingerprint = request_fingerprint(body.model_dump()) if idempotency_key is not None else ""
    reply = await service.checkout(command, checkout_answer, key=idempotency_key, fingerprint=fingerprint)
    if reply.answer is None:  # the first request with this key is still running
        headers = {"Retry-After": "1", **({"X-Booking-Id": reply.booking_id} if reply.booking_id else {})}
        in_flight = f"{ErrorCode.IDEMPOTENCY_CONFLICT.message}: 처리 중"
        return error_response(ErrorCode.IDEMPOTENCY_CONFLICT, in_flight, headers=headers)
    status, payload = reply.answer
    if reply.replayed:
        return JSONResponse(payload, status_code=status, headers=REPLAYED)
    named = {"X-Booking-Id": reply.booking_id} if reply.booking_id else None
    return JSONResponse(payload, status_code=status, headers=named)


def checkout_answer(outcome: CheckoutOutcome) -> StoredAnswer:
    """The status and JSON body of a checkout's outcome (also what an Idempotency-Key replays)."""
    if isinstance(outcome, DomainError):  # includes SagaFailed
        return status_of(outcome.code), error_body(outcome.code, outcome.user_message)
    if isinstance(outcome, PMSError):  # pricing needed the PMS and it failed or refused
        status, payload, _headers = pms_failure(outcome)
        return status, payload
    rooms = checkout_rooms.rooms_out(outcome.rooms)
    out = CheckoutOut(
        bookingId=outcome.booking_id, confirmationNumber=outcome.confirmation_number, rooms=rooms
    )
    return 200, out.body()


def to_command(body: CheckoutIn, access: HotelAccess, settings: Settings) -> CheckoutCommand:
    if body.vendor not in SUPPORTED_VENDORS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"지원하지 않는 PMS입니다: {body.vendor}")
    rooms = checkout_rooms.room_lines(body, settings)  # () for the spec's single-room form
    stay = access.stay(body.checkIn, body.checkOut)
    try:
        amount = Money.from_minor(body.payment.amount, body.payment.currency)
    except MoneyError:
        unsupported = f"지원하지 않는 통화입니다: {body.payment.currency}"
        raise DomainError(ErrorCode.VALIDATION_ERROR, unsupported) from None
    provider = accepted_provider(body.payment.provider, settings)
    if provider == "toss" and not (body.payment.paymentKey and body.payment.orderId):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "Toss 결제에는 payment.paymentKey와 payment.orderId가 필요합니다"
        )
    if provider != "toss" and not body.payment.cardToken:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "payment.cardToken이 필요합니다")
    guest = body.guestInfo
    first = rooms[0] if rooms else None
    return CheckoutCommand(
        vendor=body.vendor,
        hotel_id=body.hotelId,
        room_type_id=first.room_type_id if first else str(body.roomTypeId),
        stay=stay,
        adults=first.adults if first else body.adults,
        children=first.children if first else body.children,
        guest=GuestInfo(guest.firstName, guest.lastName, guest.email, guest.phone, guest.country),
        amount=amount,
        provider=provider,
        source=PaymentSource(
            card_token=body.payment.cardToken,
            payment_key=body.payment.paymentKey,
            order_id=body.payment.orderId,
        ),
        rooms=rooms,
    )


def accepted_provider(named: str | None, settings: Settings) -> str:
    """The provider a request named, if this deployment accepts it, or the default for a request that
    names none. Checked before anything is written, held or charged."""
    accepted = [p.value for p in settings.accepted_payment_providers]
    if named is None:
        return settings.payment_provider.value
    if named not in accepted:
        refused = f"사용할 수 없는 결제 수단입니다: {named} (사용 가능: {', '.join(accepted)})"
        raise DomainError(ErrorCode.VALIDATION_ERROR, refused)
    return named


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingDetailOut,
    response_model_exclude_unset=True,  # `rooms` only for a multi-room booking
    responses=errors(400, 404),
)
async def get_booking(
    booking_id: BookingIdPath, bookings: BookingsDep, lines: BookingRoomsDep
) -> dict[str, Any]:
    """A booking's state, each saga step and the amounts — never card data or guest contacts."""
    try:
        booking = await bookings.get(booking_id)
    except BookingNotFound:
        raise DomainError(ErrorCode.NOT_FOUND, f"예약 {booking_id}") from None
    events = await bookings.events(booking_id)
    rooms = checkout_rooms.booking_rooms_out(await lines.lines(booking_id))
    return {
        "success": True,
        **booking_view(booking),
        **({"rooms": rooms} if rooms else {}),
        "steps": [
            {
                "event": e.event,
                "from": e.from_status,
                "to": e.to_status,
                "at": e.created_at.isoformat(),
                "detail": e.detail,
            }
            for e in events
        ],
    }


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut, responses=errors(400, 404, 502, 503))
async def cancel_booking(booking_id: BookingIdPath, cancellation: CancellationDep) -> dict[str, Any]:
    """Cancel a confirmed booking: PMS cancel, refund, rooms back on sale. Repeating it is harmless."""
    booking = await cancellation.cancel(booking_id)
    return {"success": True, **booking_view(booking)}


def booking_view(booking: Booking) -> dict[str, Any]:
    return {
        "bookingId": booking.booking_id,
        "status": booking.status,
        "vendor": booking.vendor,
        "hotelId": booking.hotel_id,
        "roomTypeId": booking.room_type_id,
        "checkIn": booking.check_in.isoformat(),
        "checkOut": booking.check_out.isoformat(),
        "adults": booking.adults,
        "children": booking.children,
        "amount": booking.total_minor,
        "currency": booking.currency,
        "holdId": booking.hold_id,
        "paymentProvider": booking.payment_provider,
        "paymentStatus": booking.payment_status,
        "pmsReservationId": booking.pms_reservation_id,
        "confirmationNumber": booking.confirmation_number,
        "errorCode": booking.error_code,
        "createdAt": booking.created_at.isoformat(),
        "updatedAt": booking.updated_at.isoformat(),
    }
