"""Hotels stored by the admin import, as every server process sees them (per-process copy + Redis token)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from roomgate.clock import FakeClock
from roomgate.config import Environment, load_settings
from roomgate.container import build_container
from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.listings import ListingImport, ListingRepository
from roomgate.ledger.migrate import upgrade
from roomgate.pms.db_hotels import DatabaseHotels, LayeredCredentials, LayeredHotelDirectory
from roomgate.pms.env_hotels import EnvHotelDirectory
from roomgate.secrets_box import SecretBox, generate_key
from tests.fake_keys import cloudbeds_key, toss_live

KEY = generate_key()


def hotel(hotel_id: str, encrypted: str | None, vendor: str = "cloudbeds") -> ListingImport:
    return ListingImport(
        vendor=vendor,
        hotel_id=hotel_id,
        encrypted_api_key=encrypted,
        name=f"Hotel {hotel_id}",
        location="Seoul",
        description="",
        latitude=None,
        longitude=None,
        currency="KRW",
        average_price=None,
        max_occupancy=2,
        room_types=[],
        inventory=[],
        prices=[],
    )


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[ListingRepository]:
    url = f"sqlite:///{tmp_path}/hotels.db"
    upgrade(url)
    engine = create_engine(url)
    yield ListingRepository(session_factory(engine))
    await engine.dispose()


def process(repo: ListingRepository, redis: object, clock: FakeClock) -> DatabaseHotels:
    """One server process's view (its own copy), sharing the database and Redis."""
    return DatabaseHotels(repo, redis, SecretBox([KEY]), clock, recheck_seconds=1.0)  # type: ignore[arg-type]


async def test_a_hotel_saved_by_one_process_is_known_to_another_at_its_next_request(
    repo: ListingRepository, any_redis: object
) -> None:
    clock = FakeClock()
    a, b = process(repo, any_redis, clock), process(repo, any_redis, clock)
    # given process b has looked up the (empty) table
    assert await b.get("hotel_9") is None
    # when process a saves a hotel
    await repo.save_import(hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9"))))
    await a.changed()
    # then process b knows it and its key at once, with no time passing
    assert (await b.get("hotel_9")) is not None
    assert await b.api_key("cloudbeds", "hotel_9") == cloudbeds_key("secret_9")
    assert await b.api_key("mews", "hotel_9") is None  # one vendor per hotel


async def test_a_disabled_hotel_stops_everywhere_within_the_recheck_time(
    repo: ListingRepository, any_redis: object
) -> None:
    clock = FakeClock()
    a, b = process(repo, any_redis, clock), process(repo, any_redis, clock)
    listing_id, _ = await repo.save_import(
        hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9")))
    )
    await a.changed()
    assert (await b.peek("hotel_9")).enabled  # type: ignore[union-attr]
    reloads = b.reloads
    # when a disables it
    await repo.update(listing_id, {}, {"enabled": False})
    await a.changed()
    # then b, inside its recheck window, still trusts its copy (no Redis call, no query) ...
    assert (await b.peek("hotel_9")).enabled  # type: ignore[union-attr]
    assert b.reloads == reloads
    # ... except for the gate of answers and checkouts, which asks Redis every time
    assert (await b.current("hotel_9")).enabled is False  # type: ignore[union-attr]
    assert b.reloads == reloads + 1
    # ... and once the window has passed every look-up sees the change
    clock.advance(1.0)
    assert (await b.peek("hotel_9")).enabled is False  # type: ignore[union-attr]
    assert await b.api_key("cloudbeds", "hotel_9") is None
    # and nothing re-reads the table while nothing changed
    reloads = b.reloads
    clock.advance(5.0)
    await b.peek("hotel_9")
    await b.current("hotel_9")
    assert b.reloads == reloads


async def test_with_no_hotel_ever_saved_the_table_is_read_once(
    repo: ListingRepository, any_redis: object
) -> None:
    # given no hotel saved yet (no Redis token): an env-configured deployment
    clock = FakeClock()
    a, b = process(repo, any_redis, clock), process(repo, any_redis, clock)
    # when checkouts ask for the current state again and again
    for _ in range(3):
        assert await b.current("hotel_env") is None
        assert await b.api_key("cloudbeds", "hotel_env") is None
    # then the (empty) table was read once, not per look-up
    assert b.reloads == 1
    # and the first save is still seen at once
    await repo.save_import(hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9"))))
    await a.changed()
    assert await b.current("hotel_9") is not None and b.reloads == 2


async def test_without_redis_the_copy_is_reloaded_every_recheck_interval(repo: ListingRepository) -> None:
    class DeadRedis:
        async def get(self, _key: str) -> None:
            raise RedisConnectionError("down")

        async def set(self, _key: str, _value: str) -> None:
            raise RedisConnectionError("down")

    clock = FakeClock()
    b = process(repo, DeadRedis(), clock)
    listing_id, _ = await repo.save_import(
        hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9")))
    )
    assert (await b.get("hotel_9")).enabled  # type: ignore[union-attr]
    await repo.update(listing_id, {}, {"enabled": False})
    await b.changed()  # logs, does not raise
    clock.advance(1.0)
    assert (await b.peek("hotel_9")).enabled is False  # type: ignore[union-attr]


async def test_database_hotels_come_first_and_env_hotels_still_work(
    repo: ListingRepository, any_redis: object
) -> None:
    clock = FakeClock()
    stored = process(repo, any_redis, clock)
    env = {"PMS_hotel_123_API_KEY": cloudbeds_key("env_123"), "PMS_hotel_9_API_KEY": cloudbeds_key("env_9")}
    listing_id, _ = await repo.save_import(
        hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("db_9")), "mews")
    )
    await stored.changed()

    class EnvKeys:
        async def api_key(self, vendor: str, hotel_id: str) -> str | None:
            return env.get(f"PMS_{hotel_id}_API_KEY")

    directory = LayeredHotelDirectory(stored, EnvHotelDirectory(environ=env, dotenv_path="/nonexistent"))
    credentials = LayeredCredentials(stored, EnvKeys())
    assert [(h.hotel_id, h.vendor, h.source) for h in await directory.list_hotels()] == [
        ("hotel_123", "cloudbeds", "env"),
        ("hotel_9", "mews", "database"),
    ]
    assert await credentials.api_key("mews", "hotel_9") == cloudbeds_key("db_9")
    assert await credentials.api_key("cloudbeds", "hotel_123") == cloudbeds_key("env_123")
    # a hotel disabled in the database does not fall back to its environment key
    await repo.update(listing_id, {}, {"enabled": False})
    await stored.changed()
    assert await credentials.api_key("mews", "hotel_9") is None
    assert await credentials.api_key("cloudbeds", "hotel_9") is None


