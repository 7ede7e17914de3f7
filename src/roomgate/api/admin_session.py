"""Admin page sessions: sign in with the admin token, then an HttpOnly, SameSite=Strict cookie.

The cookie carries a random session id; Redis keeps `admin:session:<sha256(id)>` → the session's
CSRF token, so every server process knows the session and signing out ends it everywhere. Unsafe
requests made with the cookie must send that CSRF token (form field `csrf_token` or header
`X-CSRF-Token`). Bearer-token API calls need no cookie and no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "roomgate_admin"
LOGIN_CSRF_COOKIE = "roomgate_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 8 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _key(session_id: str) -> str:
    return "admin:session:" + hashlib.sha256(session_id.encode()).hexdigest()


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class AdminSessions:
    def __init__(self, redis: aioredis.Redis, seconds: int = SESSION_SECONDS) -> None:
        self._redis = redis
        self._seconds = seconds

    async def create(self) -> tuple[str, str]:
        """A new session: (cookie value, CSRF token)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self._redis.set(_key(session_id), csrf, ex=self._seconds)
        return session_id, csrf

    async def csrf_token(self, request: Request) -> str | None:
        """The CSRF token of the request's session; None when signed out or expired."""
        session_id = request.cookies.get(SESSION_COOKIE)
        if not session_id or len(session_id) > 100:
            return None
        value = await self._redis.get(_key(session_id))
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def end(self, request: Request) -> None:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and len(session_id) <= 100:
            await self._redis.delete(_key(session_id))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
