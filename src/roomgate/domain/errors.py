"""Error codes, their HTTP statuses and user-facing (Korean) messages: one table, one place."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class _Entry(NamedTuple):
    status: int
    message: str


class ErrorCode(StrEnum):
    # the spec's codes
    INVENTORY_UNAVAILABLE = "INVENTORY_UNAVAILABLE"
    HOLD_FAILED = "HOLD_FAILED"
    PAYMENT_PREAUTH_FAILED = "PAYMENT_PREAUTH_FAILED"
    BOOKING_CONFIRM_FAILED = "BOOKING_CONFIRM_FAILED"
    PAYMENT_CAPTURE_FAILED = "PAYMENT_CAPTURE_FAILED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # the design's additions
    VALIDATION_ERROR = "VALIDATION_ERROR"
    NOT_FOUND = "NOT_FOUND"
    SERVICE_DEGRADED = "SERVICE_DEGRADED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    UNAUTHORIZED = "UNAUTHORIZED"
    PMS_UNAVAILABLE = "PMS_UNAVAILABLE"
    SYNC_IN_PROGRESS = "SYNC_IN_PROGRESS"
    PMS_AUTH_FAILED = "PMS_AUTH_FAILED"
    RATE_LIMITED = "RATE_LIMITED"
    # the PMS billed another amount than the guest pre-authorised (issue 16); none of the spec's
    # codes says "quote again": BOOKING_CONFIRM_FAILED and PAYMENT_CAPTURE_FAILED read as vendor faults
    PRICE_MISMATCH = "PRICE_MISMATCH"

    @property
    def http_status(self) -> int:
        return _TABLE[self].status

    @property
    def message(self) -> str:
        return _TABLE[self].message

    def describe(self, detail: str | None = None) -> str:
        """The user message, with a detail appended the way the spec writes it (`재고 부족: 2025-11-02`)."""
        return f"{self.message}: {detail}" if detail else self.message


_TABLE: dict[ErrorCode, _Entry] = {
    ErrorCode.INVENTORY_UNAVAILABLE: _Entry(409, "재고 부족"),
    ErrorCode.HOLD_FAILED: _Entry(409, "Hold 생성 실패"),
    ErrorCode.PAYMENT_PREAUTH_FAILED: _Entry(402, "결제 사전 승인 실패"),
    ErrorCode.BOOKING_CONFIRM_FAILED: _Entry(502, "예약 확정 실패"),
    ErrorCode.PAYMENT_CAPTURE_FAILED: _Entry(502, "결제 승인 실패"),
    ErrorCode.INTERNAL_ERROR: _Entry(500, "서버 내부 오류"),
    ErrorCode.VALIDATION_ERROR: _Entry(400, "요청 값이 올바르지 않습니다"),
    ErrorCode.NOT_FOUND: _Entry(404, "찾을 수 없습니다"),
    ErrorCode.SERVICE_DEGRADED: _Entry(503, "Degraded Mode: 현재 예약이 불가능합니다."),
    ErrorCode.IDEMPOTENCY_CONFLICT: _Entry(409, "같은 Idempotency-Key로 다른 요청이 있었거나 처리 중입니다"),
    ErrorCode.UNAUTHORIZED: _Entry(401, "인증이 필요합니다"),
    ErrorCode.PMS_UNAVAILABLE: _Entry(503, "PMS 응답이 없고 캐시된 데이터도 없습니다"),
    ErrorCode.SYNC_IN_PROGRESS: _Entry(409, "이 호텔의 동기화가 이미 진행 중입니다"),
    ErrorCode.PMS_AUTH_FAILED: _Entry(400, "PMS 인증 실패: API 키를 확인하세요"),
    ErrorCode.RATE_LIMITED: _Entry(429, "요청이 너무 많습니다"),
    ErrorCode.PRICE_MISMATCH: _Entry(409, "요금 불일치"),
}

assert set(_TABLE) == set(ErrorCode), "every ErrorCode needs a status and a message"


class DomainError(Exception):
    """An expected failure with a code and an optional detail (a date, a step, a field)."""

    def __init__(self, code: ErrorCode, detail: str | None = None, *, message: str | None = None) -> None:
        self.code = code
        self.detail = detail
        self.user_message = message or code.describe(detail)
        super().__init__(self.user_message)


def degraded_message(reason: str) -> str:
    """The spec's degraded-mode wording: `Degraded Mode: 현재 예약이 불가능합니다. (사유)`."""
    return f"{ErrorCode.SERVICE_DEGRADED.message} ({reason})"
