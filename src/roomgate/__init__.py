"""roomgate: PMS integration layer."""

__version__ = "0.1.0"
