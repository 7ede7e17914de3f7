"""Serve a warm availability answer again without building it again.

A warm answer is one Redis read turned into JSON. Turning it into JSON (decoding ~90 room-nights,
FastAPI's parameter handling, encoding) cost this process several times what the read costs Redis.
So each process keeps the bytes it last sent for a URL, with what they depend on (`ViewStamp`): the
hotel's view version (`ver:{hotel}`, changed atomically by every write an availability read could
see) and the moment the first thing they show expires (a fresh copy's TTL or an active hold's).

A request for a remembered URL costs one round trip, the same read script told the version it
rendered: when the version is unchanged Redis answers `=` and the bytes are sent again (only
`ageSeconds` is recomputed); otherwise the same call returns the full read, which the route then
uses, so the request is still one round trip. Past `valid_until` nothing is asked: the route runs.
An entry is only made from a read served entirely from the cache (`source: "cache"`), never from a
PMS fill or a last-known-good fallback, and only for a 200 answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from prometheus_client import Counter
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from roomgate.cache.grid_read import HotelRead
from roomgate.cache.metrics import count_lookups
from roomgate.cache.ttl import to_ms
from roomgate.services.availability_models import ViewStamp

# Rendered in place of `ageSeconds`, then cut out: the only part of a remembered answer that moves.
AGE_SLOT = "\x00age\x00"
_AGE_SLOT_JSON = json.dumps(AGE_SLOT).encode()
_JSON_HEADERS = [(b"content-type", b"application/json")]
PREFETCHED = "roomgate_prefetched_read"  # request.state key: the read a failed revalidation made

MEMO_LOOKUPS = Counter(
    "roomgate_response_memo_total",
    "Remembered availability answers: hit (served again), changed (the hotel's view version moved), "
    "expired (something shown expired), error (Redis failed; the route answered).",
    ["outcome"],
)


@dataclass(frozen=True, slots=True)
class MemoEntry:
    stamp: ViewStamp
    head: bytes  # the JSON before the value of ageSeconds
    tail: bytes  # and after it
    route: Any  # the route that rendered it (its path labels the request metrics)

    def body(self, now: float) -> bytes:
        oldest = self.stamp.oldest_read
        age = 0.0 if oldest is None else round(max(0.0, now - oldest), 1)
        return self.head + repr(age).encode() + self.tail


class ViewMemo:
    """Per process: URL (path, raw query) → the last answer sent, at most `max_entries` (oldest out)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple[str, bytes], MemoEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, bytes]) -> MemoEntry | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, bytes], entry: MemoEntry) -> None:
        if self.max_entries <= 0:
            return
        self._entries.pop(key, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = entry

    def drop(self, key: tuple[str, bytes]) -> None:
        self._entries.pop(key, None)


def respond(
    request: Request, content: dict[str, Any], age_seconds: float, stamp: ViewStamp | None
) -> Response:
    """The JSON answer (`content` holds AGE_SLOT where ageSeconds goes), remembered when `stamp` says
    it came from one warm read."""
    rendered = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    head, slot, tail = rendered.partition(_AGE_SLOT_JSON)
    if not slot:
        raise ValueError("the answer has no ageSeconds slot")
    body = head + repr(round(age_seconds, 1)).encode() + tail
    memo: ViewMemo | None = getattr(request.app.state, "view_memo", None)
    if stamp is not None and memo is not None:
        scope = request.scope
        memo.put((scope["path"], scope["query_string"]), MemoEntry(stamp, head, tail, scope.get("route")))
    return Response(body, media_type="application/json")


def prefetched_read(request: Request) -> HotelRead | None:
    """The read a failed revalidation already made for this request (None: there was none)."""
    read: HotelRead | None = request.scope.get("state", {}).get(PREFETCHED)
    return read


class ServeMemoized:
    """ASGI middleware: answer a remembered GET from its entry after one version check in Redis."""

    def __init__(self, app: ASGIApp, memo: ViewMemo) -> None:
        self.app = app
        self.memo = memo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = None
        if scope["type"] == "http" and scope["method"] == "GET":
            key = (scope["path"], scope["query_string"])
            entry = self.memo.get(key)
        if entry is None:
            await self.app(scope, receive, send)
            return
        container = scope["app"].state.container
        now = container.clock.now()
        stamp = entry.stamp
        outcome = "expired"
        if to_ms(now) < stamp.valid_until_ms:
            try:
                read = await container.inventory.read_hotel(
                    stamp.hotel_id, stamp.room_type_ids, stamp.nights, expect_version=stamp.version
                )
            except RedisError:
                outcome = "error"
            else:
                if read.unchanged:
                    MEMO_LOOKUPS.labels(outcome="hit").inc()
                    _count_hits(stamp.room_type_ids, stamp.nights)
                    scope["route"] = entry.route
                    await _send_json(send, entry.body(now))
                    return
                outcome = "changed"
                scope.setdefault("state", {})[PREFETCHED] = read
        MEMO_LOOKUPS.labels(outcome=outcome).inc()
        self.memo.drop(key)
        await self.app(scope, receive, send)


def _count_hits(room_type_ids: Sequence[str], nights: Sequence[date]) -> None:
    # Served again after Redis confirmed every copy unchanged: the cache answered them all.
    cells = len(room_type_ids) * len(nights)
    count_lookups("rooms", 1, 0)
    count_lookups("inv", cells, 0)
    count_lookups("rate", cells, 0)


async def _send_json(send: Send, body: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
