import itertools

import pytest

from roomgate.domain.booking import FINAL_STATES, BookingStatus, IllegalTransition, can_transition, transition
from roomgate.domain.errors import ErrorCode

SAGA = [
    BookingStatus.PENDING,
    BookingStatus.HELD,
    BookingStatus.AUTHORIZED,
    BookingStatus.RESERVED,
    BookingStatus.CONFIRMED,
]


def test_the_saga_path_is_legal_step_by_step() -> None:
    for current, target in itertools.pairwise(SAGA):
        assert transition(current, target) is target


@pytest.mark.parametrize("state", SAGA[:-1])
def test_every_unfinished_state_may_fail(state: BookingStatus) -> None:
    assert can_transition(state, BookingStatus.FAILED)


def test_steps_cannot_be_skipped_or_reversed() -> None:
    with pytest.raises(IllegalTransition):
        transition(BookingStatus.PENDING, BookingStatus.CONFIRMED)
    with pytest.raises(IllegalTransition):
        transition(BookingStatus.RESERVED, BookingStatus.HELD)


def test_final_states_only_allow_cancelling_a_confirmed_booking() -> None:
    hotel_or_guest = {BookingStatus.CANCELLING, BookingStatus.CANCELLED_BY_HOTEL}
    for final, target in itertools.product(FINAL_STATES, BookingStatus):
        allowed = final is BookingStatus.CONFIRMED and target in hotel_or_guest
        assert can_transition(final, target) is allowed
    assert transition(BookingStatus.CANCELLING, BookingStatus.CANCELLED) is BookingStatus.CANCELLED
    assert not BookingStatus.CANCELLING.is_final
    assert BookingStatus.CANCELLED_BY_HOTEL.is_final


def test_every_error_code_has_a_korean_message() -> None:
    for code in ErrorCode:
        assert code.message
    assert ErrorCode.INVENTORY_UNAVAILABLE.describe("2025-11-02") == "재고 부족: 2025-11-02"


def test_the_api_documents_every_booking_state() -> None:
    from typing import get_args

    from roomgate.api.responses import BookingState
    from roomgate.domain.booking import BookingStatus

    assert set(get_args(BookingState)) == {s.value for s in BookingStatus}
