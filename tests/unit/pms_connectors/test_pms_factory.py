"""PMSConnectorFactory: vendor choice, credentials from PMS_<hotelId>_API_KEY, base URLs, caching."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from roomgate.clock import FakeClock
from roomgate.config import Settings, load_settings
from roomgate.pms.cloudbeds import CloudbedsConnector
from roomgate.pms.errors import PMSAuthenticationError
from roomgate.pms.factory import EnvCredentials, PMSConnectorFactory, UnknownVendorError
from roomgate.pms.mews import MewsConnector
from roomgate.simulators import cloudbeds as cloudbeds_sim
from roomgate.simulators import mews as mews_sim
from tests.fake_keys import cloudbeds_key


class DictCredentials:
    """A credential store without an environment (as the admin's encrypted store will be)."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys

    async def api_key(self, vendor: str, hotel_id: str) -> str | None:
        return self.keys.get(hotel_id)


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        cloudbeds_base_url="http://cloudbeds.sim/api/v1.3",
        mews_base_url="http://mews.sim",
        mews_client_token="client-token-for-tests",
        pms_timeout_seconds=4.0,
    )


class HostRouter(httpx2.AsyncBaseTransport):
    """Sends each request to the simulator app named by its host (the vendors' network edge)."""

    def __init__(self) -> None:
        self.apps = {"cloudbeds.sim": cloudbeds_sim.create_app(), "mews.sim": mews_sim.create_app()}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await httpx2.ASGITransport(app=self.apps[request.url.host]).handle_async_request(request)


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=HostRouter()) as client:
        yield client


async def test_an_unknown_vendor_is_a_clear_error(settings: Settings, http: httpx2.AsyncClient) -> None:
    # given
    factory = PMSConnectorFactory(settings, http)
    # when / then
    with pytest.raises(UnknownVendorError, match="'opera'.*cloudbeds, mews"):
        await factory.get_connector("opera", "hotel_123")


async def test_a_missing_key_names_the_hotel_and_the_variable(
    settings: Settings, http: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.delenv("PMS_hotel_nokey_API_KEY", raising=False)
    factory = PMSConnectorFactory(settings, http)
    # when
    with pytest.raises(PMSAuthenticationError) as raised:
        await factory.get_connector("cloudbeds", "hotel_nokey")
    # then
    assert "hotel_nokey" in str(raised.value) and "PMS_hotel_nokey_API_KEY" in str(raised.value)
    assert (raised.value.vendor, raised.value.hotel_id) == ("cloudbeds", "hotel_nokey")


async def test_the_env_key_reaches_the_vendor_and_never_an_error_message(
    settings: Settings, http: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a key the simulator refuses (no cbat_ prefix)
    monkeypatch.setenv("PMS_hotel_123_API_KEY", "wrong-key-6a1f")
    factory = PMSConnectorFactory(settings, http, EnvCredentials(settings))
    connector = await factory.get_connector("cloudbeds", "hotel_123")
    # when
    with pytest.raises(PMSAuthenticationError) as raised:
        await connector.get_room_types()
    # then
    assert isinstance(connector, CloudbedsConnector)
    assert "hotel_123" in str(raised.value) and "wrong-key-6a1f" not in str(raised.value)
    assert "wrong-key-6a1f" not in repr(connector)


async def test_a_factory_built_connector_works_end_to_end(
    settings: Settings, http: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setenv("PMS_hotel_123_API_KEY", cloudbeds_key("factory_key"))
    factory = PMSConnectorFactory(settings, http, clock=FakeClock())
    # when
    cloudbeds = await factory.get_connector("cloudbeds", "hotel_123")
    mews = await factory.get_connector("mews", "hotel_123")
    # then
    assert isinstance(mews, MewsConnector)
    assert [rt.room_type_id for rt in await cloudbeds.get_room_types()] == [
        "room_456",
        "room_457",
        "room_458",
    ]
    assert [rt.room_type_id for rt in await mews.get_room_types()] == ["room_456", "room_457", "room_458"]


async def test_connectors_are_reused_until_the_key_changes(
    settings: Settings, http: httpx2.AsyncClient
) -> None:
    # given
    keys = DictCredentials({"hotel_123": cloudbeds_key("one")})
    factory = PMSConnectorFactory(settings, http, keys)
    # when
    first = await factory.get_connector("cloudbeds", "hotel_123")
    again = await factory.get_connector("CloudBeds", "hotel_123")
    keys.keys["hotel_123"] = cloudbeds_key("two")
    rotated = await factory.get_connector("cloudbeds", "hotel_123")
    # then
    assert first is again
    assert rotated is not first


async def test_a_store_without_a_hint_still_names_the_hotel(
    settings: Settings, http: httpx2.AsyncClient
) -> None:
    # given
    factory = PMSConnectorFactory(settings, http, DictCredentials({}))
    # when / then
    with pytest.raises(PMSAuthenticationError, match="hotel_x"):
        await factory.get_connector("mews", "hotel_x")


async def test_mews_needs_the_client_token(http: httpx2.AsyncClient) -> None:
    # given settings without MEWS_CLIENT_TOKEN
    settings = load_settings(mews_client_token=None)
    factory = PMSConnectorFactory(settings, http, DictCredentials({"hotel_123": "access"}))
    # when / then
    with pytest.raises(PMSAuthenticationError, match="MEWS_CLIENT_TOKEN"):
        await factory.get_connector("mews", "hotel_123")


async def test_a_hotel_can_have_its_own_base_url(settings: Settings, http: httpx2.AsyncClient) -> None:
    # given a property served from another region
    factory = PMSConnectorFactory(
        settings, http, DictCredentials({"hotel_123": cloudbeds_key("k"), "hotel_777": cloudbeds_key("k")})
    )
    factory.set_base_url("cloudbeds", "hotel_777", "https://eu.cloudbeds.example/api/v1.3/")
    # when
    own = factory.base_url("cloudbeds", "hotel_777")
    default = factory.base_url("cloudbeds", "hotel_123")
    first = await factory.get_connector("cloudbeds", "hotel_777")
    factory.set_base_url("cloudbeds", "hotel_777", None)
    after_reset = await factory.get_connector("cloudbeds", "hotel_777")
    # then
    assert own == "https://eu.cloudbeds.example/api/v1.3"
    assert default == "http://cloudbeds.sim/api/v1.3"
    assert after_reset is not first and factory.base_url("cloudbeds", "hotel_777") == default
