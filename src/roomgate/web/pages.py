"""The admin page `/admin` (Korean UI): server-rendered Jinja2 pages plus one small script.

Sign-in with the admin token opens a session (cookie HttpOnly + SameSite=Strict, see
`api/admin_session.py`); every form carries the session's CSRF token, and the script sends it as
`X-CSRF-Token` to the JSON admin API. No inline script or style, so the Content-Security-Policy
allows only this app's own files. Nothing here ever renders an API key.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import StaticFiles

from roomgate.api.admin_bookings import booking_detail, row_out
from roomgate.api.admin_listings import listing_out
from roomgate.api.admin_session import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    AdminSessions,
    set_cookie,
    token_matches,
)
from roomgate.api.deps import (
    AdminSessionsDep,
    AvailabilityDep,
    BookingsDep,
    BookingSearchDep,
    CancellationDep,
    ClockDep,
    ListingsAdminDep,
    ListingsDep,
    PollingDep,
    RedisDep,
    ResilienceDep,
    SettingsDep,
    part,
)
from roomgate.api.errors import domain_error_response, status_of
from roomgate.api.schemas import ID_PATTERN
from roomgate.clock import Clock
from roomgate.config import Settings
from roomgate.domain.booking import BookingStatus
from roomgate.domain.errors import DomainError, ErrorCode
from roomgate.ledger.booking_search import BookingQuery
from roomgate.logging import get_logger
from roomgate.pms.errors import PMSError
from roomgate.resilience.breaker_state import BreakerKey
from roomgate.services.availability import AvailabilityService
from roomgate.services.polling import PollingSync

log = get_logger(__name__)

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
router = APIRouter(prefix="/admin", include_in_schema=False)
static_files = StaticFiles(directory=str(WEB_DIR / "static"))

CALENDAR_DAYS = 30
SIGN_IN_FAILURES_ALLOWED = 10  # per client address ...
SIGN_IN_WINDOW_SECONDS = 300  # ... in this many seconds; then sign-in is refused until the window ends
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATUS_KO = {
    "pending": "대기",
    "held": "재고 확보",
    "authorized": "결제 승인 대기",
    "reserved": "PMS 예약됨",
    "confirmed": "확정",
    "failed": "실패",
    "cancelling": "취소 중",
    "cancelled": "취소됨",
}
BREAKER_KO = {"closed": "정상 (CLOSED)", "open": "차단 (OPEN)", "half_open": "복구 시도 중 (HALF_OPEN)"}


class SignedOut(Exception):
    """The page needs a session: answered with a redirect to the sign-in page."""


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, {"status_ko": STATUS_KO, "breaker_ko": BREAKER_KO, **context}, status_code=status
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update(SECURITY_HEADERS)
    return response


@dataclass(frozen=True, slots=True)
class Operator:
    """The signed-in operator a page needs: the admin token setting and the admin sessions. Checked
    inside each handler (not as a dependency), so path parameters are validated first, as before."""

    settings: Settings
    sessions: AdminSessions

    async def csrf(self, request: Request) -> str:
        """The session's CSRF token; raises SignedOut without a live session."""
        if self.settings.admin_token is None:
            raise SignedOut()
        csrf = await self.sessions.csrf_token(request)
        if csrf is None:
            raise SignedOut()
        return csrf

    async def posted(self, request: Request) -> dict[str, str]:
        """A form POST of a signed-in operator with the right CSRF token; the form's fields."""
        csrf = await self.csrf(request)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not token_matches(fields.get(CSRF_FIELD), csrf):
            raise DomainError(
                ErrorCode.UNAUTHORIZED,
                message="CSRF 토큰이 없거나 올바르지 않습니다. 페이지를 새로고침하세요",
            )
        return fields


OperatorDep = Annotated[Operator, part(lambda c: Operator(c.settings, AdminSessions(c.redis)))]


def install_admin_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/admin/static", static_files, name="admin-static")

    @app.exception_handler(SignedOut)
    async def _signed_out(request: Request, _exc: SignedOut) -> Response:
        return _redirect("/admin/login?" + urlencode({"next": request.url.path}))

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        """The spec's JSON error everywhere, except on the admin pages: the same message as a page."""
        if request.url.path.startswith("/admin") and not request.url.path.startswith("/admin/static"):
            return _page(
                request,
                "error.html",
                {"message": exc.user_message, "code": exc.code.value},
                status=status_of(exc.code),
            )
        return domain_error_response(exc)


