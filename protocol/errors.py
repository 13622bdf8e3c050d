"""Errors raised by the pure protocol layer.

ProtocolError
 ├── InvalidMoney          amount not an integer of minor units, unknown currency
 │    └── CurrencyMismatch  arithmetic across two currencies
 ├── InvalidEvent          an event that does not decode or breaks a field rule
 ├── UnsupportedVersion    a peer speaks a protocol or schema version we do not
 └── InvalidTrackingNumber malformed tracking number or wrong check digit
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base of every error raised by ``protocol``; ``code`` is machine-readable."""

    code = "protocol_error"


class InvalidMoney(ProtocolError):
    code = "invalid_money"


class CurrencyMismatch(InvalidMoney):
    code = "currency_mismatch"


class InvalidEvent(ProtocolError):
    code = "invalid_event"


class UnsupportedVersion(ProtocolError):
    code = "unsupported_version"


class InvalidTrackingNumber(ProtocolError):
    code = "invalid_tracking_number"