async def test_production_refuses_to_start_with_stored_keys_and_no_secret_key(
    tmp_path: Path, real_redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path}/prod.db"
    upgrade(url)
    engine = create_engine(url)
    repo = ListingRepository(session_factory(engine))
    settings = load_settings(
        env=Environment.PRODUCTION,
        database_url=url,
        redis_url=real_redis_url,
        payment_provider="toss",
        payment_api_key=toss_live("db_hotels_0001"),  # production takes a live key of a real provider
    )
    # given no stored credential: production starts
    container = build_container(settings)
    await container.start()
    await container.aclose()
    # given a stored credential and no secret key: it refuses, naming the setting
    await repo.save_import(hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9"))))
    container = build_container(settings)
    with pytest.raises(RuntimeError, match="ROOMGATE_SECRET_KEY"):
        await container.start()
    await container.aclose()
    # with the key it starts
    container = build_container(load_settings(**{**settings.model_dump(), "secret_key": KEY}))
    await container.start()
    await container.aclose()
    await engine.dispose()


async def test_a_database_outage_keeps_the_last_copy(tmp_path: Path, any_redis: object) -> None:
    # given a process that loaded its copy, then the database goes away (here: its file is gone)
    url = f"sqlite:///{tmp_path}/gone.db"
    upgrade(url)
    engine = create_engine(url)
    repo = ListingRepository(session_factory(engine))
    clock = FakeClock()
    b = process(repo, any_redis, clock)
    await repo.save_import(hotel("hotel_9", SecretBox([KEY]).encrypt(cloudbeds_key("secret_9"))))
    assert (await b.current("hotel_9")) is not None
    await engine.dispose()
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # a directory where the file was: every query fails
    await b.changed()
    clock.advance(1.0)
    # then look-ups keep answering from the copy instead of failing the read path
    assert (await b.current("hotel_9")) is not None
    assert await b.current("hotel_unknown") is None
