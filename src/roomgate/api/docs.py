"""The API's own description: `/openapi.json` as the server really answers, and `/docs` + `/redoc` that
work without internet (Swagger UI and ReDoc served from the `fastapi-offline` package's files).

FastAPI documents a 422 for every route with parameters; roomgate answers bad input with a 400 in the
spec's error shape instead (api/errors.py), so the schema says 400 `ErrorOut` and never 422."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/_docs"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_docs(app: FastAPI) -> None:
    """`/docs`, `/redoc` and their assets under `/_docs/`, all local; the app must be built with
    `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = truthful_schema(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


REQUEST_ID_HEADER = {
    "description": "the caller's X-Request-Id when it is 1–64 of [A-Za-z0-9._:-], else a new id; "
    "every log line of the request carries it",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,64}$"},
}
BOOKING_ID_HEADER = {
    "description": "the booking this checkout wrote (look it up at /api/bookings/{id}); absent when "
    "the checkout was refused before any booking existed",
    "schema": {"type": "string"},
}


def truthful_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop FastAPI's never-sent 422s; every operation that takes input documents the 400 it sends;
    every answer documents its `x-request-id`, a checkout's its `X-Booking-Id`."""
    for path, path_item in schema.get("paths", {}).items():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            had_validation = responses.pop("422", None) is not None
            takes_input = had_validation or operation.get("parameters") or operation.get("requestBody")
            if takes_input and "400" not in responses:
                responses["400"] = {
                    "description": "Bad input (VALIDATION_ERROR); nothing changed",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
            for response in responses.values():
                headers = response.setdefault("headers", {})
                headers["x-request-id"] = REQUEST_ID_HEADER
                if path == "/api/booking/checkout":
                    headers["X-Booking-Id"] = BOOKING_ID_HEADER
    components = schema.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.pop(name, None)
    return schema
