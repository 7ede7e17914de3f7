"""The webhook queue: one Redis Stream read by one consumer group (at-least-once, acknowledged,
a dead consumer's messages taken over with XAUTOCLAIM). A message only carries the inbox row id;
the row in `webhook_event` is the truth.

The in-process Redis (fakeredis) ignores `BLOCK`, so a read that comes back empty at once waits on
a local wake-up (set by an enqueue in the same process) or a short poll instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

STREAM_KEY = "webhooks:events"
GROUP = "roomgate-webhooks"
# Trimmed approximately: acknowledged history is not needed, the inbox keeps everything.
MAX_LENGTH = 100_000
IDLE_POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class StreamMessage:
    message_id: str
    row_id: int


class WebhookStream:
    def __init__(self, redis: aioredis.Redis, *, key: str = STREAM_KEY, group: str = GROUP) -> None:
        self.redis = redis
        self.key = key
        self.group = group
        self.wakeup = asyncio.Event()  # set by `add`, so a consumer in this process reads at once

    async def ensure_group(self) -> None:
        """Create the stream and its group if missing (after a Redis flush too); idempotent."""
        try:
            await self.redis.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def add(self, row_id: int) -> str:
        message_id = await self.redis.xadd(
            self.key, {"row": str(row_id)}, maxlen=MAX_LENGTH, approximate=True
        )
        self.wakeup.set()
        return str(message_id)

    async def read(self, consumer: str, *, count: int = 50, block_ms: int = 1000) -> list[StreamMessage]:
        """New messages for this consumer (they stay pending until acknowledged)."""
        started = time.monotonic()
        self.wakeup.clear()
        reply = await self._group_call(
            lambda: self.redis.xreadgroup(
                self.group, consumer, {self.key: ">"}, count=count, block=block_ms or None
            )
        )
        messages = [m for _stream, entries in reply or [] for m in _messages(entries)]
        if not messages and block_ms and time.monotonic() - started < block_ms / 2000:
            # The server did not block (the in-process Redis): wait for a local enqueue or a poll.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=min(IDLE_POLL_SECONDS, block_ms / 1000))
        return messages

    async def take_over(self, consumer: str, *, min_idle_ms: int, count: int = 50) -> list[StreamMessage]:
        """Messages another consumer read but did not acknowledge for `min_idle_ms` (it died)."""
        reply = await self._group_call(
            lambda: self.redis.xautoclaim(
                self.key, self.group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
            )
        )
        entries = reply[1] if reply else []
        return list(_messages(entries))

    async def ack(self, message_id: str) -> None:
        await self.redis.xack(self.key, self.group, message_id)

    async def backlog(self) -> int:
        """Messages of the group not yet acknowledged: delivered-but-pending plus never delivered.
        0 also when the stream or the group is gone (Redis flushed)."""
        try:
            groups = await self.redis.xinfo_groups(self.key)
        except ResponseError:
            return 0
        group = next((g for g in groups if g.get("name") == self.group), None)
        if group is None:
            return 0
        lag = group.get("lag")
        if lag is None:  # Redis cannot count it (entries deleted): compare the last ids instead
            info = await self.redis.xinfo_stream(self.key)
            lag = int(str(info.get("last-generated-id")) != str(group.get("last-delivered-id")))
        return int(group.get("pending") or 0) + int(lag)

    async def pending(self) -> int:
        """Messages read but not acknowledged."""
        try:
            summary = await self.redis.xpending(self.key, self.group)
        except ResponseError:
            return 0
        return int(summary["pending"])

    async def _group_call(self, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except ResponseError as exc:
            # Redis answers NOGROUP; the in-process Redis words a missing stream differently.
            if "NOGROUP" not in str(exc) and "requires the key to exist" not in str(exc):
                raise
        await self.ensure_group()  # Redis lost the stream: the sweeper re-enqueues from the inbox
        return await call()


def _messages(entries: list[tuple[str, dict[str, str]]] | None) -> list[StreamMessage]:
    found = []
    for message_id, fields in entries or []:
        if not fields:  # deleted by trimming while pending
            continue
        try:
            found.append(StreamMessage(str(message_id), int(fields["row"])))
        except (KeyError, ValueError):  # not ours: handed out as row -1, acknowledged and dropped
            found.append(StreamMessage(str(message_id), -1))
    return found
