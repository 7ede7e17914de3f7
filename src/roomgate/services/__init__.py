"""Use cases: availability, checkout saga, cancellation, recovery, webhooks, polling.

Storage is reached through ports only: the booking ledger through `booking_ledger.BookingLedger`, the
webhook inbox and room-type rows through the protocols beside their services, so nothing here imports
`roomgate.ledger`. Vendors are reached through the `pms.base` / `payments.base` interfaces. The
availability and fill services still take the Redis cache adapter (`cache.inventory.InventoryCache`)
directly.
"""
