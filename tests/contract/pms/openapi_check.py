"""A minimal OpenAPI 3.0 checker for the Cloudbeds spec: names, types, enums, nullability, `$ref`, `oneOf`.

Strict on purpose: an answer field the schema does not declare is an error (unless the object
declares `additionalProperties` or no properties at all), so a simulator cannot drift from the spec.
The spec is read from `fixtures/cloudbeds-v1.3-subset.yaml`: the operations we use and the schemas
they reference, cut once from the vendor's MIT-licensed file (`subset()` below; a test re-cuts it
from the shared copy, when present, to catch drift). PyYAML comes with uvicorn[standard] (locked).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
# The shared design documents live beside the repository (`../shared/`), never at a machine path.
FULL_SPEC = REPOSITORY_ROOT.parent / "shared" / "reference" / "cloudbeds-openapi" / "pms-v1.3-openapi.yaml"
SUBSET = Path(__file__).parent / "fixtures" / "cloudbeds-v1.3-subset.yaml"
USED_METHODS = (
    "getHotels",
    "getHotelDetails",
    "getRoomTypes",
    "getRatePlans",
    "getTaxesAndFees",
    "getReservation",
    "getReservations",
    "postReservation",
    "putReservation",
    "postWebhook",
    "getWebhooks",
    "deleteWebhook",
)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    """The checked-in subset of the vendor's OpenAPI file."""
    return load(SUBSET)


def resolve(schema: dict[str, Any], document: dict[str, Any] | None = None) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document or spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def subset(full: dict[str, Any], methods: tuple[str, ...] = USED_METHODS) -> dict[str, Any]:
    """The paths for `methods` plus every component schema they reference, without descriptions."""
    paths = {f"/{m}": _strip(full["paths"][f"/{m}"]) for m in methods}
    schemas: dict[str, Any] = {}
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name not in schemas:
            schemas[name] = _strip(full["components"]["schemas"][name])
            pending |= _refs(schemas[name])
    return {
        "openapi": full["openapi"],
        "info": {"title": full["info"]["title"], "version": full["info"]["version"]},
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def operation(method: str) -> dict[str, Any]:
    """The single HTTP operation under `/{method}`."""
    path_item = spec()["paths"][f"/{method}"]
    (verb, op), *_ = ((v, o) for v, o in path_item.items() if v in ("get", "post", "put", "delete"))
    return {"verb": verb, **op}


def response_schema(method: str) -> dict[str, Any]:
    responses = operation(method)["responses"]
    ok = responses.get(200) or responses.get("200")
    return resolve(ok["content"]["application/json"]["schema"])


def query_parameters(method: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation(method).get("parameters", []) if p.get("in") == "query"}


def form_schema(method: str) -> dict[str, Any]:
    body = operation(method)["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    return resolve(body)


def validate(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Every way `value` departs from `schema`, as `path: problem` lines (empty when it conforms)."""
    schema = resolve(schema)
    if value is None:
        return [] if schema.get("nullable") or not schema else [f"{where}: null but not nullable"]
    if "oneOf" in schema:
        if any(not validate(option, value, where) for option in schema["oneOf"]):
            return []
        return [f"{where}: matches none of oneOf"]
    problems = _type_problems(schema.get("type"), value, where)
    if problems:
        return problems
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return [f"{where}: {value!r} is not a date"]
    if isinstance(value, list) and "items" in schema:
        return [p for i, item in enumerate(value) for p in validate(schema["items"], item, f"{where}[{i}]")]
    if isinstance(value, dict):
        return _object_problems(schema, value, where)
    return []


def _type_problems(kind: str | None, value: Any, where: str) -> list[str]:
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float | Decimal) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind is None or checks[kind](value):
        return []
    return [f"{where}: {type(value).__name__} {value!r} is not {kind}"]


def _object_problems(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    problems: list[str] = []
    for key, item in value.items():
        if properties and key in properties:
            problems += validate(properties[key], item, f"{where}.{key}")
        elif isinstance(extra, dict):
            problems += validate(extra, item, f"{where}.{key}")
        elif properties and not extra:
            problems.append(f"{where}.{key}: not declared in the schema")
    return problems
