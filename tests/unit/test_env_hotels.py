"""Hotels configured by environment: which exist, at which vendor."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomgate.pms.env_hotels import EnvHotelDirectory


async def test_a_hotel_exists_when_its_key_is_set_and_defaults_to_cloudbeds(tmp_path: Path) -> None:
    # given
    hotels = EnvHotelDirectory(
        {"PMS_hotel_1_API_KEY": "k", "PMS_hotel_2_API_KEY": "k", "PMS_hotel_2_VENDOR": "Mews"},
        dotenv_path=str(tmp_path / "none.env"),
    )
    # when
    listed = await hotels.list_hotels()
    # then
    assert [(h.hotel_id, h.vendor) for h in listed] == [("hotel_1", "cloudbeds"), ("hotel_2", "mews")]
    assert await hotels.get("hotel_3") is None
    assert (await hotels.get("hotel_2")).vendor == "mews"  # type: ignore[union-attr]


async def test_dotenv_lines_count_and_the_environment_wins(tmp_path: Path) -> None:
    # given
    env_file = tmp_path / ".env"
    env_file.write_text("PMS_h9_API_KEY=file\nPMS_h9_VENDOR=mews\nPMS_h8_API_KEY=file\n", encoding="utf-8")
    hotels = EnvHotelDirectory({"PMS_h8_VENDOR": "mews"}, dotenv_path=str(env_file))
    # when / then
    assert [(h.hotel_id, h.vendor) for h in await hotels.list_hotels()] == [("h8", "mews"), ("h9", "mews")]


async def test_an_unknown_vendor_names_the_variable(tmp_path: Path) -> None:
    hotels = EnvHotelDirectory(
        {"PMS_h_API_KEY": "k", "PMS_h_VENDOR": "opera"}, dotenv_path=str(tmp_path / "none.env")
    )
    with pytest.raises(ValueError, match="PMS_h_VENDOR"):
        await hotels.get("h")
