"""Process-wide Prometheus metrics that belong to no single adapter (HTTP edge, checkouts)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("roomgate_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "roomgate_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECKOUTS = Counter(
    "roomgate_checkouts_total",
    "Checkout outcomes: confirmed, or the error code of a refusal (before the saga, e.g. SERVICE_DEGRADED) "
    "or of a failed saga",
    ["outcome"],
)
CANCELLATIONS = Counter(
    "roomgate_cancellations_total",
    "Cancellations of confirmed bookings: cancelled, or incomplete (PMS or refund failed; retried)",
    ["outcome"],
)
CHECKOUT_LATENCY = Histogram(
    "roomgate_checkout_seconds", "Checkout saga duration", buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)
PRICE_MISMATCHES = Counter(
    "roomgate_price_mismatches_total",
    "PMS totals read back after a reservation that differ from the pre-authorised amount, by outcome: "
    "captured_pms_amount (within tolerance), compensated, or unverified (the PMS reported no total)",
    ["outcome"],
)
COMPENSATIONS = Counter("roomgate_compensations_total", "Saga compensation steps", ["step", "result"])
RECOVERIES = Counter("roomgate_recovered_bookings_total", "Bookings finished by recovery", ["outcome"])
RECOVERY_BACKLOG = Gauge(
    "roomgate_recovery_backlog",
    "Unfinished bookings past the recovery deadline found by the last recovery round, by what became of them",
    ["outcome"],
)
WEBHOOK_RECEIVED = Counter(
    "roomgate_webhooks_received_total", "Webhook deliveries by vendor and intake result", ["vendor", "result"]
)
WEBHOOK_EVENTS = Counter(
    "roomgate_webhook_events_total", "Webhook events handled by consumers", ["vendor", "outcome"]
)
