"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomgate import __version__
from roomgate.api import (
    admin,
    admin_bookings,
    admin_listings,
    admin_polling,
    admin_webhooks,
    availability,
    booking,
    ops,
    webhooks,
)
from roomgate.api.body_limit import BodyLimit
from roomgate.api.docs import install_docs
from roomgate.api.errors import error_response, install_error_handlers
from roomgate.api.inbound_limit import InboundRateLimit
from roomgate.api.view_memo import ServeMemoized, ViewMemo
from roomgate.config import Settings, load_settings
from roomgate.container import Container, build_container
from roomgate.domain.errors import ErrorCode
from roomgate.logging import get_logger
from roomgate.metrics import HTTP_LATENCY, HTTP_REQUESTS
from roomgate.web.pages import install_admin_pages

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
                from roomgate.worker_sync import sync_tasks

                tasks.extend(sync_tasks(container, stop))
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

    app = FastAPI(
        title="roomgate",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_docs serves /docs and /redoc from local files
        redoc_url=None,
    )
    app.state.settings = settings
    install_docs(app)
    install_error_handlers(app)
    app.state.view_memo = ViewMemo(settings.response_memo_entries)
    app.add_middleware(ServeMemoized, memo=app.state.view_memo)  # inside the rate limit
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # before any body is read
    app.add_middleware(
        InboundRateLimit,
        reads_per_minute=settings.rate_limit_reads_per_minute,
        writes_per_minute=settings.rate_limit_writes_per_minute,
    )  # inside RequestContext, so refusals are counted and carry the request id
    # Mounted apps (the demo's simulators) are not the product: their requests stay out of its metrics.
    app.add_middleware(RequestContext, unmetered=tuple(mounts or ()))
    app.include_router(ops.router)
    app.include_router(availability.router)
    app.include_router(booking.router)
    app.include_router(admin.router)
    app.include_router(admin_polling.router)
    app.include_router(admin_listings.router)
    app.include_router(admin_bookings.router)
    install_admin_pages(app)
    app.include_router(webhooks.router)
    app.include_router(admin_webhooks.router)
    for path, sub_app in (mounts or {}).items():
        app.mount(path, sub_app)
    return app


class RequestContext:
    """Per HTTP request: an id (the caller's `x-request-id` when it is a sane token, else a new one)
    bound into every log line and echoed in the response, and the request count and latency by route
    template. An exception no handler turned into an answer is logged here, once, with the request id,
    and answered with the spec's 500 (carrying the id) — counted like any other answer.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
    request through an extra task and memory streams, which cost more than everything this does."""

    def __init__(self, app: ASGIApp, unmetered: tuple[str, ...] = ()) -> None:
        self.app = app
        self.unmetered = unmetered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = client_request_id(scope) or uuid.uuid4().hex[:16]
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
        except Exception as exc:
            log.error(
                "unhandled_error",
                method=scope["method"],
                path=scope["path"],
                error=type(exc).__name__,
                exc_info=exc,
            )
            if status:  # the answer had begun: nothing more can be sent
                raise
            await error_response(ErrorCode.INTERNAL_ERROR)(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        if scope["path"].startswith(self.unmetered):
            return
        template = getattr(scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
        HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")


def client_request_id(scope: Scope) -> str | None:
    """The caller's `x-request-id` if it is 1–64 letters, digits or `._:-` (it goes into every log
    line and back into the response), else None."""
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID.fullmatch(text) else None
    return None