# -- sign in / out -----------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, settings: SettingsDep, next: str = "/admin") -> Response:
    login_csrf = secrets.token_urlsafe(24)
    closed = settings.admin_token is None
    response = _page(
        request,
        "login.html",
        {"csrf": login_csrf, "next": _safe_next(next), "error": None, "closed": closed},
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, login_csrf, 600)
    return response


def _safe_next(target: str) -> str:
    """Only our own admin pages (no open redirect)."""
    return (
        target
        if target.startswith("/admin") and not target.startswith("//") and "\\" not in target
        else "/admin"
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, settings: SettingsDep, redis: RedisDep, sessions: AdminSessionsDep
) -> Response:
    form = await request.form()
    token, csrf, target = (str(form.get(k) or "") for k in ("token", CSRF_FIELD, "next"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    expected = settings.admin_token
    failures_key = f"admin:sign_in_failures:{request.client.host if request.client else 'unknown'}"
    failures = int(await redis.get(failures_key) or 0)
    error, status = None, 401
    if failures >= SIGN_IN_FAILURES_ALLOWED:
        error, status = "로그인 시도가 너무 많습니다. 5분 후에 다시 시도하세요", 429
    elif not cookie or not token_matches(csrf, cookie):
        error = "보안 토큰이 만료되었습니다. 다시 시도하세요"
    elif expected is None or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        error = "관리자 토큰이 올바르지 않습니다"
        log.warning("admin_sign_in_refused")
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, SIGN_IN_WINDOW_SECONDS, nx=True)
            await pipe.execute()
    if error is not None:
        fresh = secrets.token_urlsafe(24)
        response = _page(
            request,
            "login.html",
            {"csrf": fresh, "next": _safe_next(target), "error": error, "closed": expected is None},
            status=status,
        )
        set_cookie(response, request, LOGIN_CSRF_COOKIE, fresh, 600)
        return response
    session_id, _csrf = await sessions.create()
    log.info("admin_signed_in")
    redirect = _redirect(_safe_next(target))
    set_cookie(redirect, request, SESSION_COOKIE, session_id, SESSION_SECONDS)
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return redirect


@router.post("/logout")
async def logout(request: Request, operator: OperatorDep) -> Response:
    await operator.posted(request)
    await operator.sessions.end(request)
    response = _redirect("/admin/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- listings ------------------------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
async def listings_page(request: Request, operator: OperatorDep, repository: ListingsDep) -> Response:
    csrf = await operator.csrf(request)
    total, rows = await repository.list_listings(limit=500)
    listings = [listing_out(listing) for listing in rows]
    return _page(request, "listings.html", {"csrf": csrf, "listings": listings, "total": total})


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
async def listing_page(
    request: Request,
    listing_id: int,
    operator: OperatorDep,
    listings_admin: ListingsAdminDep,
    clock: ClockDep,
    availability: AvailabilityDep,
    resilience: ResilienceDep,
    booking_search: BookingSearchDep,
    polling: PollingDep,
) -> Response:
    csrf = await operator.csrf(request)
    record = await listings_admin.get(listing_id)
    listing = listing_out(record)
    calendar, calendar_error = await _calendar(
        clock, availability, listing.vendor, listing.hotelId, listing.roomTypes
    )
    breaker = await resilience.breaker.status(BreakerKey(listing.vendor, listing.hotelId))
    degraded = await resilience.degraded.status()
    hotel_degraded = degraded["hotels"].get(listing.hotelId)
    _total, bookings = await booking_search.search(BookingQuery(hotel_id=listing.hotelId, limit=10))
    polling_status = await _polling_status(polling, listing.vendor, listing.hotelId)
    return _page(
        request,
        "listing.html",
        {
            "csrf": csrf,
            "listing": listing,
            "calendar": calendar,
            "calendar_error": calendar_error,
            "breaker": breaker.as_dict(),
            "hotel_degraded": hotel_degraded,
            "global_degraded": degraded["global"],
            "bookings": [row_out(b) for b in bookings],
            "polling": polling_status,
            "notice": request.query_params.get("notice"),
            "problem": request.query_params.get("problem"),
        },
    )


async def _calendar(
    clock: Clock, availability: AvailabilityService, vendor: str, hotel_id: str, room_types: list[Any]
) -> tuple[dict[str, Any], str | None]:
    """The next 30 nights per room type, from the cache (filled from the PMS on a miss)."""
    first = datetime.fromtimestamp(clock.now(), UTC).date()
    days = [first + timedelta(days=n) for n in range(CALENDAR_DAYS)]
    rows: list[dict[str, Any]] = []
    error = None
    source = "cache"
    for room in room_types:
        try:
            result = await availability.room_type_inventory(
                vendor, hotel_id, room.roomTypeId, first, first + timedelta(days=CALENDAR_DAYS), fallback=True
            )
        except (DomainError, PMSError) as exc:
            error = "PMS 응답이 없고 캐시된 데이터도 없습니다"
            log.warning("admin_calendar_failed", hotel_id=hotel_id, error=type(exc).__name__)
            continue
        if result.source == "pms":
            source = "pms"
        nights = {n.date: n for n in result.nights}
        cells = []
        for day in days:
            night = nights.get(day)
            price = night.price if night is not None else None
            cells.append(
                {
                    "available": night.available if night is not None else None,
                    "price": price.minor if price is not None else None,
                }
            )
        rows.append({"room": room, "nights": cells})
    return {"days": days, "rows": rows, "source": source}, error


@router.post("/listings/{listing_id}/enabled")
async def set_enabled(
    request: Request,
    listing_id: int,
    operator: OperatorDep,
    listings_admin: ListingsAdminDep,
) -> Response:
    fields = await operator.posted(request)
    enabled = fields.get("enabled") == "true"
    await listings_admin.update(listing_id, {}, {"enabled": enabled})
    notice = "판매를 다시 시작했습니다" if enabled else "판매를 중지했습니다"
    return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"notice": notice}))


