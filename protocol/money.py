"""Money: integer minor units plus an ISO 4217 currency code. No floats.

Yjs stores numbers as float64, so values read back from a document pass
through :func:`minor_units` which accepts only exact integers.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from .errors import CurrencyMismatch, InvalidMoney

# ISO 4217 codes we settle in, with their minor-unit exponent.
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "TRY": 2,
    "AED": 2,
    "SAR": 2,
    "EGP": 2,
    "MAD": 2,
    "INR": 2,
    "PKR": 2,
    "IDR": 2,
    "PHP": 2,
    "MYR": 2,
    "THB": 2,
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "BRL": 2,
    "MXN": 2,
    "COP": 2,
    "CLP": 0,
    "ZAR": 2,
    "NGN": 2,
    "KES": 2,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "TND": 3,
}

MAX_MINOR_UNITS = 2**53 - 1  # exactly representable in a Yjs float64


def minor_units(value: Any, field: str = "amount") -> int:
    """An exact integer amount from ``value`` (int, or integral float from Yjs)."""
    if isinstance(value, bool):
        raise InvalidMoney(f"{field}: expected integer minor units, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidMoney(f"{field}: {value!r} is not a whole number of minor units")
        value = int(value)
    if not isinstance(value, int):
        raise InvalidMoney(f"{field}: expected integer minor units, got {type(value).__name__}")
    if abs(value) > MAX_MINOR_UNITS:
        raise InvalidMoney(f"{field}: {value} is out of range")
    return value


def check_currency(code: str, field: str = "currency") -> str:
    """Return ``code`` if it is a supported ISO 4217 code."""
    if code not in CURRENCY_EXPONENTS:
        raise InvalidMoney(f"{field}: {code!r} is not a supported ISO 4217 currency code")
    return code


class Money(msgspec.Struct, frozen=True):
    """An amount in minor units (cents) of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # Store the validated int: an integral float from Yjs (1250.0) must not
        # survive as a float (format() and arithmetic would break on it).
        msgspec.structs.force_setattr(self, "amount", minor_units(self.amount))
        check_currency(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}: convert first"
            )

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls(0, currency)

    def format(self) -> str:
        """Human text, e.g. ``EUR 12.50``."""
        exp = CURRENCY_EXPONENTS[self.currency]
        if exp == 0:
            return f"{self.currency} {self.amount}"
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{self.currency} {sign}{whole}.{frac:0{exp}d}"


def parse_amount(text: str, currency: str) -> int:
    """``"12.50"`` in ``currency`` as integer minor units (through ``Decimal``, no floats)."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    try:
        value = Decimal(text.strip()) * (10**exponent)
    except InvalidOperation:
        raise InvalidMoney(f"{text!r} is not an amount (like 12.50)") from None
    if value != value.to_integral_value():
        raise InvalidMoney(f"{text!r} has more than {exponent} decimals for {currency}")
    return minor_units(int(value))


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum of ``amounts``; every one must be in ``currency``."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
