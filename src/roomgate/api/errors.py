"""One error shape for every public failure: `{"success": false, "error": "<ko>", "errorCode": "<CODE>"}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from roomgate.cache.client import REDIS_DOWN
from roomgate.domain.errors import DomainError, ErrorCode, degraded_message
from roomgate.logging import get_logger
from roomgate.pms.errors import (
    PMSAuthenticationError,
    PMSBadRequest,
    PMSError,
    PMSNotFound,
    PMSUnavailable,
)
from roomgate.resilience.degraded import REDIS_DOWN_REASON

log = get_logger(__name__)

_FIELD_NAMES_KO = {"body": "본문", "query": "쿼리", "path": "경로", "header": "헤더"}

# The HTTP status of every error code: the one mapping, used by every answer (api/ and web/).
HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVENTORY_UNAVAILABLE: 409,
    ErrorCode.HOLD_FAILED: 409,
    ErrorCode.PAYMENT_PREAUTH_FAILED: 402,
    ErrorCode.BOOKING_CONFIRM_FAILED: 502,
    ErrorCode.PAYMENT_CAPTURE_FAILED: 502,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.SERVICE_DEGRADED: 503,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.PMS_UNAVAILABLE: 503,
    ErrorCode.SYNC_IN_PROGRESS: 409,
    ErrorCode.PMS_AUTH_FAILED: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.PRICE_MISMATCH: 409,  # the PMS billed another amount: nothing charged, quote again
}
# The PMS answered and said no (unknown property, rejected key, bad request): a bad gateway, not an
# absent one (README, *Error codes*); the code stays PMS_UNAVAILABLE, the message says "refused".
PMS_REFUSED_STATUS = 502


def status_of(code: ErrorCode) -> int:
    return HTTP_STATUS[code]


def error_body(code: ErrorCode, message: str | None = None) -> dict[str, Any]:
    return {"success": False, "error": message or code.message, "errorCode": code.value}


def error_response(
    code: ErrorCode,
    message: str | None = None,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status or status_of(code), headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    # Name the offending field and the rule, never echo the value (it may be a card token or e-mail).
    errors = exc.errors()
    if not errors:
        return ErrorCode.VALIDATION_ERROR.message
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in _FIELD_NAMES_KO]
    field = ".".join(loc) or "요청"
    kind = first.get("type", "")
    reason = {
        "missing": "필수 값이 없습니다",
        "json_invalid": "JSON 형식이 올바르지 않습니다",
        "extra_forbidden": "허용되지 않는 필드입니다",
    }.get(kind, "형식이 올바르지 않습니다")
    if kind in {"value_error", "assertion_error"} and first.get("ctx", {}).get("error"):
        reason = str(first["ctx"]["error"])
    return f"{ErrorCode.VALIDATION_ERROR.message}: {field} — {reason}"


def pms_failure(exc: PMSError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, body and headers for a PMS failure nothing else handled; the vendor's own words go to
    the log (redacted like every line), never to the client."""
    reason = {"vendor": exc.vendor, "hotel_id": exc.hotel_id, "reason": exc.message[:300]}
    if isinstance(exc, PMSNotFound):
        log.warning("pms_not_found", **reason)
        not_found = f"{ErrorCode.NOT_FOUND.message}: PMS에 없는 호텔 또는 객실입니다"
        return status_of(ErrorCode.NOT_FOUND), error_body(ErrorCode.NOT_FOUND, not_found), None
    if isinstance(exc, PMSAuthenticationError):  # e.g. Cloudbeds: "None of the included property id's match"
        log.warning("pms_auth_failed", **reason)
        refused = "PMS가 이 호텔에 대한 요청을 거부했습니다 (호텔 ID 또는 연동 키를 확인하세요)"
        return PMS_REFUSED_STATUS, error_body(ErrorCode.PMS_UNAVAILABLE, refused), None
    if isinstance(exc, PMSBadRequest):
        log.warning("pms_refused", **reason)
        return PMS_REFUSED_STATUS, error_body(ErrorCode.PMS_UNAVAILABLE, "PMS가 요청을 거부했습니다"), None
    unavailable = status_of(ErrorCode.PMS_UNAVAILABLE)
    if isinstance(exc, PMSUnavailable):  # our breaker is open: already logged when it opened
        return unavailable, error_body(ErrorCode.PMS_UNAVAILABLE), {"Retry-After": "30"}
    log.warning("pms_error", error=type(exc).__name__, **reason)
    return unavailable, error_body(ErrorCode.PMS_UNAVAILABLE), {"Retry-After": "5"}


def domain_error_response(exc: DomainError) -> JSONResponse:
    """The spec's JSON answer to a domain error (a 401 names the bearer scheme)."""
    challenge = {"WWW-Authenticate": "Bearer"} if exc.code is ErrorCode.UNAUTHORIZED else None
    return error_response(exc.code, exc.user_message, headers=challenge)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(ErrorCode.VALIDATION_ERROR, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(ErrorCode.NOT_FOUND, status=404)
        if exc.status_code == 401:
            return error_response(ErrorCode.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        if exc.status_code == 413:  # api/body_limit.py: the message names the limit
            return error_response(ErrorCode.VALIDATION_ERROR, str(exc.detail), status=413)
        code = ErrorCode.VALIDATION_ERROR if exc.status_code < 500 else ErrorCode.INTERNAL_ERROR
        message = f"{code.message} (HTTP {exc.status_code})"
        # e.g. a 405's `Allow`, which names the methods the path does take
        return error_response(code, message, status=exc.status_code, headers=dict(exc.headers or {}))

    @app.exception_handler(PMSError)
    async def _pms(_request: Request, exc: PMSError) -> JSONResponse:
        status, body, headers = pms_failure(exc)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _redis_down(_request: Request, exc: Exception) -> JSONResponse:
        # Redis unreachable where no path around it exists: a clear 503, never a 500 (README,
        # *When Redis restarts or is down*); the service recovers by itself when Redis is back.
        log.warning("redis_unavailable", error=type(exc).__name__)
        return error_response(
            ErrorCode.SERVICE_DEGRADED, degraded_message(REDIS_DOWN_REASON), headers={"Retry-After": "5"}
        )

    for redis_error in REDIS_DOWN:
        app.add_exception_handler(redis_error, _redis_down)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Reached only outside app.RequestContext, which logs (once, with the request id) and answers.
        return error_response(ErrorCode.INTERNAL_ERROR)
