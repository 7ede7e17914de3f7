"""Redis adapters: inventory/rate cache, hold ledger (Lua), and the client factory."""
