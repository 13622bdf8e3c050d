"""Delivery slot bounds: the formats the merchant API accepts, and the moment each names.

A bound is one of (:data:`SLOT_PATTERN`):

* ``HH:MM`` or ``HH:MM:SS`` - a time on the shipment's ``route_day``;
* ``YYYY-MM-DDTHH:MM[:SS]`` - a local date and time (no route day needed);
* the same with ``Z`` or an offset ``+02:00`` - an exact moment.

Without an offset a bound is read as UTC, as the KPIs and the ``late`` alert
always have.
"""

from __future__ import annotations

from datetime import UTC, datetime

_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"
_STAMP = rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T{_TIME}(Z|[+-][0-9]{{2}}:[0-9]{{2}})?"
SLOT_PATTERN = rf"^$|^{_TIME}$|^{_STAMP}$"
DAY_PATTERN = r"^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def slot_moment(bound: str, route_day: str) -> datetime | None:
    """The moment a slot bound names (aware, UTC when it has no offset), or ``None``
    for an empty or unreadable bound, or a bare time with no route day."""
    bound = bound.strip()
    if not bound:
        return None
    text = bound if "T" in bound else f"{route_day}T{bound}" if route_day else ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def slot_error(slot_start: str, slot_end: str, route_day: str) -> str | None:
    """Why a slot is not usable (the field named), or ``None``."""
    day = route_day or "2000-01-01"  # bare times compare on any one day
    start, end = slot_moment(slot_start, day), slot_moment(slot_end, day)
    for name, value, moment in (("slot_start", slot_start, start), ("slot_end", slot_end, end)):
        if value.strip() and moment is None and "T" in value:
            return f"{name}: {value!r} is not a date and time"
    if start is not None and end is not None and end <= start:
        return f"slot_end: {slot_end!r} is not after slot_start {slot_start!r}"
    return None
