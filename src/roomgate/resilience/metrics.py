"""Prometheus metrics of the resilience layer (breaker, degraded mode, PMS calls)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BREAKER_STATE = Gauge(
    "roomgate_breaker_state",
    "Circuit breaker state per vendor and hotel (0 closed, 1 half-open, 2 open), as this process last saw it",
    ["vendor", "hotel"],
)
BREAKER_TRANSITIONS = Counter(
    "roomgate_breaker_transitions_total",
    "Circuit breaker state changes observed by this process",
    ["vendor", "hotel", "from_state", "to_state"],
)
DEGRADED = Gauge(
    "roomgate_degraded",
    '1 while degraded (read-only) mode is on for a hotel; hotel="global" for the whole service',
    ["hotel"],
)
PMS_REQUEST_SECONDS = Histogram(
    "roomgate_pms_request_seconds",
    "Latency of PMS calls that reached the vendor, per attempt",
    ["vendor", "method", "outcome"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
PMS_ERRORS = Counter(
    "roomgate_pms_errors_total",
    "Failed PMS call attempts, including calls refused locally (breaker open, rate limit)",
    ["vendor", "method", "error"],
)