@router.post("/listings/{listing_id}/settings")
async def update_settings(
    request: Request,
    listing_id: int,
    operator: OperatorDep,
    listings_admin: ListingsAdminDep,
) -> Response:
    """Polling settings and key rotation (a new key is tried at the PMS before it is kept)."""
    fields = await operator.posted(request)
    try:
        interval = int(fields.get("polling_interval_seconds") or "")
    except ValueError:
        interval = 0
    new_key = fields.get("api_key") or None
    problem = None
    if not 60 <= interval <= 86400:
        problem = "폴링 주기는 60초에서 86400초 사이여야 합니다"
    elif new_key is not None and not re.fullmatch(r"[\x21-\x7e]{1,500}", new_key):
        problem = "API 키에는 공백 없는 영문, 숫자, 기호만 쓸 수 있습니다"
    if problem is None:
        config = {
            "polling_enabled": fields.get("polling_enabled") == "on",
            "polling_interval_seconds": interval,
        }
        try:
            _record, changed = await listings_admin.update(listing_id, {}, config, new_key)
        except DomainError as exc:
            problem = exc.user_message
        else:
            notice = "연동 설정을 저장했습니다" + (" (API 키 교체됨)" if "api_key" in changed else "")
            return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"notice": notice}))
    return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"problem": problem}))


async def _polling_status(polling: PollingSync, vendor: str, hotel_id: str) -> dict[str, Any] | None:
    """The hotel's polling state (issue 12's poller), or None when it cannot be read."""
    try:
        status = await polling.status(vendor, hotel_id)
    except Exception as exc:  # a page must render even when the state cannot be read
        log.warning("admin_polling_status_failed", hotel_id=hotel_id, error=type(exc).__name__)
        return None
    return {
        "running": status.is_running,
        "lastSyncAt": status.last_sync_at,
        "nextSyncAt": status.next_sync_at,
        "errorCount": status.error_count,
        "lastError": status.last_error,
        "stoppedReason": status.stopped_reason,
    }


@router.post("/listings/{listing_id}/polling")
async def polling_action(
    request: Request,
    listing_id: int,
    operator: OperatorDep,
    listings_admin: ListingsAdminDep,
    polling: PollingDep,
) -> Response:
    """수동 동기화 (poll now), or start / stop the hotel's polling."""
    fields = await operator.posted(request)
    record = await listings_admin.get(listing_id)
    action = fields.get("action")
    try:
        if action == "sync":
            outcome = await polling.sync_now(record.vendor, record.hotel_id)
            notice = (
                f"동기화 완료: 객실 타입 {outcome.room_types}개, {outcome.nights_read}박 확인, "
                f"{outcome.changed_nights}박 변경"
            )
        elif action == "start":
            await polling.start(record.vendor, record.hotel_id)
            notice = "폴링을 시작했습니다"
        elif action == "stop":
            await polling.stop(record.vendor, record.hotel_id)
            notice = "폴링을 중지했습니다"
        else:
            unknown = {"problem": "알 수 없는 요청입니다"}
            return _redirect(f"/admin/listings/{listing_id}?" + urlencode(unknown))
    except DomainError as exc:
        return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"problem": exc.user_message}))
    except PMSError as exc:
        log.warning("admin_sync_failed", hotel_id=record.hotel_id, error=type(exc).__name__)
        problem = "PMS 응답이 없어 동기화하지 못했습니다. 잠시 후 다시 시도하세요"
        return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"problem": problem}))
    return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"notice": notice}))


