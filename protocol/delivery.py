"""Where and when a shipment is to be delivered, after the corrections (pure).

The ``info`` map holds what the merchant first said. Later changes are events
(several roles make them, offline, so they are not Map keys): a correction
before the parcel is out (``delivery_changed``), the sender's answer to a hold
(``sender_decision``), a request the depot accepted (``change_requested`` then
``change_answered``), a reassignment to another day (``reassigned``), a new day the recipient
asked for (``recipient_request``, which also carries the courier's instructions). Applied in
fold order, each non-empty field replaces the one before it, so every replica
shows the courier the same address, slot and day.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .events import (
    ChangeAnswered,
    ChangeRequested,
    DeliveryChanged,
    DeliveryFields,
    Event,
    Reassigned,
    RecipientRequest,
    SenderDecision,
)
from .info import ShipmentInfo
from .lifecycle import sort_events

_CHANGES = (
    DeliveryChanged,
    SenderDecision,
    ChangeRequested,
    ChangeAnswered,
    Reassigned,
    RecipientRequest,
)
FIELDS = ("route_day", "address", "postcode", "city", "slot_start", "slot_end")


def _overlay(info: ShipmentInfo, fields: DeliveryFields) -> ShipmentInfo:
    changes = {name: getattr(fields, name) for name in FIELDS if getattr(fields, name)}
    return msgspec.structs.replace(info, **changes) if changes else info


def effective_info(info: ShipmentInfo, events: Iterable[Event]) -> ShipmentInfo:
    """``info`` with every accepted change of address, slot and day applied in order."""
    changes = [e for e in events if isinstance(e, _CHANGES)]
    requests: dict[str, DeliveryFields] = {}
    for event in sort_events(changes):
        match event:
            case DeliveryChanged():
                info = _overlay(info, event.payload)
            case SenderDecision() if event.payload.decision == "reattempt":
                info = _overlay(info, event.payload)
            case ChangeRequested():
                requests[event.id] = event.payload
            case ChangeAnswered() if event.payload.accepted:
                asked = requests.pop(event.payload.request_id, None)
                if asked is not None:
                    info = _overlay(info, asked)
            case Reassigned() | RecipientRequest() if event.payload.route_day:
                info = msgspec.structs.replace(info, route_day=event.payload.route_day)
    return info


def instructions(events: Iterable[Event]) -> str:
    """The recipient's latest delivery instructions for the courier ("" when none)."""
    said = [e for e in sort_events(events) if isinstance(e, RecipientRequest)]
    return next((e.payload.instructions for e in reversed(said) if e.payload.instructions), "")


def pending_requests(events: Iterable[Event]) -> list[ChangeRequested]:
    """Change requests the depot has not answered yet, in fold order."""
    ordered = sort_events(events)
    answered = {e.payload.request_id for e in ordered if isinstance(e, ChangeAnswered)}
    return [e for e in ordered if isinstance(e, ChangeRequested) and e.id not in answered]
