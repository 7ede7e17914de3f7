"""Hotels configured by environment: `PMS_<hotelId>_API_KEY` (the spec's name) and `PMS_<hotelId>_VENDOR`."""

from __future__ import annotations

import os
import re

from dotenv import dotenv_values

from roomgate.domain.hotel import HotelConfig
from roomgate.pms.base import SUPPORTED_VENDORS

DEFAULT_VENDOR = "cloudbeds"
_KEY_VARIABLE = re.compile(r"^PMS_(?P<hotel>.+)_API_KEY$")


class EnvHotelDirectory:
    """Every hotel with a `PMS_<hotelId>_API_KEY`; vendor from `PMS_<hotelId>_VENDOR` (default cloudbeds)."""

    def __init__(self, environ: dict[str, str] | None = None, dotenv_path: str = ".env") -> None:
        self._environ = environ
        self._dotenv_path = dotenv_path

    def _variables(self) -> dict[str, str]:
        values = {k: v for k, v in dotenv_values(self._dotenv_path).items() if v is not None}
        values.update(os.environ if self._environ is None else self._environ)
        return values

    def _config(self, hotel_id: str, variables: dict[str, str]) -> HotelConfig | None:
        if not variables.get(f"PMS_{hotel_id}_API_KEY"):
            return None
        vendor = variables.get(f"PMS_{hotel_id}_VENDOR", DEFAULT_VENDOR).strip().lower() or DEFAULT_VENDOR
        if vendor not in SUPPORTED_VENDORS:
            raise ValueError(
                f"PMS_{hotel_id}_VENDOR: unknown vendor {vendor!r}; supported: {', '.join(SUPPORTED_VENDORS)}"
            )
        return HotelConfig(hotel_id=hotel_id, vendor=vendor, source="env")

    async def get(self, hotel_id: str) -> HotelConfig | None:
        return self._config(hotel_id, self._variables())

    async def list_hotels(self) -> list[HotelConfig]:
        variables = self._variables()
        hotels = []
        for name in sorted(variables):
            match = _KEY_VARIABLE.match(name)
            if match and (config := self._config(match["hotel"], variables)) is not None:
                hotels.append(config)
        return hotels
