"""Fixtures: each PMS simulator in-process (ASGITransport) and over a real socket (ServerThread)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators import mews as mews_sim
from roomgate.simulators.server import ServerThread
from tests.contract.pms.harness import RecordingTransport, SimHarness

TRANSPORTS = ["in-process", "socket"]


def _server(create_app: Callable[..., Any]) -> Iterator[tuple[ServerThread, FakeClock]]:
    clock = FakeClock()
    # A short graceful-shutdown bound cancels requests left hanging by the `hang` fault.
    with ServerThread(create_app(clock=clock), graceful_shutdown_seconds=0.5) as server:
        yield server, clock


@pytest.fixture(scope="session")
def cloudbeds_server() -> Iterator[tuple[ServerThread, FakeClock]]:
    yield from _server(cloudbeds_sim.create_app)


@pytest.fixture(scope="session")
def mews_server() -> Iterator[tuple[ServerThread, FakeClock]]:
    yield from _server(mews_sim.create_app)


async def _harness(request: pytest.FixtureRequest, vendor: str, module: Any) -> AsyncIterator[SimHarness]:
    if request.param == "in-process":
        clock = FakeClock()
        recorder = RecordingTransport(httpx2.ASGITransport(app=module.create_app(clock=clock)))
        root = f"http://{vendor}.sim"
    else:
        server, clock = request.getfixturevalue(f"{vendor}_server")
        recorder = RecordingTransport(httpx2.AsyncHTTPTransport())
        root = server.url
    async with httpx2.AsyncClient(transport=recorder) as http:
        harness = SimHarness(vendor, request.param, root, clock, http, recorder)
        await harness.control("POST", "/_sim/reset")  # the shared server starts every test clean
        recorder.exchanges.clear()
        yield harness


@pytest.fixture(params=TRANSPORTS)
async def cloudbeds(request: pytest.FixtureRequest) -> AsyncIterator[SimHarness]:
    async for harness in _harness(request, "cloudbeds", cloudbeds_sim):
        yield harness


@pytest.fixture(params=TRANSPORTS)
async def mews(request: pytest.FixtureRequest) -> AsyncIterator[SimHarness]:
    async for harness in _harness(request, "mews", mews_sim):
        yield harness
