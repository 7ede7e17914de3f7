"""HTTP entry points (FastAPI routers); HTTP concerns only, the work happens in services/."""
