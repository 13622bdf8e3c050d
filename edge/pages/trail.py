"""Who did what, and when, as the desk pages show it beside each record.

Every depot event names its person (``<depot device>/<staff>``, see
:meth:`edge.context.EdgeContext.acting_as`); the desks show the staff part,
and the time as an age read from the event's HLC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from protocol.errors import ProtocolError
from protocol.events import Event, event_type
from protocol.hlc import Timestamp

from .site import age_text

WHAT: dict[str, str] = {
    "received_at_depot": "scanned in at the depot",
    "reassigned": "put on a route",
    "out_for_delivery": "out for delivery",
    "requested": "return requested",
    "picked_up": "picked up from the customer",
    "received": "received at the returns desk",
    "inspected": "items graded",
    "restocked": "units restocked",
    "dispatched": "dispatched",
    "refunded": "refunded",
    "sent_back": "sent back to the merchant",
    "counted_at_depot": "counted at the desk",
    "deposited": "deposited at the bank",
}


@dataclass(frozen=True, slots=True)
class Deed:
    """One recorded action: what, by whom, how long ago."""

    what: str
    who: str
    when: str


def person(actor: str, device_id: str) -> str:
    """The staff member of ``actor`` at this depot node, else ``actor`` as recorded."""
    prefix = f"{device_id}/"
    if actor.startswith(prefix):
        return actor[len(prefix) :]
    return "this depot node" if actor == device_id else actor


def ago(hlc: str, now_ms: int) -> str:
    """How long ago the HLC ``hlc`` was stamped (``"?"`` for one that does not parse)."""
    try:
        wall = Timestamp.decode(hlc).wall_ms
    except ProtocolError:
        return "?"
    return age_text((now_ms - wall) / 1000)


def record(kind: str, actor: str, hlc: str, device_id: str, now_ms: int) -> Deed:
    """A ``kind`` event by ``actor`` stamped ``hlc`` as a line of a history."""
    what = WHAT.get(kind, kind.replace("_", " "))
    return Deed(what, person(actor, device_id), ago(hlc, now_ms))


def deed(event: Event, device_id: str, now_ms: int) -> Deed:
    """``event`` as a line of a history."""
    return record(event_type(event), event.actor, event.hlc, device_id, now_ms)


def history(events: Iterable[Event], device_id: str, now_ms: int) -> list[Deed]:
    """The events in fold order as lines, newest first."""
    ordered = sorted(events, key=lambda e: e.sort_key, reverse=True)
    return [deed(e, device_id, now_ms) for e in ordered]
