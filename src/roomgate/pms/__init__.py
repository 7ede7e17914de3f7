"""PMS connectors: one async interface over Cloudbeds, Mews and whatever comes next."""
