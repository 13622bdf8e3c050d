"""Times on the tracking page: in the depot's zone, in the reader's language, the slot in words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from .track_words import PAGE


def event_time(received_ms: int | None, zone: ZoneInfo, lang: str) -> str:
    """When central received an event (never the writer's HLC: a handheld's clock
    may be hours off), e.g. ``4 декабря 2026, 15:05``; empty when not recorded."""
    if received_ms is None:
        return ""
    moment = dt.datetime.fromtimestamp(received_ms / 1000, dt.UTC)
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=zone, locale=lang)


def _part(value: str, zone: ZoneInfo) -> tuple[dt.date | None, str]:
    """``(day, HH:MM)`` of a slot bound: ``10:00`` (the depot's wall clock), a local
    ``2026-12-05T10:00``, or one with an offset (converted to the depot's zone)."""
    value = value.strip()
    if "T" not in value:
        return None, value[:5]
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None, value
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date(), moment.strftime("%H:%M")


def slot_in_words(start: str, end: str, route_day: str, zone: ZoneInfo, lang: str) -> str:
    """``Friday 5 December, between 10:00 and 12:00`` in ``lang``; '' without a slot."""
    words = PAGE[lang]
    day_a, a = _part(start, zone) if start.strip() else (None, "")
    day_b, b = _part(end, zone) if end.strip() else (None, "")
    if a and b:
        span = words["between"].format(start=a, end=b)
    elif a or b:
        span = words["from"].format(start=a) if a else words["by"].format(end=b)
    else:
        return ""
    day = day_a or day_b
    if day is None and route_day:
        try:
            day = dt.date.fromisoformat(route_day)
        except ValueError:
            day = None
    return f"{format_date(day, 'EEEE d MMMM', locale=lang)}, {span}" if day else span
