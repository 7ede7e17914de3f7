"""Use cases: availability, checkout saga, cancellation, recovery, webhooks, polling.

Storage is reached through ports only: the booking ledger through `booking_ledger.BookingLedger`, the
webhook inbox and room-type rows through the protocols beside their services, so nothing here imports
the SQL adapters (`ledger/`). Vendors are reached through the `pms.base` / `payments.base` interfaces. The
Redis side is not behind ports yet: availability, fills, webhooks and `adapters.py` use `roomgate.cache`
types (the inventory cache, fill lease, webhook stream) directly.
"""
