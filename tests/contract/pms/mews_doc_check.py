"""Check Mews answers against the field tables of the Mews Connector API docs.

`fixtures/mews-documented-fields.json` holds, per documented object, its required, optional and
deprecated property names, extracted once from MewsSystems/gitbook-connector-api (commit e8732c7).
An answer object must carry every required property (not null) and nothing undocumented.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

FIELDS_PATH = Path(__file__).parent / "fixtures" / "mews-documented-fields.json"

# Which documented object sits where in each operation's answer ("[]" walks into a list).
WALKS: dict[str, list[tuple[str, str]]] = {
    "configuration/get": [
        ("", "configuration/get response"),
        ("Enterprise", "Enterprise"),
        ("Enterprise.Address", "Address"),
        ("Enterprise.Currencies[]", "Accepted currency"),
    ],
    "services/getAll": [
        ("", "services/getAll response"),
        ("Services[]", "Service"),
        ("Services[].Data", "Service data"),
        ("Services[].Data.Value", "Bookable service data"),
    ],
    "ageCategories/getAll": [("", "ageCategories/getAll response"), ("AgeCategories[]", "Age category")],
    "resourceCategories/getAll": [
        ("", "resourceCategories/getAll response"),
        ("ResourceCategories[]", "Resource category"),
    ],
    "rates/getAll": [("", "rates/getAll response"), ("Rates[]", "Rate")],
    "rates/getPricing": [
        ("", "rates/getPricing response"),
        ("BaseAmountPrices[]", "Amount"),
        ("CategoryPrices[]", "Resource category pricing"),
        ("CategoryPrices[].AmountPrices[]", "Amount"),
        ("CategoryPrices[].AmountPrices[].Breakdown", "Tax breakdown"),
    ],
    "services/getAvailability": [
        ("", "services/getAvailability response"),
        ("CategoryAvailabilities[]", "Resource category availability"),
    ],
    "customers/add": [("", "customers/add response")],
    "reservations/add": [
        ("", "reservations/add response"),
        ("Reservations[]", "Added reservation"),
        ("Reservations[].Reservation", "Reservation (ver 2017-04-12)"),
        ("Reservations[].Reservation.PersonCounts[]", "Age category parameters"),
    ],
    "reservations/getAll/2023-06-06": [
        ("", "reservations/getAll/2023-06-06 response"),
        ("Reservations[]", "Reservation (ver 2023-06-06)"),
        ("Reservations[].Options", "Service order options"),
        ("Reservations[].PersonCounts[]", "Age category parameters"),
    ],
    "reservations/confirm": [("", "reservations/confirm response")],
    "reservations/cancel": [("", "reservations/cancel response")],
    "orderItems/getAll": [
        ("", "orderItems/getAll response"),
        ("OrderItems[]", "Order item"),
        ("OrderItems[].Options", "Order item options"),
        ("OrderItems[].UnitAmount", "Amount"),
        ("OrderItems[].Amount", "Amount"),
        ("OrderItems[].OriginalAmount", "Amount"),
    ],
}


@lru_cache(maxsize=1)
def documented() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIELDS_PATH.read_text(encoding="utf-8"))
    return loaded


def select(body: Any, path: str) -> list[tuple[str, Any]]:
    """The objects found at `path` (e.g. `Reservations[].Options`), with where they were found."""
    found: list[tuple[str, Any]] = [("$", body)]
    for step in filter(None, path.split(".")):
        key, many = step.removesuffix("[]"), step.endswith("[]")
        found = [(f"{where}.{key}", node.get(key)) for where, node in found if isinstance(node, dict)]
        if many:
            found = [(f"{where}[{i}]", item) for where, items in found for i, item in enumerate(items or [])]
    return found


def object_problems(name: str, where: str, value: Any) -> list[str]:
    fields = documented()[name]
    if not isinstance(value, dict):
        return [f"{where}: {name} is not an object"]
    known = set(fields["required"]) | set(fields["optional"]) | set(fields["deprecated"])
    problems = [
        f"{where}.{key}: required by the docs ({name})"
        for key in fields["required"]
        if value.get(key) is None
    ]
    problems += [f"{where}.{key}: not documented for {name}" for key in value if key not in known]
    return problems


def answer_problems(operation: str, status: int, body: Any) -> list[str]:
    """Departures of one answer from the docs; error answers must be the documented error object."""
    if status >= 400:
        return object_problems("Error", "$", body)
    return [
        p
        for path, name in WALKS[operation]
        for where, value in select(body, path)
        for p in object_problems(name, where, value)
    ]
