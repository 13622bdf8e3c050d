"""Table filters: plain strings, checked by name, applied to rows by column."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from protocol.ledger import hlc_ms
from protocol.statement import Period

from .periods import NAMED, local_day
from .rows import Rows
from .tables import Spec
from .views import Cell


def check_filters(name: str, spec: Spec, filters: dict[str, str]) -> None:
    """``ValueError`` naming the first filter ``name`` does not accept, a bad choice or date."""
    for key, value in filters.items():
        if key == "period" and "from" in spec.filters:
            if value not in NAMED:
                raise ValueError(f"filter 'period': {value!r} is not one of {', '.join(NAMED)}")
            continue
        if key not in spec.filters:
            allowed = ", ".join(sorted(spec.filters)) or "none"
            raise ValueError(
                f"filter {key!r} is not accepted by table {name!r} (accepted: {allowed})"
            )
        choices = spec.choices.get(key)
        if choices is not None and value not in choices:
            raise ValueError(f"filter {key!r}: {value!r} is not one of {', '.join(choices)}")
        if key in ("from", "to") and value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"filter {key!r}: {value!r} is not a date YYYY-MM-DD") from None
    start, end = filters.get("from", ""), filters.get("to", "")
    if start and end and start > end:
        raise ValueError(f"filter 'from' ({start}) is after 'to' ({end})")


def period_of(filters: dict[str, str]) -> Period:
    """The statement period named by the ``from`` / ``to`` filters (open ends allowed)."""
    return Period(filters.get("from", ""), filters.get("to", ""))


UTC_ZONE = ZoneInfo("UTC")


def cell_day(value: Cell, zone: ZoneInfo = UTC_ZONE) -> str:
    """The day in ``zone`` of a cell: an HLC timestamp, Unix milliseconds or a day string."""
    if isinstance(value, int | float):
        return local_day(int(value), zone)
    if not value:
        return ""
    return local_day(hlc_ms(value), zone) if "." in value else value[:10]


def apply_filters(
    spec: Spec, rows: Rows, filters: dict[str, str], zone: ZoneInfo = UTC_ZONE
) -> Rows:
    """Rows whose filtered columns match: equality, or a day range for ``from`` / ``to``."""
    position = {column.name: i for i, column in enumerate(spec.columns)}
    kept = rows
    for key, value in filters.items():
        column = spec.filters[key]
        if not value or not column:
            continue
        i = position[column]
        if key == "from":
            kept = [r for r in kept if (d := cell_day(r[i], zone)) and d >= value]
        elif key == "to":
            kept = [r for r in kept if (d := cell_day(r[i], zone)) and d <= value]
        else:
            kept = [r for r in kept if str(r[i] if r[i] is not None else "") == value]
    return kept
