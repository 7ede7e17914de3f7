"""The checkout saga (DESIGN §5): hold → pre-authorise → PMS reservation → capture, or compensate.

The booking row is written `pending` before the first side effect and every step's result is recorded
as it completes, so a crash anywhere leaves enough on disk for recovery to finish or undo it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from roomgate.clock import Clock
from roomgate.domain.booking import NO_CHANGE, Booking, BookingChange, BookingStatus, Step
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.money import Money
from roomgate.logging import get_logger
from roomgate.metrics import CHECKOUT_LATENCY, CHECKOUTS
from roomgate.payments.base import (
    Authorization,
    PaymentDeclined,
    PaymentError,
    PaymentGateway,
    PaymentProviderUnusable,
    PaymentStatus,
)
from roomgate.pms.base import PMSConnector, both
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSSoldOut,
)
from roomgate.pms.types import Reservation, ReservationRequest, ReservationStatus
from roomgate.services import checkout_rooms
from roomgate.services.booking_ledger import BookingLedger, StaleBookingState
from roomgate.services.checkout_model import (
    CheckoutCommand,
    CheckoutResult,
    SagaFailed,
    confirmation_of,
    new_booking_id,
)
from roomgate.services.checkout_rooms import RoomLineStore, RoomsQuote
from roomgate.services.compensation import (
    PAYMENT_STEP,
    PMS_STEP,
    CompensationIncomplete,
    Compensator,
    hold_id_for,
)
from roomgate.services.faults import NO_FAULTS, FaultPoints
from roomgate.services.ports import (
    ConnectorProvider,
    GatewayProvider,
    HoldLedger,
    HoldOutcome,
    NightsRefresher,
    Pricer,
    Quote,
    WriteGate,
)
from roomgate.services.price_check import (
    PRICE_CHECKED_EVENT,
    PriceDecision,
    PriceTolerance,
    check_pms_price,
)
from roomgate.services.saga_lease import SagaLease, SagaTakenOver

log = get_logger(__name__)

MISSING_RETRIES = 2

__all__ = [  # the command, result and failure live in checkout_model; callers import them from here
    "CheckoutCommand",
    "CheckoutResult",
    "CheckoutSaga",
    "SagaFailed",
    "confirmation_of",
    "new_booking_id",
]


# PMS answers to a create that prove it was refused; any other failure may still become a reservation.
_REFUSALS = (PMSSoldOut, PMSBadRequest, PMSAuthenticationError, PMSNotFound)


@dataclass
class CheckoutSaga:
    bookings: BookingLedger
    holds: HoldLedger
    pricer: Pricer
    connectors: ConnectorProvider
    gateways: GatewayProvider
    gate: WriteGate
    clock: Clock
    hold_seconds: int = 180
    lease_seconds: int = 300
    faults: FaultPoints = NO_FAULTS
    # Learns from refusals: a PMS "sold out" re-reads the stay's nights, so the next guest is told
    # INVENTORY_UNAVAILABLE before any payment.
    refresher: NightsRefresher | None = None
    # How far below the authorised amount the PMS's read-back total may be and still be captured.
    price_tolerance: PriceTolerance = PriceTolerance()
    # The room lines of multi-room checkouts (`ledger/booking_rooms.py`); needed only for those.
    rooms: RoomLineStore | None = None

    @property
    def compensator(self) -> Compensator:
        return Compensator(self.bookings, self.holds, self.connectors, self.gateways, self.rooms)

    async def price(self, cmd: CheckoutCommand) -> Quote:
        """Everything that can refuse a checkout without side effects: degraded mode, stock, price."""
        try:
            return await self._price(cmd)
        except DomainError as refused:  # counted like a failed saga, by its code (SERVICE_DEGRADED, ...)
            CHECKOUTS.labels(refused.code.value).inc()
            raise

    async def _price(self, cmd: CheckoutCommand) -> Quote:
        refusal = await self.gate.write_refusal(cmd.vendor, cmd.hotel_id)
        if refusal:
            raise DomainError(ErrorCode.SERVICE_DEGRADED, message=refusal)
        if cmd.rooms:  # several rooms: every line priced for its party, times its quantity
            return self._amount_checked(
                cmd,
                await checkout_rooms.quote_rooms(self.pricer, cmd.vendor, cmd.hotel_id, cmd.stay, cmd.rooms),
            )
        quote = await self.pricer.quote(
            cmd.vendor, cmd.hotel_id, cmd.room_type_id, cmd.stay, cmd.adults, cmd.children
        )
        if cmd.adults + cmd.children > quote.max_occupancy:
            too_many = f"최대 {quote.max_occupancy}명까지 투숙할 수 있습니다"
            raise DomainError(ErrorCode.VALIDATION_ERROR, too_many)
        short = quote.first_short_night
        if short is not None:
            raise DomainError(ErrorCode.INVENTORY_UNAVAILABLE, short.isoformat())
        return self._amount_checked(cmd, quote)

    @staticmethod
    def _amount_checked(cmd: CheckoutCommand, quote: Quote) -> Quote:
        if cmd.amount.currency != quote.total.currency or cmd.amount != quote.total:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"결제 금액이 일치하지 않습니다 (요청 {cmd.amount.minor} {cmd.amount.currency}, "
                f"실제 {quote.total.minor} {quote.total.currency})",
            )
        return quote

    async def run(self, cmd: CheckoutCommand, quote: Quote, booking_id: str) -> CheckoutResult:
        """Run every step; on failure compensate in reverse and raise `SagaFailed`."""
        with CHECKOUT_LATENCY.time():
            return await self._run(cmd, quote, booking_id)

    async def _run(self, cmd: CheckoutCommand, quote: Quote, booking_id: str) -> CheckoutResult:
        lease = SagaLease(self.bookings, booking_id, self.lease_seconds, self.clock)
        # Before any side effect: a hotel whose PMS connection is gone (its prices still cached) is
        # refused here, not after its rooms were held and the guest's card pre-authorised.
        connector = await self.connectors(cmd.vendor, cmd.hotel_id)
        # Likewise a provider this deployment cannot charge through (the API allow-lists it; this is
        # the saga's own guard): refused before the booking row, the hold or the pre-authorisation.
        try:
            self.gateways(cmd.provider)
        except PaymentProviderUnusable as exc:
            log.error("payment_provider_unusable", provider=cmd.provider[:20], reason=exc.message)
            raise DomainError(ErrorCode.INTERNAL_ERROR, "결제 수단을 사용할 수 없습니다") from None
        booking = await self._record_pending(cmd, quote, lease)
        try:
            await self._hold(cmd, booking, lease)
            await self.faults.hit("after_hold")
            authorization = await self._authorize(cmd, booking, lease)
            await self.faults.hit("after_authorize")
            reservation = await self._reserve(cmd, quote, booking, connector)
            # The PMS's total is read back while the reservation is written down: the read changes
            # nothing, and nothing is captured before the reservation is on disk (or handed over).
            _, decision = await both(
                self._record_reserved(booking, reservation, connector, lease),
                self._read_price(booking, authorization, reservation, connector),
            )
            booked_at = self.clock.now()
            amount = await self._settle_price(booking, decision, lease)
            await self.faults.hit("after_price_check")
            await self._capture(booking, authorization, amount)
            await self.faults.hit("after_capture")
        except SagaFailed as failure:
            await self._compensate(failure, lease)
            CHECKOUTS.labels(failure.code.value).inc()
            log.warning(
                "checkout_failed",
                booking_id=booking_id,
                hotel_id=cmd.hotel_id,
                room_type_id=cmd.room_type_id,
                error_code=failure.code.value,
                cause=type(failure.__cause__).__name__ if failure.__cause__ else None,
            )
            raise
        await self._confirm(booking, booked_at, lease)
        CHECKOUTS.labels("confirmed").inc()
        log.info(
            "checkout_confirmed",
            booking_id=booking_id,
            hotel_id=cmd.hotel_id,
            room_type_id=cmd.room_type_id,
            nights=cmd.stay.night_count,
            amount=amount.minor,
            currency=amount.currency,
            provider=cmd.provider,
            pms_reservation_id=reservation.reservation_id,
        )
        lines = checkout_rooms.stored_lines(quote) if isinstance(quote, RoomsQuote) else []
        return CheckoutResult(booking_id, confirmation_of(reservation), tuple(lines))

    # -- steps: each records its result under the saga's lease (SagaLease.advance) ---------------

    async def _record_pending(self, cmd: CheckoutCommand, quote: Quote, lease: SagaLease) -> Booking:
        if isinstance(quote, RoomsQuote):  # the lines first: a booking row never lacks its lines
            if self.rooms is None:
                raise DomainError(ErrorCode.INTERNAL_ERROR, "객실 여러 개 예약을 저장할 수 없습니다")
            await self.rooms.save(lease.booking_id, checkout_rooms.stored_lines(quote))
        now = lease.now()
        booking = Booking(
            booking_id=lease.booking_id,
            vendor=cmd.vendor,
            hotel_id=cmd.hotel_id,
            room_type_id=cmd.room_type_id,
            check_in=cmd.stay.check_in,
            check_out=cmd.stay.check_out,
            # the whole party: a multi-room booking's guests over all its rooms
            adults=sum(line.adults * line.quantity for line in cmd.rooms) or cmd.adults,
            children=sum(line.children * line.quantity for line in cmd.rooms) if cmd.rooms else cmd.children,
            status=BookingStatus.PENDING,
            total_price=quote.total.amount,
            total_minor=quote.total.minor,
            currency=quote.total.currency,
            payment_provider=cmd.provider,
            guest_first_name=cmd.guest.first_name,
            guest_last_name=cmd.guest.last_name,
            guest_email=cmd.guest.email,
            guest_phone=cmd.guest.phone,
            lease_owner=lease.owner,
            lease_until=lease.until(),
            created_at=now,
            updated_at=now,
        )
        detail = {"amount": quote.total.minor, "currency": quote.total.currency}
        return await self.bookings.create(booking, detail=detail)

    async def _hold(self, cmd: CheckoutCommand, booking: Booking, lease: SagaLease) -> None:
        hold_id = hold_id_for(booking.booking_id)
        nights = list(cmd.stay.nights())
        if self.faults.skips("hold"):
            lease.done_unrecorded(Step("hold_skipped_debug", reaches=BookingStatus.HELD))
            return
        lines = [(line.room_type_id, line.quantity) for line in cmd.rooms]

        async def create() -> HoldOutcome:  # every line in one atomic step, or the one room of the spec
            if lines:
                return await self.holds.create_many(cmd.hotel_id, lines, nights, hold_id)
            return await self.holds.create(cmd.hotel_id, cmd.room_type_id, nights, 1, hold_id)

        try:
            outcome = await create()
            # The cached count expired between pricing and holding: fill, then retry. A fill whose PMS
            # read began in the same instant as a local booking is fenced off, so allow a second one.
            for _ in range(MISSING_RETRIES):
                if not outcome.missing_nights:
                    break
                # every line's type (a multi-room hold names only the first missing one)
                for room_type_id in [room for room, _ in lines] or [cmd.room_type_id]:
                    await self.pricer.ensure_cached(cmd.vendor, cmd.hotel_id, room_type_id, cmd.stay)
                outcome = await create()
        except PMSError as exc:
            unknown_stock = "PMS 재고를 확인할 수 없습니다"
            raise SagaFailed(ErrorCode.HOLD_FAILED, unknown_stock, booking.booking_id) from exc
        except Exception as exc:
            log.warning("hold_error", booking_id=booking.booking_id, error=type(exc).__name__)
            raise SagaFailed(ErrorCode.HOLD_FAILED, None, booking.booking_id) from exc
        if not outcome.ok:
            if outcome.short_night is not None:
                short = outcome.short_night.isoformat()
                if outcome.room_type_id is not None:
                    short = f"{outcome.room_type_id} {short}"
                raise SagaFailed(ErrorCode.INVENTORY_UNAVAILABLE, short, booking.booking_id)
            raise SagaFailed(ErrorCode.HOLD_FAILED, None, booking.booking_id)
        # Not written on its own: recovery releases the hold by its derived id whatever is recorded, so
        # the hold is written with the pre-authorisation, in one unit of work (one write fewer).
        detail = {"holdId": hold_id, "nights": len(nights)}
        lease.done_unrecorded(Step("hold_created", detail, reaches=BookingStatus.HELD))

    async def _authorize(self, cmd: CheckoutCommand, booking: Booking, lease: SagaLease) -> Authorization:
        gateway = self.gateways(cmd.provider)
        try:
            authorization = await gateway.authorize(booking.booking_id, cmd.amount, cmd.source)
        except PaymentDeclined as exc:
            raise SagaFailed(ErrorCode.PAYMENT_PREAUTH_FAILED, exc.code or None, booking.booking_id) from exc
        except PaymentError as exc:  # a timeout or a provider error may still authorise, late
            unsettled = PAYMENT_STEP if exc.retryable else None
            raise SagaFailed(
                ErrorCode.PAYMENT_PREAUTH_FAILED, None, booking.booking_id, unsettled=unsettled
            ) from exc
        await lease.advance(
            BookingStatus.PENDING,  # `held` on the way: its step is recorded with this one
            BookingStatus.AUTHORIZED,
            event="payment_authorized",
            detail={"provider": authorization.provider, "amount": authorization.amount.minor},
            change=BookingChange(
                hold_id=hold_id_for(booking.booking_id),
                payment_auth_id=authorization.authorization_id,
                payment_status=PaymentStatus.AUTHORIZED.value,
            ),
            undo=lambda: gateway.void(authorization.authorization_id, booking.booking_id),
        )
        return authorization

    async def _reserve(
        self, cmd: CheckoutCommand, quote: Quote, booking: Booking, connector: PMSConnector
    ) -> Reservation:
        """The PMS reservation, confirmed (a multi-room group's every member named in `group_ids`)."""
        request = ReservationRequest(
            external_id=booking.booking_id,
            room_type_id=cmd.room_type_id,
            check_in=cmd.stay.check_in,
            check_out=cmd.stay.check_out,
            adults=cmd.adults,
            children=cmd.children,
            guest=cmd.guest,
            total=quote.total,
            rate_plan_id=quote.rate_plan_id,
            hold_seconds=self.hold_seconds,
            rooms=checkout_rooms.room_requests(quote) if isinstance(quote, RoomsQuote) else (),
        )
        try:
            reservation = await connector.create_reservation(request)
        except PMSSoldOut as exc:
            await self._learn_sold_out(cmd)
            sold_out = "PMS에 남은 객실이 없습니다"
            raise SagaFailed(ErrorCode.BOOKING_CONFIRM_FAILED, sold_out, booking.booking_id) from exc
        except PMSError as exc:
            unsettled = None if isinstance(exc, _REFUSALS) else PMS_STEP
            raise SagaFailed(
                ErrorCode.BOOKING_CONFIRM_FAILED, None, booking.booking_id, unsettled=unsettled
            ) from exc
        made = reservation.reservation_ids
        if cmd.rooms and self.rooms is not None:  # before anything else can fail: recovery finds them
            try:
                await self.rooms.record_reservations(booking.booking_id, made)
            except Exception as exc:  # compensation still finds them by our booking id
                raise SagaFailed(ErrorCode.BOOKING_CONFIRM_FAILED, None, booking.booking_id) from exc
        await self.faults.hit("after_pms_create")
        try:
            if reservation.status is ReservationStatus.TENTATIVE:
                reservation = await connector.confirm_reservation(reservation.reservation_id)
                for other in made[1:]:  # the rest of a multi-room group (one reservation per room)
                    await connector.confirm_reservation(other)
        except PMSError as exc:  # the reservation exists: compensation finds it by our booking id
            raise SagaFailed(ErrorCode.BOOKING_CONFIRM_FAILED, None, booking.booking_id) from exc
        # the confirm answer names one reservation: keep the whole group (records, read-back, undo)
        return replace(reservation, group_ids=made) if len(made) > 1 else reservation

    async def _record_reserved(
        self, booking: Booking, reservation: Reservation, connector: PMSConnector, lease: SagaLease
    ) -> None:
        made = reservation.reservation_ids

        async def cancel_all() -> None:
            for reservation_id in made:
                await connector.cancel_reservation(reservation_id)

        detail: dict[str, object] = {
            "reservationId": reservation.reservation_id,
            "status": reservation.status.value,
        }
        if len(made) > 1:
            detail["reservationIds"] = list(made)
        await lease.advance(
            BookingStatus.AUTHORIZED,
            BookingStatus.RESERVED,
            event="pms_reserved",
            detail=detail,
            change=BookingChange(
                pms_reservation_id=reservation.reservation_id,
                confirmation_number=confirmation_of(reservation),
            ),
            undo=cancel_all,
        )
        await self.faults.hit("after_pms_confirm")

    async def _learn_sold_out(self, cmd: CheckoutCommand) -> None:
        if self.refresher is None:
            return
        try:
            room_types = [line.room_type_id for line in cmd.rooms] or [cmd.room_type_id]
            await self.refresher.refresh_nights(
                cmd.vendor, cmd.hotel_id, room_types, cmd.stay.check_in, cmd.stay.check_out
            )
        except Exception as exc:  # the refusal stands either way; the cache learns at the next fill
            log.warning("sold_out_refresh_failed", hotel_id=cmd.hotel_id, error=type(exc).__name__)

    async def _read_price(
        self,
        booking: Booking,
        authorization: Authorization,
        reservation: Reservation,
        connector: PMSConnector,
    ) -> PriceDecision:
        """The PMS's own total, read back and compared with the authorised amount (no side effect)."""
        try:
            return await check_pms_price(
                connector,
                reservation.reservation_id,
                authorization.amount,
                self.price_tolerance,
                self.gateways(authorization.provider),
                booking_id=booking.booking_id,
                group_ids=reservation.reservation_ids,  # a multi-room booking: every reservation's total
            )
        except PMSError as exc:  # unverified money is not captured; the reservation is cancelled
            unread = "PMS 요금을 확인할 수 없습니다"
            raise SagaFailed(ErrorCode.BOOKING_CONFIRM_FAILED, unread, booking.booking_id) from exc

    async def _settle_price(self, booking: Booking, decision: PriceDecision, lease: SagaLease) -> Money:
        """The amount to capture, or `PRICE_MISMATCH` (compensated)."""
        change = decision.booking_change()
        if change == NO_CHANGE:  # nothing recovery needs: audited with the next write (confirm or fail)
            lease.done_unrecorded(Step(PRICE_CHECKED_EVENT, decision.detail()))
        else:  # another amount will be captured: on disk first, so any later refund gives back that
            try:
                await self.bookings.record(
                    booking.booking_id,
                    BookingStatus.RESERVED,
                    event=PRICE_CHECKED_EVENT,
                    detail=decision.detail(),
                    change=change.with_lease_until(lease.until()),
                    owner=lease.owner,
                )
            except StaleBookingState:  # recovery holds it now and checks the price itself
                raise SagaTakenOver(booking.booking_id) from None
        if decision.capture is None:
            raise SagaFailed(ErrorCode.PRICE_MISMATCH, decision.mismatch_detail, booking.booking_id)
        return decision.capture

    async def _capture(self, booking: Booking, authorization: Authorization, amount: Money) -> None:
        gateway = self.gateways(authorization.provider)
        try:
            # always the amount decided (recovery sends the same, so the provider's replay matches)
            await gateway.capture(authorization, booking.booking_id, amount)
        except PaymentError as exc:
            # The outcome may be unknown (timeout): trust the provider's own view before compensating.
            status = await _status_or_unknown(gateway, authorization.authorization_id)
            if status is not PaymentStatus.CAPTURED:
                raise SagaFailed(ErrorCode.PAYMENT_CAPTURE_FAILED, None, booking.booking_id) from exc

    async def _confirm(self, booking: Booking, booked_at: float, lease: SagaLease) -> None:
        try:
            await lease.advance(
                BookingStatus.RESERVED,
                BookingStatus.CONFIRMED,
                event="payment_captured",
                change=BookingChange(
                    payment_status=PaymentStatus.CAPTURED.value, lease_owner=None, lease_until=None
                ),
            )
        except SagaTakenOver:
            if (await self.bookings.get(booking.booking_id)).status is not BookingStatus.CONFIRMED:
                raise
            return  # recovery confirmed it meanwhile (and converted the hold)
        try:
            await self.holds.convert(booking.hotel_id, hold_id_for(booking.booking_id), booked_at)
        except Exception as exc:  # the booking stands; the hold expires, the next PMS read fixes the count
            log.warning("hold_convert_failed", booking_id=booking.booking_id, error=type(exc).__name__)

    async def _compensate(self, failure: SagaFailed, lease: SagaLease) -> None:
        # Still ours, and for long enough? Else recovery decides, and must not race our compensation.
        await lease.renew()
        booking = await self.bookings.get(lease.booking_id)
        try:
            await self.compensator.compensate(
                booking,
                error_code=failure.code.value,
                error_message=failure.user_message,
                unsettled=failure.unsettled,
                owner=lease.owner,
                earlier=lease.unrecorded,
            )
        except CompensationIncomplete as incomplete:
            # Left open with an expiring lease: the recovery job retries the compensation.
            log.warning("compensation_incomplete", booking_id=lease.booking_id, reason=str(incomplete))
            with contextlib.suppress(StaleBookingState):  # else recovery holds it already
                for step in lease.take_unrecorded():
                    await self.bookings.add_event(lease.booking_id, step.event, step.detail)
                await self.bookings.record(
                    lease.booking_id,
                    booking.status,
                    event="compensation_deferred",
                    detail={"errorCode": failure.code.value, "reason": str(incomplete)},
                    change=BookingChange(error_code=failure.code.value, lease_until=lease.now()),
                    owner=lease.owner,
                )


async def _status_or_unknown(gateway: PaymentGateway, authorization_id: str) -> PaymentStatus:
    try:
        return await gateway.get_status(authorization_id)
    except PaymentError:
        return PaymentStatus.UNKNOWN
