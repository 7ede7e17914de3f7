"""A stay: check-in and check-out dates, and the nights between them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from roomgate.domain.errors import DomainError, ErrorCode

DEFAULT_MAX_NIGHTS = 30
# Only the calendar date form; `date.fromisoformat` also takes ISO week dates (2027-W10-1), and
# `\d` would take any script's digits.
DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class Stay:
    check_in: date
    check_out: date

    @classmethod
    def of(cls, check_in: date, check_out: date, *, max_nights: int = DEFAULT_MAX_NIGHTS) -> Stay:
        """Validate and build a stay; check-out must follow check-in, within `max_nights`."""
        if check_out <= check_in:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "체크아웃은 체크인 이후여야 합니다")
        nights = (check_out - check_in).days
        if nights > max_nights:
            raise DomainError(ErrorCode.VALIDATION_ERROR, f"최대 {max_nights}박까지 예약할 수 있습니다")
        return cls(check_in, check_out)

    @classmethod
    def parse(cls, check_in: str, check_out: str, *, max_nights: int = DEFAULT_MAX_NIGHTS) -> Stay:
        return cls.of(
            parse_date(check_in, "checkIn"), parse_date(check_out, "checkOut"), max_nights=max_nights
        )

    @property
    def night_count(self) -> int:
        return (self.check_out - self.check_in).days

    def nights(self) -> Iterator[date]:
        """Each night of the stay, by the date it starts."""
        for offset in range(self.night_count):
            yield self.check_in + timedelta(days=offset)


def parse_date(value: str, field: str) -> date:
    """Parse `YYYY-MM-DD` strictly, naming the field when it is wrong."""
    try:
        if not isinstance(value, str) or not DATE_FORM.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{field} 날짜 형식이 올바르지 않습니다 (YYYY-MM-DD)"
        ) from None


def date_range(start: date, end: date) -> list[date]:
    """Dates from `start` up to but not including `end`."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def ensure_bookable(start: date, end: date, *, earliest: date, latest: date, field: str = "checkIn") -> None:
    """Refuse nights before `earliest` (already past for every hotel) and dates after `latest`
    (beyond how far ahead anything is sold; it also keeps date arithmetic off the calendar's end)."""
    if start < earliest:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{field} — 지난 날짜입니다 ({earliest.isoformat()}부터 가능합니다)"
        )
    if end > latest:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{latest.isoformat()}까지의 날짜만 조회·예약할 수 있습니다"
        )
