"""Resilience around vendor calls: circuit breaker, retry, outbound rate limit, degraded mode.

`roomgate.resilience.wiring.Resilience.create(...)` wires them together; `ResilientConnector` wraps a
`PMSConnector` so every call goes through all of them.
"""
