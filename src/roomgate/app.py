"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomgate import __version__
from roomgate.api import admin, admin_webhooks, availability, booking, ops, webhooks
from roomgate.api.errors import install_error_handlers
from roomgate.api.view_memo import ServeMemoized, ViewMemo
from roomgate.config import Settings, load_settings
from roomgate.container import Container, build_container
from roomgate.logging import get_logger
from roomgate.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger(__name__)

DESCRIPTION = """PMS integration layer: cached availability, atomic 180 s holds, and a checkout saga
(hold → payment pre-authorisation → PMS confirm → capture) that ends confirmed or fully rolled back.
Every error has the shape `{"success": false, "error": "<message>", "errorCode": "<CODE>"}`."""


def create_app(
    settings: Settings | None = None,
    *,
    container_factory: Callable[[Settings], Container] | None = None,
    mounts: dict[str, Any] | None = None,
    on_startup: Callable[[Container], Awaitable[None]] | None = None,
    background_recovery_seconds: float | None = None,
    webhook_consumers: int = 0,
) -> FastAPI:
    """Build the app; the lifespan opens the database, Redis and HTTP clients and closes them after."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        container = (container_factory or build_container)(settings)
        app.state.container = container
        try:
            await container.start()
            if on_startup is not None:
                await on_startup(container)
            if background_recovery_seconds:  # single-process mode (the demo): no separate worker
                from roomgate.worker import recovery_loop

                tasks.append(asyncio.create_task(recovery_loop(container, background_recovery_seconds, stop)))
            for _ in range(webhook_consumers):  # single-process mode: consume webhooks in process
                tasks.append(asyncio.create_task(container.webhook_consumer().run(stop)))
            log.info(
                "roomgate_started",
                env=settings.env.value,
                redis="external" if settings.redis_url else "in-process",
            )
            yield
        finally:
            stop.set()
            for task in tasks:
                await asyncio.wait([task], timeout=5)
                if not task.done():
                    task.cancel()
            await container.aclose()

    app = FastAPI(title="roomgate", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.state.view_memo = ViewMemo(settings.response_memo_entries)
    app.add_middleware(ServeMemoized, memo=app.state.view_memo)  # inside RequestContext
    app.add_middleware(RequestContext)
    app.include_router(ops.router)
    app.include_router(availability.router)
    app.include_router(booking.router)
    app.include_router(admin.router)
    app.include_router(webhooks.router)
    app.include_router(admin_webhooks.router)
    for path, sub_app in (mounts or {}).items():
        app.mount(path, sub_app)
    return app


class RequestContext:
    """Per HTTP request: an id (the caller's `x-request-id`, else a new one) bound into every log line
    and echoed in the response, and the request count and latency by route template.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
    request through an extra task and memory streams, which cost more than everything this does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex[:16]
        echoed = (b"x-request-id", request_id.encode("latin-1"))
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, echoed]}
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        template = getattr(scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
        HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (ASGI header names arrive lower-cased)."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None
