"""Count what a Redis client puts on the wire: one `send_packed_command` is one round trip.

It wraps the library's connection method (not our code), so it sees every path alike: redis-py's
own command packing, pipelines, and `cache/packed_script.py`'s pre-encoded EVALSHA.
"""

from __future__ import annotations

from typing import Any


class WireCounter:
    """Round trips of one client from now on; each is the list of command names it carried."""

    def __init__(self, redis: Any) -> None:
        from tests.conftest import skip_on_cluster

        skip_on_cluster(redis, "counts round trips on one server's connection pool")
        self.round_trips: list[list[str]] = []
        self._wrapped: set[int] = set()
        pool = redis.connection_pool
        get_connection = pool.get_connection

        async def counted_connection(*args: Any, **kwargs: Any) -> Any:
            connection = await get_connection(*args, **kwargs)
            if id(connection) not in self._wrapped:
                self._wrap(connection)
            return connection

        pool.get_connection = counted_connection

    @property
    def commands(self) -> list[str]:
        """Every command sent, in order (a pipeline's commands count one by one)."""
        return [name for trip in self.round_trips for name in trip]

    def _wrap(self, connection: Any) -> None:
        self._wrapped.add(id(connection))
        send = connection.send_packed_command

        async def counted_send(command: Any, check_health: bool = True) -> None:
            self.round_trips.append(command_names(command))
            await send(command, check_health)

        connection.send_packed_command = counted_send


def command_names(command: bytes | str | list[bytes]) -> list[str]:
    """The names (first bulk string) of the RESP commands in one packed send."""
    if isinstance(command, str):
        data = command.encode()
    elif isinstance(command, bytes):
        data = command
    else:
        data = b"".join(bytes(part) for part in command)
    names: list[str] = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        count, pos = int(data[pos + 1 : end]), end + 2
        for index in range(count):
            end = data.index(b"\r\n", pos)
            size, pos = int(data[pos + 1 : end]), end + 2
            if index == 0:
                names.append(data[pos : pos + size].decode().upper())
            pos += size + 2
    return names
