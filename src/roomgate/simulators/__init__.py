"""Vendor-faithful simulators (Cloudbeds, Mews, Toss, Stripe) with a `/_sim/` control API."""
