"""`roomgate secrets generate-key` and `roomgate secrets rotate`, run as a user runs them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from roomgate.ledger.db import create_engine, session_factory
from roomgate.ledger.listings import ListingImport, ListingRepository
from roomgate.ledger.migrate import upgrade
from roomgate.secrets_box import SecretBox, UndecryptableSecret, generate_key
from tests.e2e.processes import process_env
from tests.fake_keys import cloudbeds_key

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roomgate.cli", *args],
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored(url: str, *keys: str) -> list[str]:
    async def run() -> list[str]:
        engine = create_engine(url)
        try:
            rows = await ListingRepository(session_factory(engine)).encrypted_keys()
        finally:
            await engine.dispose()
        return [token for _, token in rows]

    return asyncio.run(run())


def seed(url: str, box: SecretBox, count: int) -> None:
    async def run() -> None:
        engine = create_engine(url)
        repo = ListingRepository(session_factory(engine))
        for n in range(count):
            await repo.save_import(
                ListingImport(
                    vendor="cloudbeds",
                    hotel_id=f"hotel_{n}",
                    encrypted_api_key=box.encrypt(cloudbeds_key(f"plain_{n}")),
                    name="h",
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
            )
        await engine.dispose()

    asyncio.run(run())


def test_rotate_re_encrypts_every_key_with_the_new_first_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    upgrade(url)
    old = cli("secrets", "generate-key", env={}).stdout.strip()
    new = cli("secrets", "generate-key", env={}).stdout.strip()
    assert old != new
    seed(url, SecretBox([old]), 3)
    # when the new key is put first and rotate runs
    result = cli("secrets", "rotate", env={"DATABASE_URL": url, "ROOMGATE_SECRET_KEY": f"{new},{old}"})
    # then it reports progress and every stored key now opens with the new key alone
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 3/3" in result.stdout and "3 re-encrypted" in result.stdout
    tokens = stored(url)
    assert sorted(SecretBox([new]).decrypt(t) for t in tokens) == [
        cloudbeds_key("plain_0"),
        cloudbeds_key("plain_1"),
        cloudbeds_key("plain_2"),
    ]
    with pytest.raises(UndecryptableSecret):
        SecretBox([old]).decrypt(tokens[0])
    assert cloudbeds_key("plain") not in result.stdout + result.stderr


def test_rotate_without_the_old_key_fails_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    upgrade(url)
    old, new = generate_key(), generate_key()
    seed(url, SecretBox([old]), 1)
    before = stored(url)
    result = cli("secrets", "rotate", env={"DATABASE_URL": url, "ROOMGATE_SECRET_KEY": new})
    assert result.returncode == 1
    assert "add the old key back" in result.stderr
    assert stored(url) == before
    bad = cli("secrets", "rotate", env={"DATABASE_URL": url, "ROOMGATE_SECRET_KEY": "not-a-key"})
    assert bad.returncode == 2 and "ROOMGATE_SECRET_KEY" in bad.stderr and "not-a-key" not in bad.stderr


def test_secrets_commands_explain_themselves() -> None:
    for args in (
        ["secrets", "--help"],
        ["secrets", "rotate", "--help"],
        ["secrets", "generate-key", "--help"],
    ):
        result = cli(*args, env={})
        assert result.returncode == 0 and "Usage" in result.stdout
