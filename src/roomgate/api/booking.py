"""Checkout, booking status and cancellation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse

from roomgate.api.deps import ContainerDep
from roomgate.api.errors import error_body, pms_failure
from roomgate.api.responses import BookingDetailOut, BookingOut, errors
from roomgate.api.schemas import ID_PATTERN, CheckoutIn, CheckoutOut
from roomgate.config import Settings
from roomgate.container import Container
from roomgate.domain.booking import Booking, BookingAlreadyExists, BookingNotFound, BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money, MoneyError
from roomgate.domain.stay import Stay
from roomgate.ledger.idempotency import ClaimOutcome, request_fingerprint
from roomgate.payments.base import PaymentSource
from roomgate.pms.base import SUPPORTED_VENDORS
from roomgate.pms.errors import PMSError
from roomgate.pms.types import GuestInfo
from roomgate.services.checkout import CheckoutCommand, new_booking_id
from roomgate.services.saga_lease import SagaTakenOver

router = APIRouter(prefix="/api", tags=["booking"])

REPLAYED = {"Idempotent-Replayed": "true"}
# 1–255 visible ASCII characters: an empty key would be one key shared by every caller.
IDEMPOTENCY_KEY = r"^[!-~]{1,255}$"
# Answers that mean the checkout stopped before any side effect: the key is freed for a retry.
NOTHING_DONE = {ErrorCode.PMS_UNAVAILABLE.value, ErrorCode.SERVICE_DEGRADED.value}
BookingIdPath = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("/booking/checkout", response_model=CheckoutOut, responses=errors(400, 402, 404, 409, 502, 503))
async def checkout(
    body: CheckoutIn,
    container: ContainerDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY)] = None,
) -> JSONResponse:
    """Hold the rooms, pre-authorise, reserve at the PMS, capture — or roll everything back."""
    command = to_command(body, container)
    await container.require_vendor(command.vendor, command.hotel_id)
    await container.check_hotel(command.vendor, command.hotel_id, fresh=True)
    booking_id = new_booking_id()
    token = None
    if idempotency_key is not None:
        fingerprint = request_fingerprint(body.model_dump())
        claim = await container.idempotency.claim(idempotency_key, fingerprint, booking_id)
        if claim.outcome is ClaimOutcome.REPLAY:
            return JSONResponse(claim.body, status_code=claim.status_code or 200, headers=REPLAYED)
        if claim.outcome is ClaimOutcome.BODY_MISMATCH:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "다른 요청 본문에 이미 사용된 키입니다")
        if claim.outcome is ClaimOutcome.IN_FLIGHT:
            settled = await _settled_answer(container, claim.booking_id)
            if settled is None:
                return _in_flight(await _existing(container, claim.booking_id))
            await container.idempotency.complete(idempotency_key, *settled, booking_id=claim.booking_id)
            return JSONResponse(settled[1], status_code=settled[0], headers=REPLAYED)
        # A retry that took over a dead request's key runs under that request's booking id.
        booking_id, token = claim.booking_id or booking_id, claim.token
    try:
        status, payload = await _run(container, command, booking_id)
    except (BookingAlreadyExists, SagaTakenOver):
        # Someone else carries this checkout on: the request we took the key over from (alive after
        # all), or the recovery job (our saga outlasted its lease). Answer from the booking once settled.
        settled = await _settled_answer(container, booking_id)
        if settled is None:
            return _in_flight(await _existing(container, booking_id))
        status, payload = settled
    except Exception:
        # Nothing was written for this booking: free the key so the client may retry. Once the
        # booking row exists, the key stays claimed and recovery settles the booking it names.
        if idempotency_key is not None and await container.bookings.find(booking_id) is None:
            await container.idempotency.forget(idempotency_key, token=token)
        raise
    if idempotency_key is not None:
        if status >= 500 and payload.get("errorCode") in NOTHING_DONE:
            # nothing happened yet: a retry may try again
            await container.idempotency.forget(idempotency_key, token=token)
        else:
            await container.idempotency.complete(idempotency_key, status, payload, booking_id=booking_id)
    # Only a booking that exists is named: a checkout refused before the saga wrote one (degraded
    # mode, a wrong amount, no room) has no booking to look up.
    named = booking_id if status == 200 else await _existing(container, booking_id)
    return JSONResponse(payload, status_code=status, headers={"X-Booking-Id": named} if named else None)


async def _existing(container: Container, booking_id: str | None) -> str | None:
    """`booking_id` if the ledger has that booking, else None."""
    if booking_id is None:
        return None
    return booking_id if await container.bookings.find(booking_id) is not None else None


def _in_flight(booking_id: str | None) -> JSONResponse:
    headers = {"Retry-After": "1", **({"X-Booking-Id": booking_id} if booking_id else {})}
    return JSONResponse(
        error_body(ErrorCode.IDEMPOTENCY_CONFLICT, f"{ErrorCode.IDEMPOTENCY_CONFLICT.message}: 처리 중"),
        status_code=409,
        headers=headers,
    )


async def _run(container: Container, command: CheckoutCommand, booking_id: str) -> tuple[int, dict[str, Any]]:
    saga = container.checkout
    try:
        quote = await saga.price(command)
        result = await saga.run(command, quote, booking_id)
    except DomainError as exc:  # includes SagaFailed
        return exc.code.http_status, error_body(exc.code, exc.user_message)
    except PMSError as exc:  # pricing needed the PMS and it failed or refused (nothing was held)
        status, payload, _headers = pms_failure(exc)
        return status, payload
    out = CheckoutOut(bookingId=result.booking_id, confirmationNumber=result.confirmation_number)
    return 200, out.model_dump()


async def _settled_answer(container: Container, booking_id: str | None) -> tuple[int, dict[str, Any]] | None:
    """For a key whose first request died mid-saga: once recovery settled the booking, answer from it."""
    booking = await container.bookings.find(booking_id) if booking_id else None
    if booking is None or not BookingStatus(booking.status).is_final:
        return None
    if booking.status == BookingStatus.FAILED.value:
        code = ErrorCode(booking.error_code or ErrorCode.INTERNAL_ERROR.value)
        return code.http_status, error_body(code, booking.error_message)
    out = CheckoutOut(bookingId=booking.booking_id, confirmationNumber=booking.confirmation_number or "")
    return 200, out.model_dump()


def to_command(body: CheckoutIn, container: Container) -> CheckoutCommand:
    settings = container.settings
    if body.vendor not in SUPPORTED_VENDORS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"지원하지 않는 PMS입니다: {body.vendor}")
    stay = Stay.parse(body.checkIn, body.checkOut, max_nights=settings.max_stay_nights)
    container.ensure_bookable(stay.check_in, stay.check_out)
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
    return CheckoutCommand(
        vendor=body.vendor,
        hotel_id=body.hotelId,
        room_type_id=body.roomTypeId,
        stay=stay,
        adults=body.adults,
        children=body.children,
        guest=GuestInfo(guest.firstName, guest.lastName, guest.email, guest.phone, guest.country),
        amount=amount,
        provider=provider,
        source=PaymentSource(
            card_token=body.payment.cardToken,
            payment_key=body.payment.paymentKey,
            order_id=body.payment.orderId,
        ),
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


@router.get("/bookings/{booking_id}", response_model=BookingDetailOut, responses=errors(400, 404))
async def get_booking(booking_id: BookingIdPath, container: ContainerDep) -> dict[str, Any]:
    """A booking's state, each saga step and the amounts — never card data or guest contacts."""
    try:
        booking = await container.bookings.get(booking_id)
    except BookingNotFound:
        raise DomainError(ErrorCode.NOT_FOUND, f"예약 {booking_id}") from None
    events = await container.bookings.events(booking_id)
    return {
        "success": True,
        **booking_view(booking),
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
async def cancel_booking(booking_id: BookingIdPath, container: ContainerDep) -> dict[str, Any]:
    """Cancel a confirmed booking: PMS cancel, refund, rooms back on sale. Repeating it is harmless."""
    booking = await container.cancellation.cancel(booking_id)
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
