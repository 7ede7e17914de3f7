"""Request bodies over `ROOMGATE_MAX_BODY_BYTES` are refused with 413 in the spec's error shape.

A declared `Content-Length` over the limit is answered before a byte of the body is read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the limit, so no
request costs more than the limit in memory.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomgate.api.errors import error_body
from roomgate.domain.errors import ErrorCode


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit (FastAPI re-raises HTTPExceptions
    met while reading a body, and the app's handler answers it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"{ErrorCode.VALIDATION_ERROR.message}: 요청 본문이 너무 큽니다 (최대 {limit}바이트)"


def too_large_response(limit: int) -> JSONResponse:
    # The body is left unread: the connection cannot carry another request after this answer.
    body = error_body(ErrorCode.VALIDATION_ERROR, too_large_message(limit))
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})


class BodyLimit:
    """Plain ASGI (like `RequestContext`): no extra task per request."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await too_large_response(self.max_bytes)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed one before the app sees it
    return None
