"""The always-on alert sink: one ERROR log line per alert (other sinks add delivery on top)."""

from __future__ import annotations

from roomgate.logging import get_logger

log = get_logger("roomgate.alerts")


class LogAlerts:
    async def alert(self, kind: str, key: str, message: str, **details: str | int | float | None) -> None:
        log.error("alert", alert=kind, key=key, message=message, **details)
