"""Prometheus metrics of polling sync, reconciliation and alerts."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

POLLS = Counter("roomgate_polls_total", "Polls by outcome", ["vendor", "outcome"])
POLL_CHANGED_NIGHTS = Counter(
    "roomgate_poll_changed_nights_total", "Room-nights whose count or price a poll changed", ["vendor"]
)
POLLING_STOPPED = Counter(
    "roomgate_polling_stopped_total", "Hotels whose polling stopped after consecutive failures", ["vendor"]
)
RECONCILIATION_DRIFT = Gauge(
    "roomgate_reconciliation_drift", "Bookings that differ from the PMS at the last reconciliation", ["kind"]
)
ALERTS = Counter("roomgate_alerts_total", "Alerts raised, by kind and delivery", ["kind", "delivery"])
