"""roomgate: PMS integration layer."""
