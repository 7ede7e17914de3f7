"""The small set of connector errors every vendor failure maps to."""

from __future__ import annotations


class PMSError(Exception):
    """Base class. `vendor_side` marks failures of the vendor (count for the circuit breaker)."""

    vendor_side = False
    retryable = False

    def __init__(
        self, message: str, *, vendor: str = "", hotel_id: str = "", status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.hotel_id = hotel_id
        self.status = status

    def __str__(self) -> str:
        where = f"{self.vendor}/{self.hotel_id}: " if self.vendor else ""
        return f"{where}{self.message}"


class PMSAuthenticationError(PMSError):
    """Credentials missing, wrong or revoked (the message names the hotel, never the key)."""


class PMSNotFound(PMSError):
    """Property, room type or reservation unknown to the PMS."""


class PMSSoldOut(PMSError):
    """The PMS refused: no availability for (part of) the stay."""


class PMSBadRequest(PMSError):
    """The PMS rejected our request as invalid (a bug or bad input; never retried)."""


class PMSRateLimited(PMSError):
    vendor_side = True
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PMSTransientError(PMSError):
    """5xx, connection refused/reset: the vendor is (maybe briefly) broken."""

    vendor_side = True
    retryable = True


class PMSTimeout(PMSError):
    """No answer in time. For writes the outcome is unknown: look it up before retrying."""

    vendor_side = True
    retryable = True


class PMSUnavailable(PMSError):
    """Refused locally: the circuit breaker for this vendor/hotel is open."""

    vendor_side = False
    retryable = False
