"""HTTP statuses are the API's: one status per error code, the README's, used by every answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from roomgate.api.booking import checkout_answer
from roomgate.api.errors import HTTP_STATUS, PMS_REFUSED_STATUS, error_response, pms_failure, status_of
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSTimeout,
    PMSUnavailable,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_statuses() -> dict[str, list[int]]:
    """errorCode → the leading HTTP status of each of its rows in README's error-code table."""
    rows: dict[str, list[int]] = {}
    for match in re.finditer(r"^\| `([A-Z_]+)` \| (\d{3})", README.read_text(encoding="utf-8"), re.MULTILINE):
        rows.setdefault(match[1], []).append(int(match[2]))
    return rows


def test_every_error_code_has_exactly_one_status_and_it_is_the_readmes() -> None:
    documented = readme_statuses()
    assert set(HTTP_STATUS) == set(ErrorCode)
    for code in ErrorCode:
        assert 400 <= status_of(code) < 600
        # the first row is the code's status; PMS_UNAVAILABLE's second row is the PMS's refusal
        assert documented[code.value][0] == status_of(code), code
        assert error_response(code).status_code == status_of(code)
    assert documented[ErrorCode.PMS_UNAVAILABLE.value] == [503, PMS_REFUSED_STATUS]


def test_the_domain_knows_no_http_status() -> None:
    assert not hasattr(ErrorCode.NOT_FOUND, "http_status")


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            PMSAuthenticationError("refused", vendor="cloudbeds", hotel_id="h"),
            PMS_REFUSED_STATUS,
            "PMS_UNAVAILABLE",
        ),
        (PMSBadRequest("bad", vendor="cloudbeds", hotel_id="h"), PMS_REFUSED_STATUS, "PMS_UNAVAILABLE"),
        (PMSNotFound("nope", vendor="cloudbeds", hotel_id="h"), 404, "NOT_FOUND"),
        (PMSUnavailable("open", vendor="cloudbeds", hotel_id="h"), 503, "PMS_UNAVAILABLE"),
        (PMSTimeout("slow", vendor="cloudbeds", hotel_id="h"), 503, "PMS_UNAVAILABLE"),
    ],
)
def test_a_pms_failure_is_answered_the_same_by_every_route(error: PMSError, status: int, code: str) -> None:
    # the error handler of every route (availability, cancel, ...) and the checkout's stored answer
    handled_status, body, _headers = pms_failure(error)
    assert (handled_status, body["errorCode"]) == (status, code)
    assert checkout_answer(error) == (handled_status, body)


def test_a_checkout_refusal_is_answered_with_its_codes_status() -> None:
    refused = DomainError(ErrorCode.INVENTORY_UNAVAILABLE, "2026-01-02")
    assert checkout_answer(refused) == (
        409,
        {"success": False, "error": "재고 부족: 2026-01-02", "errorCode": "INVENTORY_UNAVAILABLE"},
    )
