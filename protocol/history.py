"""A shipment's history as people read it: who did what, when, and why (pure).

Every event of the shipment is one entry, in fold order: the courier's steps,
the depot's reassignments and answers, head office's decisions (lost, found,
resolutions), the merchant's corrections and answers to holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from .events import Event, event_type
from .ledger import hlc_ms
from .lifecycle import sort_events

_FIELDS = ("route_day", "address", "postcode", "city", "slot_start", "slot_end")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of history: ``at_ms`` is the writer's HLC wall time."""

    event_id: str
    kind: str
    hlc: str
    at_ms: int
    who: str
    what: str
    why: str


def _fields(p: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {p[name]}" for name in _FIELDS if p.get(name))


def _what(kind: str, p: Mapping[str, Any]) -> str:
    match kind:
        case "created":
            return "created"
        case "received_at_depot":
            return f"received at depot {p.get('depot_id', '')}"
        case "out_for_delivery":
            return f"out for delivery with courier {p.get('courier_id', '')}"
        case "delivered":
            return f"delivered to {p.get('recipient_name', '')} ({p.get('relation', '')})"
        case "attempt_failed":
            return f"delivery failed: {p.get('reason', '')}"
        case "cod_collected":
            return f"COD collected: {p.get('amount')} {p.get('currency')} by {p.get('method')}"
        case "sender_decision":
            return f"sender decided: {p.get('decision', 'reattempt')} {_fields(p)}".strip()
        case "delivery_changed":
            return f"delivery corrected: {_fields(p)}"
        case "change_requested":
            return f"change requested: {_fields(p)}"
        case "change_answered":
            verdict = "accepted" if p.get("accepted") else "refused"
            return f"change request {p.get('request_id', '')} {verdict}"
        case "reassigned":
            day = f" on {p['route_day']}" if p.get("route_day") else ""
            return f"assigned to courier {p.get('courier_id', '')}{day}"
        case "recipient_request":
            day = f"new day {p['route_day']} " if p.get("route_day") else ""
            return f"the recipient asked: {day}{p.get('instructions', '')}".strip()
        case "marked_lost":
            return f"marked lost, liable: {p.get('liable') or 'not said'}"
        case "found":
            return f"found again at depot {p.get('depot_id', '')}".strip()
        case "handed_to_merchant":
            return f"handed back to the merchant, signed by {p.get('received_by', '')}"
    return kind.replace("_", " ")


def describe(kind: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """``(what, why)`` of an event of type ``kind`` with this (plain) payload."""
    why = next((str(payload[k]) for k in ("reason", "note") if payload.get(k)), "")
    return _what(kind, payload), why


def history(events: Iterable[Event]) -> list[Entry]:
    """Every event of a shipment as an :class:`Entry`, in fold order."""
    out = []
    for e in sort_events(events):
        kind = event_type(e)
        what, why = describe(kind, msgspec.to_builtins(getattr(e, "payload", {})))
        out.append(Entry(e.id, kind, e.hlc, hlc_ms(e.hlc), e.actor, what, why))
    return out
