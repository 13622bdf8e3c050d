"""Periods head office reads figures for: today, yesterday, this week, this month, a range.

Days are calendar days in the operation's time zone (``parcelsync server
--time-zone``). A shipment belongs to the day of its route (``route_day``),
or, before it is routed, the day it was created (its UUIDv7 id carries the
time). A period's reconciliation keeps the shipments of its days, their
returns, and the remittances paid on its days; cash positions (in couriers'
hands, at the desks) and what is open (conflicts, discrepancies) stay as they
are now.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from protocol.ledger import CodLine, hlc_ms
from protocol.reconcile import Reconciliation, Remittance

NAMED = ("today", "yesterday", "week", "month", "range")
PERIOD_WORDS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "week": "This week",
    "month": "This month",
    "range": "Range",
}


@dataclass(frozen=True, slots=True)
class Span:
    """Days ``start`` .. ``end`` (both included); an empty string is an open end."""

    start: str = ""
    end: str = ""

    def holds(self, day: str) -> bool:
        """True when ``day`` (YYYY-MM-DD) falls in the span (an unknown day only in an
        open span)."""
        if not day:
            return not self.start and not self.end
        return (not self.start or day >= self.start) and (not self.end or day <= self.end)

    @property
    def open(self) -> bool:
        return not self.start and not self.end

    def days(self) -> list[str]:
        """Every day of a closed span, in order ([] for an open one)."""
        if not self.start or not self.end:
            return []
        first, last = date.fromisoformat(self.start), date.fromisoformat(self.end)
        return [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def local_day(ms: int, zone: ZoneInfo) -> str:
    """The calendar day of Unix milliseconds ``ms`` in ``zone``."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone).date().isoformat()


def named_span(name: str, today: date) -> Span:
    """``today`` / ``yesterday`` / ``week`` (Monday to today) / ``month`` (the 1st to
    today); ``ValueError`` naming the field otherwise."""
    match name:
        case "today":
            return Span(today.isoformat(), today.isoformat())
        case "yesterday":
            day = (today - timedelta(1)).isoformat()
            return Span(day, day)
        case "week":
            return Span((today - timedelta(today.weekday())).isoformat(), today.isoformat())
        case "month":
            return Span(today.replace(day=1).isoformat(), today.isoformat())
    raise ValueError(f"filter 'period': {name!r} is not one of {', '.join(NAMED)}")


def expand_period(filters: dict[str, str], today: date) -> dict[str, str]:
    """``period=today|...`` as the ``from`` / ``to`` it stands for (``range`` keeps the
    given ones); other filters unchanged, ``period`` dropped."""
    out = {k: v for k, v in filters.items() if k != "period"}
    name = filters.get("period", "")
    if name and name != "range":
        span = named_span(name, today)
        out["from"], out["to"] = span.start, span.end
    return out


def shipment_day(line: CodLine, zone: ZoneInfo) -> str:
    """The day a shipment counts on: its route day, else the day it was created."""
    if line.info.route_day:
        return line.info.route_day
    try:
        made = uuid.UUID(line.doc_id)
    except ValueError:
        made = None
    if made is not None and made.version == 7:
        return local_day(made.int >> 80, zone)
    first = line.state.history[0][0] if line.state.history else ""
    return local_day(hlc_ms(first), zone) if first else ""


def restrict(recon: Reconciliation, span: Span, zone: ZoneInfo) -> Reconciliation:
    """The reconciliation of ``span``'s shipments (see the module docstring)."""
    if span.open:
        return recon
    lines = {d: line for d, line in recon.lines.items() if span.holds(shipment_day(line, zone))}
    return dataclasses.replace(
        recon,
        lines=lines,
        returns=[r for r in recon.returns if r.record.info.shipment_id in lines],
        remittances=[r for r in recon.remittances if span.holds(local_day(hlc_ms(r.hlc), zone))],
    )


def by_day(
    recon: Reconciliation, days: list[str], zone: ZoneInfo
) -> list[tuple[str, Reconciliation]]:
    """The reconciliation of each of ``days`` (each shipment's day computed once)."""
    wanted = set(days)
    buckets: dict[str, dict[str, CodLine]] = {day: {} for day in days}
    for doc_id, line in recon.lines.items():
        day = shipment_day(line, zone)
        if day in wanted:
            buckets[day][doc_id] = line
    paid: dict[str, list[Remittance]] = {day: [] for day in days}
    for r in recon.remittances:
        day = local_day(hlc_ms(r.hlc), zone)
        if day in wanted:
            paid[day].append(r)
    return [
        (
            day,
            dataclasses.replace(
                recon,
                lines=buckets[day],
                returns=[r for r in recon.returns if r.record.info.shipment_id in buckets[day]],
                remittances=paid[day],
            ),
        )
        for day in days
    ]


def recent_days(today: date, count: int = 14) -> list[str]:
    """The ``count`` days up to ``today``, oldest first (a chart's default span)."""
    return [(today - timedelta(n)).isoformat() for n in range(count - 1, -1, -1)]
