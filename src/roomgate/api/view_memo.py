"""Serve a warm availability answer again without building it again.

A warm answer is one Redis read turned into JSON. Turning it into JSON (decoding ~90 room-nights,
FastAPI's parameter handling, encoding) cost this process several times what the read costs Redis.
So each process keeps the bytes it last sent for a URL, with what they depend on (`ViewStamp`, which
the availability service gives an answer built from one warm read): the hotel's view version
(`ver:{hotel}`, changed atomically by every write an availability read could see) and the moment
the first thing they show expires (a fresh copy's TTL or an active hold's).

A request for a remembered URL costs one round trip: the service's `revalidate`, the same read told
the version it rendered. Unchanged: the bytes are sent again (only `ageSeconds` is recomputed);
changed: the same call made the full read, which the service keeps for this request's own read, so
the request is still one round trip. Past `valid_until` nothing is asked: the route runs. An entry is
only made from an answer the service built entirely from the cache (`source: "cache"`), never from
a PMS fill or a last-known-good fallback, and only for a 200 answer. Routes and the service's read
methods know nothing of this: it wraps the app, and asks the service only through `traced` and
`revalidate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomgate.services.availability import AvailabilityService
from roomgate.services.availability_models import ViewStamp

_AGE_KEY = b'"ageSeconds":'
_JSON_HEADERS = [(b"content-type", b"application/json")]
# Only the availability routes (GET /api/hotels/...) are answered from one warm read and remembered;
# every other GET (metrics, health, docs, admin) passes straight through.
MEMO_PATH_PREFIX = "/api/hotels/"

MEMO_LOOKUPS = Counter(
    "roomgate_response_memo_total",
    "Remembered availability answers: hit (served again), changed (the hotel's view version moved), "
    "expired (something shown expired), error (Redis failed; the route answered).",
    ["outcome"],
)
_OUTCOME_LABEL = {"current": "hit", "changed": "changed", "expired": "expired", "error": "error"}


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


def split_at_age(body: bytes) -> tuple[bytes, bytes] | None:
    """The JSON before and after the value of its top-level `ageSeconds` (the first one: the
    answers render it before their nights; a key inside a string would be escaped), or None."""
    head, key, rest = body.partition(_AGE_KEY)
    if not key:
        return None
    ends = [i for i in (rest.find(b","), rest.find(b"}")) if i >= 0]
    if not ends:
        return None
    return head + key, rest[min(ends) :]


class ServeMemoized:
    """ASGI middleware: answer a remembered GET from its entry after one version check in Redis;
    remember a 200 answer the availability service built from one warm read."""

    def __init__(self, app: ASGIApp, memo: ViewMemo) -> None:
        self.app = app
        self.memo = memo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(MEMO_PATH_PREFIX)
            or self.memo.max_entries <= 0
        ):
            await self.app(scope, receive, send)
            return
        availability: AvailabilityService = scope["app"].state.container.availability
        key = (scope["path"], scope["query_string"])
        entry = self.memo.get(key)
        with availability.traced() as trace:
            if entry is not None:
                check = await availability.revalidate(entry.stamp)
                MEMO_LOOKUPS.labels(outcome=_OUTCOME_LABEL[check.outcome]).inc()
                if check.current:
                    scope["route"] = entry.route
                    await _send_json(send, entry.body(check.checked_at))
                    return
                self.memo.drop(key)
            answer = _Captured(send)
            await self.app(scope, receive, answer.send)
            if trace.stamp is not None and answer.status == 200:
                parts = split_at_age(b"".join(answer.chunks))
                if parts is not None:
                    self.memo.put(key, MemoEntry(trace.stamp, *parts, route=scope.get("route")))


class _Captured:
    """Passes an answer on, keeping its status and body."""

    __slots__ = ("chunks", "send_on", "status")

    def __init__(self, send: Send) -> None:
        self.send_on = send
        self.status = 0
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
        await self.send_on(message)


async def _send_json(send: Send, body: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
