"""Prometheus metrics of the cache and the hold ledger, registered once on the default registry."""

from __future__ import annotations

from prometheus_client import Counter

CACHE_REQUESTS = Counter(
    "roomgate_cache_requests_total",
    "Cache look-ups per key kind (inv, rate, rooms, lkg_inv, lkg_rate, lkg_rooms) and result (hit, miss)",
    ["kind", "result"],
)
SNAPSHOT_WRITES = Counter(
    "roomgate_cache_snapshot_writes_total",
    "PMS snapshot entries offered to the cache: stored, skipped_mutated (local booking newer), skipped_newer",
    ["result"],
)
HOLD_OUTCOMES = Counter(
    "roomgate_holds_total",
    "Hold ledger operations (create, release, convert) by outcome",
    ["operation", "outcome"],
)
INVENTORY_FILLS = Counter(
    "roomgate_inventory_fills_total",
    "Cache fills: pms (PMS read), recheck_hit (another caller/process filled it), fallback_lkg, failed",
    ["outcome"],
)


def count_lookups(kind: str, hits: int, misses: int) -> None:
    """Add a batch of hits and misses for one key kind."""
    if hits:
        CACHE_REQUESTS.labels(kind=kind, result="hit").inc(hits)
    if misses:
        CACHE_REQUESTS.labels(kind=kind, result="miss").inc(misses)
