"""Process-wide Prometheus metrics that belong to no single adapter (HTTP edge, checkouts)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("roomgate_http_requests_total", "HTTP requests served", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "roomgate_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CHECKOUTS = Counter("roomgate_checkouts_total", "Checkout outcomes", ["outcome"])
CHECKOUT_LATENCY = Histogram(
    "roomgate_checkout_seconds", "Checkout saga duration", buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
)
COMPENSATIONS = Counter("roomgate_compensations_total", "Saga compensation steps", ["step", "result"])
RECOVERIES = Counter("roomgate_recovered_bookings_total", "Bookings finished by recovery", ["outcome"])
WEBHOOK_RECEIVED = Counter(
    "roomgate_webhooks_received_total", "Webhook deliveries by vendor and intake result", ["vendor", "result"]
)
WEBHOOK_EVENTS = Counter(
    "roomgate_webhook_events_total", "Webhook events handled by consumers", ["vendor", "outcome"]
)
