"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response

from roomgate import __version__
from roomgate.api import admin, availability, booking, ops
from roomgate.api.errors import install_error_handlers
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
            log.info("roomgate_started", env=settings.env.value, redis="external" if settings.redis_url else "in-process")
            yield
        finally:
            stop.set()
            for task in tasks:
                await asyncio.wait([task], timeout=5)
            await container.aclose()

    app = FastAPI(title="roomgate", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    app.include_router(ops.router)
    app.include_router(availability.router)
    app.include_router(booking.router)
    app.include_router(admin.router)
    for path, sub_app in (mounts or {}).items():
        app.mount(path, sub_app)
    return app


async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    route = request.scope.get("route")
    template = getattr(route, "path", "unmatched")
    HTTP_REQUESTS.labels(request.method, template, str(response.status_code)).inc()
    HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)
    response.headers["x-request-id"] = request_id
    return response
