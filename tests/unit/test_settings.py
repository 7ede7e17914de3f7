from pathlib import Path

import pytest

from roomgate.config import Settings, SettingsError, load_settings, to_async_database_url
from tests.fake_keys import cloudbeds_key


def test_defaults_run_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "ROOMGATE_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.async_database_url.startswith("sqlite+aiosqlite:///")
    assert ".roomgate" in settings.async_database_url
    assert settings.redis_url is None
    assert (
        settings.inv_ttl_seconds,
        settings.rate_ttl_seconds,
        settings.hold_ttl_seconds,
        settings.rooms_ttl_seconds,
    ) == (90, 300, 180, 3600)


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("mysql://root@h/db", "mysql+aiomysql://root@h/db"),
        ("mariadb://root@h/db", "mysql+aiomysql://root@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_async_driver_is_chosen(plain: str, expected: str) -> None:
    assert to_async_database_url(plain) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ROOMGATE_PORT", "eighty"),
        ("DATABASE_URL", "mongodb://x"),
        ("REDIS_URL", "http://x"),
        ("ROOMGATE_HOLD_TTL_SECONDS", "0"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert name in str(err.value)


def test_debug_faults_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMGATE_ENV", "production")
    monkeypatch.setenv("ROOMGATE_DEBUG_FAULTS", "after_hold=crash")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ROOMGATE_DEBUG_FAULTS" in str(err.value)


def test_per_hotel_api_key_uses_the_spec_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMS_hotel_123_API_KEY", cloudbeds_key("from_env"))
    assert Settings(_env_file=None).pms_api_key("hotel_123") == cloudbeds_key("from_env")
    assert Settings(_env_file=None).pms_api_key("hotel_unknown") is None


@pytest.mark.parametrize("missing", ["REDIS_URL", "DATABASE_URL"])
def test_production_needs_real_storage(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    monkeypatch.setenv("ROOMGATE_ENV", "production")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert missing in str(err.value)


def test_a_hotels_pms_key_is_read_from_dotenv_when_not_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from roomgate import config

    # given a .env (quoted, `export`-prefixed, commented) and no such variable in the environment
    (tmp_path / ".env").write_text(
        f'# hotels\nexport PMS_hotel_env_API_KEY="{cloudbeds_key("from_dotenv")}"\n'
        f"PMS_hotel_other_API_KEY={cloudbeds_key('x')} # note\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMS_hotel_env_API_KEY", raising=False)
    config.dotenv_variables.cache_clear()
    try:
        settings = load_settings()
        # then python-dotenv's reading applies: quotes and `export` gone, comments ignored
        assert settings.pms_api_key("hotel_env") == cloudbeds_key("from_dotenv")
        assert settings.pms_api_key("hotel_other") == cloudbeds_key("x")
        assert settings.pms_api_key("hotel_missing") is None
    finally:
        config.dotenv_variables.cache_clear()
