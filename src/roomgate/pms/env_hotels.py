"""Hotels configured by environment: `PMS_<hotelId>_API_KEY` (the spec's name) and `PMS_<hotelId>_VENDOR`."""

from __future__ import annotations

import os
import re
from collections import ChainMap
from collections.abc import Mapping

from dotenv import dotenv_values

from roomgate.config import dotenv_variables
from roomgate.domain.hotel import HotelConfig
from roomgate.pms.base import SUPPORTED_VENDORS

DEFAULT_VENDOR = "cloudbeds"
_KEY_VARIABLE = re.compile(r"^PMS_(?P<hotel>.+)_API_KEY$")


class EnvHotelDirectory:
    """Every hotel with a `PMS_<hotelId>_API_KEY`; vendor from `PMS_<hotelId>_VENDOR` (default cloudbeds)."""

    def __init__(self, environ: dict[str, str] | None = None, dotenv_path: str | None = None) -> None:
        """`environ`: instead of the process environment; `dotenv_path`: a file read once here instead
        of `./.env` (which is read once per process, like every other setting's)."""
        self._environ = environ
        self._dotenv = None if dotenv_path is None else _read_dotenv(dotenv_path)

    def _variables(self) -> Mapping[str, str]:
        """The process environment over the `.env` values, as one read-only view (nothing copied)."""
        environ = os.environ if self._environ is None else self._environ
        return ChainMap(environ, dotenv_variables() if self._dotenv is None else self._dotenv)

    def _config(self, hotel_id: str, variables: Mapping[str, str]) -> HotelConfig | None:
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


def _read_dotenv(path: str) -> dict[str, str]:
    return {key: value for key, value in dotenv_values(path).items() if value is not None}
