"""How vendor messages and statuses are sorted into PMSError classes."""

from __future__ import annotations

import pytest

from roomgate.pms.cloudbeds_parse import classify_message
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSSoldOut,
    PMSTimeout,
    PMSTransientError,
)
from roomgate.pms.mews_client import classify


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("User who approved this connection is not active anymore", PMSAuthenticationError),
        (
            "None of the included property id's match the access_token user's property id",
            PMSAuthenticationError,
        ),
        ("Room type 555 is not available on 2026-07-02", PMSSoldOut),
        ("No availability for the selected dates", PMSSoldOut),
        ("Reservation not found", PMSNotFound),
        ("Parameter guestEmail is required", PMSBadRequest),
    ],
)
def test_cloudbeds_messages(message: str, expected: type[PMSError]) -> None:
    # given / when / then
    assert classify_message(message) is expected


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "Invalid ServiceId.", PMSBadRequest),
        (401, "Invalid AccessToken.", PMSAuthenticationError),
        (403, "No availability in the requested resource category.", PMSSoldOut),
        (403, "Overbooking is not allowed.", PMSSoldOut),
        (403, "Reservation 52 cannot be confirmed in state Canceled.", PMSBadRequest),
        (404, "Not found.", PMSNotFound),
        (408, "Request timeout.", PMSTimeout),
        (409, "The data has changed.", PMSTransientError),
        (502, "", PMSTransientError),
        (422, "", PMSBadRequest),
    ],
)
def test_mews_statuses(status: int, message: str, expected: type[PMSError]) -> None:
    # given / when / then
    assert classify(status, message) is expected
