"""Use cases: availability, checkout saga, cancellation, recovery. They depend on ports, not adapters."""
