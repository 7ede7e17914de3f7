"""Payment gateways: authorize, capture, void, refund — Toss, Stripe and a sandbox."""
