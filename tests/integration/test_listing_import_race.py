"""Two imports of the same new hotel at once (PostgreSQL, MariaDB): one listing, never two, no error.

SQLite takes its write lock at BEGIN (ledger/db.py), so there the two imports simply queue."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.listings import ListingImport, ListingRepository
from roomgate.ledger.migrate import upgrade
from roomgate.ledger.models import Listing, PMSConfig
from tests.conftest import empty_database
from tests.fakes import Pause


def hotel(name: str) -> ListingImport:
    return ListingImport(
        vendor="cloudbeds",
        hotel_id="hotel_race",
        encrypted_api_key="encrypted",
        name=name,
        location="",
        description="",
        latitude=None,
        longitude=None,
        currency="KRW",
        average_price=None,
        max_occupancy=None,
        room_types=[],
        inventory=[],
        prices=[],
    )


@pytest.fixture(params=["postgresql", "mysql"])
def server_ledger(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    with empty_database(request.param, request, tmp_path) as url:
        upgrade(url)
        yield url


async def race(url: str, retries: int) -> tuple[list[object], int, int]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    pause = Pause()
    slow = ListingRepository(sessions, import_retries=retries, after_config_read=pause)
    fast = ListingRepository(sessions)
    try:
        # given an import that has read "no such hotel yet" and waits
        first = asyncio.create_task(slow.save_import(hotel("first")))
        await pause.entered.wait()
        # when another import of the same hotel runs to the end meanwhile
        await fast.save_import(hotel("second"))
        pause.go.set()
        outcomes: list[object] = list(await asyncio.gather(first, return_exceptions=True))
        async with sessions() as session:
            listings = int(await session.scalar(select(func.count()).select_from(Listing)) or 0)
            configs = int(await session.scalar(select(func.count()).select_from(PMSConfig)) or 0)
        return outcomes, listings, configs
    finally:
        await engine.dispose()


async def test_the_loser_retries_as_an_update(server_ledger: str) -> None:
    outcomes, listings, configs = await race(server_ledger, retries=1)
    # then the first import became an update of the second's rows: one hotel, one listing
    assert not isinstance(outcomes[0], Exception), outcomes[0]
    _listing_id, changes = outcomes[0]  # type: ignore[misc]
    assert changes.created is False
    assert (configs, listings) == (1, 1)


async def test_negative_control_without_the_retry_the_race_is_real(server_ledger: str) -> None:
    outcomes, _listings, configs = await race(server_ledger, retries=0)
    assert isinstance(outcomes[0], IntegrityError)
    assert configs == 1
