"""Money: Decimal amount plus ISO 4217 currency; integer minor units at the edges, never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents for the currencies we price in; unknown codes are refused.
CURRENCY_EXPONENTS: dict[str, int] = {
    "KRW": 0,
    "JPY": 0,
    "VND": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CNY": 2,
    "THB": 2,
    "SGD": 2,
    "HKD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "TWD": 2,
    "PHP": 2,
    "MYR": 2,
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCY_EXPONENTS:
            raise MoneyError(f"unsupported currency {self.currency!r}")
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise MoneyError("amount must be a finite Decimal")
        quantized = self.amount.quantize(self._quantum(), rounding=ROUND_HALF_UP)
        if quantized != self.amount:
            raise MoneyError(f"{self.amount} has more precision than {self.currency} allows")
        object.__setattr__(self, "amount", quantized)

    def _quantum(self) -> Decimal:
        return Decimal(1).scaleb(-CURRENCY_EXPONENTS[self.currency])

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a decimal amount, rounding half-up to the currency's precision."""
        currency = currency.upper()
        if currency not in CURRENCY_EXPONENTS:
            raise MoneyError(f"unsupported currency {currency!r}")
        try:
            value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
        except InvalidOperation:
            raise MoneyError(f"not a number: {amount!r}") from None
        if not value.is_finite():
            raise MoneyError("amount must be finite")
        quantum = Decimal(1).scaleb(-CURRENCY_EXPONENTS[currency])
        return cls(value.quantize(quantum, rounding=ROUND_HALF_UP), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From integer minor units (KRW has none: 250000 → ₩250,000; USD 1999 → $19.99)."""
        currency = currency.upper()
        if currency not in CURRENCY_EXPONENTS:
            raise MoneyError(f"unsupported currency {currency!r}")
        return cls(Decimal(int(minor)).scaleb(-CURRENCY_EXPONENTS[currency]), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.from_minor(0, currency)

    @property
    def minor(self) -> int:
        """Integer minor units, exact."""
        return int(self.amount.scaleb(CURRENCY_EXPONENTS[self.currency]))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum in one currency (zero when empty)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
