"""The SQL ledger: bookings, their audit trail, listings, PMS configuration, inbox and idempotency."""
