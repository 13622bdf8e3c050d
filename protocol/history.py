"""A shipment's history as people read it: who did what, when, and why (pure).

Every event of the shipment is one entry, in fold order: the courier's steps,
the depot's reassignments and answers, head office's decisions (lost, found,
resolutions), the merchant's corrections and answers to holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from .events import DeliveryFields, Event, event_type
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


def _fields(body: DeliveryFields) -> str:
    return ", ".join(f"{name} {getattr(body, name)}" for name in _FIELDS if getattr(body, name))


def _what(kind: str, p: Any) -> str:
    match kind:
        case "created":
            return "created"
        case "received_at_depot":
            return f"received at depot {p.depot_id}"
        case "out_for_delivery":
            return f"out for delivery with courier {p.courier_id}"
        case "delivered":
            return f"delivered to {p.recipient_name} ({p.relation})"
        case "attempt_failed":
            return f"delivery failed: {p.reason}"
        case "cod_collected":
            return f"COD collected: {p.amount} {p.currency} by {p.method}"
        case "sender_decision":
            return f"sender decided: {p.decision} {_fields(p)}".strip()
        case "delivery_changed":
            return f"delivery corrected: {_fields(p)}"
        case "change_requested":
            return f"change requested: {_fields(p)}"
        case "change_answered":
            verdict = "accepted" if p.accepted else "refused"
            return f"change request {p.request_id} {verdict}"
        case "reassigned":
            day = f" on {p.route_day}" if p.route_day else ""
            return f"reassigned to courier {p.courier_id}{day}"
        case "marked_lost":
            return f"marked lost, liable: {p.liable or 'not said'}"
        case "found":
            return f"found again at depot {p.depot_id}".strip()
        case "handed_to_merchant":
            return f"handed back to the merchant, signed by {p.received_by}"
    return kind.replace("_", " ")


def _why(p: Any) -> str:
    for name in ("reason", "note"):
        value = getattr(p, name, "")
        if isinstance(value, str) and value:
            return value
    return ""


def history(events: Iterable[Event]) -> list[Entry]:
    """Every event of a shipment as an :class:`Entry`, in fold order."""
    out = []
    for e in sort_events(events):
        payload = getattr(e, "payload", msgspec.Struct())
        kind = event_type(e)
        out.append(
            Entry(e.id, kind, e.hlc, hlc_ms(e.hlc), e.actor, _what(kind, payload), _why(payload))
        )
    return out
