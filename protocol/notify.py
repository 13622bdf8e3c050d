"""What a recipient is told, and when: pure texts from a shipment's events.

:func:`notices` picks the events worth a message (out for delivery, delivered,
a failed attempt) and words each one. A courier who went out and delivered
while offline syncs both at once: then only the delivery is told, since "on its
way" would arrive after the parcel did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .events import AttemptFailed, Delivered, Event, OutForDelivery
from .info import ShipmentInfo
from .lifecycle import fold_shipment, sort_events
from .vocab import FailureOutcome, FailureReason, ShipmentStatus

_OUTCOME_OF = {
    ShipmentStatus.RETURNING_TO_ORIGIN: FailureOutcome.RETURN,
    ShipmentStatus.ON_HOLD: FailureOutcome.HOLD,
}
_NEXT = {
    FailureOutcome.NEXT_ATTEMPT: "We will try again on the next working day.",
    FailureOutcome.HOLD: "Your parcel waits at the depot while the sender decides what to do.",
    FailureOutcome.RETURN: "Your parcel goes back to the sender.",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """One message about one event: ``event_id`` makes it unique."""

    event_id: str
    kind: str  # out_for_delivery | delivered | attempt_failed
    subject: str
    text: str


def slot_words(start: str, end: str) -> str:
    """``between 10:00 and 12:00``, ``from 10:00``, ``by 12:00`` or '' without a slot."""
    start, end = _clock(start), _clock(end)
    if start and end:
        return f"between {start} and {end}"
    if start:
        return f"from {start}"
    return f"by {end}" if end else ""


def _clock(value: str) -> str:
    """The ``HH:MM`` of ``10:00``, ``10:00:00`` or ``2026-12-05T10:00``."""
    time = value.strip().rpartition("T")[2]
    return time[:5] if len(time) >= 5 and time[2] == ":" else time


def notices(info: ShipmentInfo, events: Iterable[Event], tracking_url: str = "") -> list[Notice]:
    """The messages a recipient gets for ``events`` (in fold order)."""
    ordered = sort_events(events)
    told = [
        i
        for i, e in enumerate(ordered)
        if isinstance(e, OutForDelivery | Delivered | AttemptFailed)
    ]
    number = info.tracking_number
    follow = f" Follow it at {tracking_url}" if tracking_url else f" Tracking number {number}."
    out: list[Notice] = []
    for index in told:
        match ordered[index]:
            case OutForDelivery() as event if index == told[-1]:
                slot = slot_words(info.slot_start, info.slot_end)
                when = f"today {slot}" if slot else "today"
                text = f"Your parcel {number} is out for delivery and arrives {when}.{follow}"
                subject = f"Parcel {number} arrives today"
                out.append(Notice(event.id, "out_for_delivery", subject, text))
            case Delivered() as event:
                text = f"Your parcel {number} was delivered.{follow}"
                out.append(Notice(event.id, "delivered", f"Parcel {number} delivered", text))
            case AttemptFailed() as event:
                after = fold_shipment(ordered[: index + 1], info.cod).status
                subject = f"Parcel {number} not delivered"
                text = _failed(number, event.payload.reason, after, tracking_url)
                out.append(Notice(event.id, "attempt_failed", subject, text))
    return out


def _failed(number: str, reason: FailureReason, after: ShipmentStatus, tracking_url: str) -> str:
    """Why the parcel was not delivered, what happens next (the status the failure led
    to: the last allowed attempt returns it), how to choose another date, the link."""
    outcome = _OUTCOME_OF.get(after, FailureOutcome.NEXT_ATTEMPT)
    text = f"We could not deliver your parcel {number} ({reason.value.replace('_', ' ')}). "
    text += _NEXT[outcome]
    if outcome != FailureOutcome.RETURN:  # the tracking page cannot take a date (yet)
        text += f" To choose another date: ask the sender, quoting {number}."
    return text + (f" Follow it at {tracking_url}" if tracking_url else "")
