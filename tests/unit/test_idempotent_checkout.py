"""The Idempotency-Key rules of a checkout, on in-memory fakes: no HTTP, no database.

The service stores whatever answer its caller renders and decides only from outcomes; `render` here is
deliberately not the API's, to show the service never reads the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from roomgate.domain.booking import BookingAlreadyExists
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.domain.idempotency import Claim, ClaimOutcome
from roomgate.domain.money import Money
from roomgate.domain.rooms import RoomLine, StoredRoomLine
from roomgate.domain.stay import Stay
from roomgate.payments.base import PaymentSource
from roomgate.pms.errors import PMSNotFound, PMSTimeout
from roomgate.pms.types import GuestInfo
from roomgate.services.checkout import CheckoutCommand
from roomgate.services.checkout_model import CheckoutResult, SagaFailed
from roomgate.services.idempotent_checkout import CheckoutOutcome, IdempotentCheckout, StoredAnswer
from roomgate.services.ports import Quote


@dataclass
class Row:
    request_hash: str
    booking_id: str
    state: str = "in_flight"
    answer: StoredAnswer | None = None


@dataclass
class FakeKeys:
    rows: dict[str, Row] = field(default_factory=dict)

    async def claim(self, key: str, request_hash: str, booking_id: str) -> Claim:
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = Row(request_hash, booking_id)
            return Claim(ClaimOutcome.NEW, booking_id=booking_id)
        if row.request_hash != request_hash:
            return Claim(ClaimOutcome.BODY_MISMATCH, booking_id=row.booking_id)
        if row.state == "done" and row.answer is not None:
            return Claim(ClaimOutcome.REPLAY, row.answer[0], row.answer[1], row.booking_id)
        return Claim(ClaimOutcome.IN_FLIGHT, booking_id=row.booking_id)

    async def complete(
        self, key: str, status_code: int, body: dict[str, Any], *, booking_id: str | None = None
    ) -> None:
        row = self.rows[key]
        if booking_id is None or row.booking_id == booking_id:
            row.state, row.answer = "done", (status_code, body)

    async def forget(self, key: str, *, token: Any = None) -> None:
        if key in self.rows and self.rows[key].state == "in_flight":
            del self.rows[key]


@dataclass
class FakeBooking:
    booking_id: str
    status: str
    error_code: str | None = None
    error_message: str | None = None
    confirmation_number: str | None = None


@dataclass
class FakeBookings:
    rows: dict[str, FakeBooking] = field(default_factory=dict)

    async def find(self, booking_id: str) -> FakeBooking | None:
        return self.rows.get(booking_id)


@dataclass
class FakeSaga:
    """Writes its booking row when it runs; `refuse` / `fail` / `crash` say how it ends."""

    bookings: FakeBookings
    refuse: Exception | None = None  # raised while pricing (nothing written)
    crash: Exception | None = None  # raised after the booking row was written
    runs: list[str] = field(default_factory=list)

    async def price(self, cmd: CheckoutCommand) -> Quote:
        if self.refuse is not None:
            raise self.refuse
        return Quote(cmd.room_type_id, 2, (), cmd.amount)

    async def run(self, cmd: CheckoutCommand, quote: Quote, booking_id: str) -> CheckoutResult:
        self.runs.append(booking_id)
        self.bookings.rows[booking_id] = FakeBooking(booking_id, "confirmed", confirmation_number="CONF-1")
        if self.crash is not None:
            self.bookings.rows[booking_id].status = "authorized"
            raise self.crash
        return CheckoutResult(booking_id, "CONF-1")


def render(outcome: CheckoutOutcome) -> StoredAnswer:
    if isinstance(outcome, CheckoutResult):
        return 1, {"booking": outcome.booking_id}
    if isinstance(outcome, DomainError):
        return 2, {"code": outcome.code.value}
    return 3, {"pms": type(outcome).__name__}


COMMAND = CheckoutCommand(
    vendor="cloudbeds",
    hotel_id="hotel_123",
    room_type_id="room_456",
    stay=Stay.of(date(2026, 12, 24), date(2026, 12, 24) + timedelta(days=2)),
    adults=2,
    children=0,
    guest=GuestInfo("Idem", "Potent", "idem@example.com"),
    amount=Money.from_minor(250000, "KRW"),
    provider="sandbox",
    source=PaymentSource(card_token="tok_visa_1234"),
)


@dataclass
class World:
    keys: FakeKeys
    bookings: FakeBookings
    saga: FakeSaga
    service: IdempotentCheckout
    admitted: list[str]


@pytest.fixture
def world() -> World:
    keys, bookings = FakeKeys(), FakeBookings()
    saga = FakeSaga(bookings)
    admitted: list[str] = []

    async def admit(vendor: str, hotel_id: str) -> None:
        admitted.append(hotel_id)

    return World(keys, bookings, saga, IdempotentCheckout(saga, keys, bookings, admit), admitted)


async def test_the_same_key_and_body_runs_once_and_replays_the_first_answer(world: World) -> None:
    first = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    again = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert len(world.saga.runs) == 1
    assert first.answer == (1, {"booking": world.saga.runs[0]}) and first.booking_id == world.saga.runs[0]
    assert (again.answer, again.replayed, again.booking_id) == (first.answer, True, None)


async def test_the_same_key_with_another_body_is_a_conflict(world: World) -> None:
    await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    with pytest.raises(DomainError) as conflict:
        await world.service.checkout(COMMAND, render, key="k", fingerprint="body-2")
    assert conflict.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert len(world.saga.runs) == 1


async def test_without_a_key_every_request_runs(world: World) -> None:
    await world.service.checkout(COMMAND, render)
    await world.service.checkout(COMMAND, render)
    assert len(world.saga.runs) == 2 and world.keys.rows == {} and world.admitted == ["hotel_123"] * 2


async def test_a_key_still_in_flight_is_answered_in_flight_naming_its_booking_once_written(
    world: World,
) -> None:
    # given a first request that claimed the key and wrote its booking, still running
    await world.keys.claim("k", "body-1", "bk_first")
    before = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    world.bookings.rows["bk_first"] = FakeBooking("bk_first", "authorized")
    written = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    # then neither retry ran the saga; the second names the booking
    assert (before.answer, before.booking_id) == (None, None)
    assert (written.answer, written.booking_id) == (None, "bk_first")
    assert world.saga.runs == []


async def test_a_key_in_flight_whose_booking_recovery_settled_is_answered_from_the_booking(
    world: World,
) -> None:
    await world.keys.claim("k", "body-1", "bk_first")
    world.bookings.rows["bk_first"] = FakeBooking(
        "bk_first", "failed", "PAYMENT_CAPTURE_FAILED", "결제 승인 실패"
    )
    settled = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    replay = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert (settled.answer, settled.replayed) == ((2, {"code": "PAYMENT_CAPTURE_FAILED"}), True)
    assert replay.answer == settled.answer and replay.replayed  # stored: the second one is a plain replay
    assert world.keys.rows["k"].state == "done" and world.saga.runs == []


@pytest.mark.parametrize(
    "refusal",
    [
        DomainError(ErrorCode.SERVICE_DEGRADED, "PMS 장애"),
        PMSTimeout("slow", vendor="cloudbeds", hotel_id="h"),
    ],
)
async def test_a_refusal_before_anything_was_done_frees_the_key_for_a_retry(
    world: World, refusal: Exception
) -> None:
    world.saga.refuse = refusal
    refused = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert refused.answer is not None and refused.answer[0] in (2, 3) and "k" not in world.keys.rows
    # when the retry comes after the cause went away
    world.saga.refuse = None
    retried = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert retried.answer == (1, {"booking": world.saga.runs[0]})


@pytest.mark.parametrize(
    "refusal",
    [DomainError(ErrorCode.INVENTORY_UNAVAILABLE, "2026-12-24"), PMSNotFound("no", vendor="cloudbeds")],
)
async def test_a_refusal_a_retry_cannot_change_is_kept_and_replayed(world: World, refusal: Exception) -> None:
    world.saga.refuse = refusal
    first = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    world.saga.refuse = None
    again = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert again.answer == first.answer and again.replayed and world.saga.runs == []


async def test_a_failed_saga_keeps_the_key_and_names_its_booking(world: World) -> None:
    world.saga.crash = SagaFailed(ErrorCode.BOOKING_CONFIRM_FAILED, "bk", "sold out")
    failed = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert failed.answer == (2, {"code": "BOOKING_CONFIRM_FAILED"})
    assert failed.booking_id == world.saga.runs[0] and world.keys.rows["k"].state == "done"


async def test_an_unexpected_error_frees_the_key_only_while_no_booking_was_written(world: World) -> None:
    # before the booking row: the key is freed, the error goes on
    world.saga.refuse = RuntimeError("bug while pricing")
    with pytest.raises(RuntimeError):
        await world.service.checkout(COMMAND, render, key="early", fingerprint="body-1")
    assert "early" not in world.keys.rows
    # after it: the key stays claimed, for recovery to settle the booking it names
    world.saga.refuse, world.saga.crash = None, RuntimeError("bug mid-saga")
    with pytest.raises(RuntimeError):
        await world.service.checkout(COMMAND, render, key="late", fingerprint="body-1")
    assert world.keys.rows["late"].state == "in_flight"


async def test_a_checkout_someone_else_carries_on_is_answered_in_flight_until_settled(world: World) -> None:
    # given the saga finds its booking already written by the request whose key this one took over
    world.saga.crash = BookingAlreadyExists("bk")
    carried = await world.service.checkout(COMMAND, render, key="k", fingerprint="body-1")
    assert (carried.answer, carried.booking_id) == (None, world.saga.runs[0])
    assert world.keys.rows["k"].state == "in_flight"


async def test_a_multi_room_booking_recovery_confirmed_is_answered_with_its_room_lines(world: World) -> None:
    # given a key whose request died mid-saga, and recovery that confirmed its two-line booking
    line_a, line_b = RoomLine("rt_a", 1, 2, 0), RoomLine("rt_b", 2, 1, 1)

    class Lines:
        async def lines(self, booking_id: str) -> list[StoredRoomLine]:
            assert booking_id == "bk_group"
            return [StoredRoomLine(line_a, 100000, ("r1",)), StoredRoomLine(line_b, 300000, ("r2", "r3"))]

    service = IdempotentCheckout(world.saga, world.keys, world.bookings, _admit_all, rooms=Lines())
    await world.keys.claim("k", "body-1", "bk_group")
    world.bookings.rows["bk_group"] = FakeBooking("bk_group", "confirmed", confirmation_number="CONF-G")
    seen: list[CheckoutOutcome] = []

    def keep(outcome: CheckoutOutcome) -> StoredAnswer:
        seen.append(outcome)
        return render(outcome)

    # when the client retries with the same key
    await service.checkout(COMMAND, keep, key="k", fingerprint="body-1")
    # then the answer built from the booking carries its room lines, as the saga's own would
    assert seen == [CheckoutResult("bk_group", "CONF-G", ((line_a, 100000), (line_b, 300000)))]


async def _admit_all(vendor: str, hotel_id: str) -> None:
    return None