@router.post("/listings/{listing_id}/degraded")
async def set_degraded(
    request: Request,
    listing_id: int,
    operator: OperatorDep,
    listings_admin: ListingsAdminDep,
    resilience: ResilienceDep,
) -> Response:
    fields = await operator.posted(request)
    record = await listings_admin.get(listing_id)
    hotel_id = record.hotel_id
    if fields.get("enabled") == "true":
        reason = (fields.get("reason") or "관리자 설정").strip()[:200] or "관리자 설정"
        await resilience.degraded.enable_degraded_mode(reason, hotel_id)
        notice = "Degraded Mode를 켰습니다 (예약 불가)"
    else:
        await resilience.degraded.disable_degraded_mode(hotel_id)
        notice = "Degraded Mode를 껐습니다"
    return _redirect(f"/admin/listings/{listing_id}?" + urlencode({"notice": notice}))


# -- bookings ------------------------------------------------------------------------------------------------
@router.get("/bookings", response_class=HTMLResponse)
async def bookings_page(
    request: Request, operator: OperatorDep, booking_search: BookingSearchDep
) -> Response:
    csrf = await operator.csrf(request)
    params = request.query_params
    query, error = _booking_query(params)
    total, rows = await booking_search.search(query)
    return _page(
        request,
        "bookings.html",
        {
            "csrf": csrf,
            "bookings": [row_out(b) for b in rows],
            "total": total,
            "error": error,
            "filters": {k: params.get(k, "") for k in ("hotelId", "status", "bookingId", "from", "to")},
            "statuses": [s.value for s in BookingStatus],
        },
    )


def _booking_query(params: Any) -> tuple[BookingQuery, str | None]:
    pattern = re.compile(ID_PATTERN)
    hotel_id = params.get("hotelId") or None
    booking_id = params.get("bookingId") or None
    status = params.get("status") or None
    error = None
    if hotel_id and not pattern.match(hotel_id):
        hotel_id, error = None, "호텔 ID 형식이 올바르지 않습니다"
    if booking_id and not pattern.match(booking_id):
        booking_id, error = None, "예약 ID 형식이 올바르지 않습니다"
    if status and status not in {s.value for s in BookingStatus}:
        status, error = None, "알 수 없는 예약 상태입니다"
    dates: list[date | None] = []
    for name in ("from", "to"):
        value = params.get(name) or None
        try:
            dates.append(date.fromisoformat(value) if value else None)
        except ValueError:
            dates.append(None)
            error = "날짜는 YYYY-MM-DD 형식이어야 합니다"
    return BookingQuery(hotel_id, status, booking_id, dates[0], dates[1], 0, 100), error


@router.get("/bookings/{booking_id}", response_class=HTMLResponse)
async def booking_page(
    request: Request,
    booking_id: str,
    operator: OperatorDep,
    bookings: BookingsDep,
) -> Response:
    csrf = await operator.csrf(request)
    detail = await booking_detail(bookings, booking_id[:100])
    return _page(
        request,
        "booking.html",
        {"csrf": csrf, "detail": detail, "notice": request.query_params.get("notice"), "error": None},
    )


@router.post("/bookings/{booking_id}/cancel", response_class=HTMLResponse)
async def cancel_booking(
    request: Request,
    booking_id: str,
    operator: OperatorDep,
    cancellation: CancellationDep,
    bookings: BookingsDep,
) -> Response:
    csrf_fields = await operator.posted(request)
    del csrf_fields
    try:
        await cancellation.cancel(booking_id[:100], reason="operator")
    except DomainError as exc:
        detail = await booking_detail(bookings, booking_id[:100])
        return _page(
            request,
            "booking.html",
            {
                "csrf": await operator.csrf(request),
                "detail": detail,
                "notice": None,
                "error": exc.user_message,
            },
            status=status_of(exc.code),
        )
    return _redirect(f"/admin/bookings/{booking_id}?" + urlencode({"notice": "예약을 취소했습니다"}))
