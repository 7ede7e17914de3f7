"""Test harness for the PMS contract tests: a simulator reached in-process or over a real socket.

Requests and answers are recorded at the transport (the vendor's network edge), so tests can
check what the connector really sent and what the simulator really answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx2

from roomgate.clock import FakeClock
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.mews import MewsConnector
from tests.fake_keys import cloudbeds_key

CLOUDBEDS_KEY = cloudbeds_key("contract_test_key_0001")
MEWS_CLIENT_TOKEN = "client-token-contract-0001"
MEWS_ACCESS_TOKEN = "access-token-contract-0001"


@dataclass
class Exchange:
    request: httpx2.Request
    response: httpx2.Response


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Passes every request to the real transport and keeps a copy of both sides."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        copy = httpx2.Response(response.status_code, headers=response.headers, content=body, request=request)
        self.exchanges.append(Exchange(request, copy))
        return httpx2.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def vendor_calls(self) -> list[Exchange]:
        """Exchanges with the vendor API (not the `/_sim` control routes)."""
        return [e for e in self.exchanges if "/_sim/" not in e.request.url.path]


@dataclass
class SimHarness:
    vendor: str
    mode: str
    root: str
    clock: FakeClock
    http: httpx2.AsyncClient
    recorder: RecordingTransport
    extra: dict[str, Any] = field(default_factory=dict)

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(method, f"{self.root}{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def faults(self, **faults: Any) -> None:
        await self.control("PUT", "/_sim/faults", faults)

    async def calls(self, endpoint: str) -> int:
        return int((await self.control("GET", "/_sim/state"))["calls"].get(endpoint, 0))

    def cloudbeds(
        self, hotel_id: str = "hotel_123", api_key: str = CLOUDBEDS_KEY, **kw: Any
    ) -> CloudbedsConnector:
        kw.setdefault("timeout", 5.0)
        return CloudbedsConnector(
            hotel_id=hotel_id,
            api_key=api_key,
            http=self.http,
            base_url=f"{self.root}/api/v1.3",
            clock=self.clock,
            **kw,
        )

    def mews(
        self, hotel_id: str = "hotel_123", access_token: str = MEWS_ACCESS_TOKEN, **kw: Any
    ) -> MewsConnector:
        kw.setdefault("timeout", 5.0)
        kw.setdefault("enterprise_id", hotel_id)
        return MewsConnector(
            hotel_id=hotel_id,
            access_token=access_token,
            client_token=MEWS_CLIENT_TOKEN,
            http=self.http,
            base_url=self.root,
            clock=self.clock,
            **kw,
        )
