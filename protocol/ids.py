"""Identifiers: UUIDv7 for documents and events, S10-style tracking numbers.

Tracking numbers follow the UPU S10 layout (``PS`` + 8 digits + check digit +
country), so a mistyped digit on a handheld is caught before any lookup.
"""

from __future__ import annotations

import re
import uuid

import uuid6

from .errors import InvalidTrackingNumber

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_TRACKING_RE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
# The canonical form ``str(uuid.UUID(...))`` gives: lowercase hex, hyphenated.
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_id() -> str:
    """A fresh time-ordered UUIDv7, as its canonical string."""
    return str(uuid6.uuid7())


def is_uuid(value: str) -> bool:
    """True when ``value`` is a canonical UUID string."""
    return isinstance(value, str) and _UUID_RE.fullmatch(value) is not None


def named_id(*parts: str) -> str:
    """A deterministic UUID for an object every node must name the same way.

    A courier's cash book for a day is created offline on the handheld and at
    the depot; both must land on the same document, so its id is derived.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "parcelsync:" + "/".join(parts)))


def courier_book_id(courier_id: str, day: str) -> str:
    """The id every node gives a courier's cash book of one day."""
    return named_id("cashbook", courier_id, day)


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of an 8-digit serial."""
    if len(serial) != 8 or not serial.isdigit():
        raise InvalidTrackingNumber(f"serial must be 8 digits, got {serial!r}")
    total = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def make_tracking_number(serial_number: int, prefix: str = "PS", country: str = "NL") -> str:
    """Tracking number for a serial in 0..99,999,999, with its check digit."""
    if not 0 <= serial_number <= 99_999_999:
        raise InvalidTrackingNumber(f"serial {serial_number} is outside 0..99999999")
    serial = f"{serial_number:08d}"
    return f"{prefix}{serial}{s10_check_digit(serial)}{country}"


def validate_tracking_number(value: str) -> str:
    """Return ``value`` upper-cased if it is well formed with a correct check digit."""
    normalized = value.strip().upper()
    match = _TRACKING_RE.match(normalized)
    if match is None:
        raise InvalidTrackingNumber(
            f"{value!r} is not a tracking number (expected like PS123456785NL)"
        )
    if s10_check_digit(match.group(2)) != int(match.group(3)):
        raise InvalidTrackingNumber(f"{value!r} has a wrong check digit: mistyped?")
    return normalized
