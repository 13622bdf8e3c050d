"""When a follow-up applies to a shipment: pure rules the API, the office and the depot share.

Each rule returns ``None`` or a :class:`Refused` naming the field at fault, so
an interface answers with that field and changes nothing. ``today`` is the
receiver's UTC day (``YYYY-MM-DD``), injected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .events import MAX_INSTRUCTIONS, ChangeRequested, DeliveryFields
from .lifecycle import CORRECTABLE, INSTRUCTABLE, REQUESTABLE, RESCHEDULABLE
from .slots import slot_error
from .vocab import ShipmentStatus

S = ShipmentStatus
HORIZON_DAYS = 14  # the latest new day a recipient may ask for, after today
CHANGED = ("address", "postcode", "city", "slot_start", "slot_end", "route_day")


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a follow-up does not apply: the field at fault, a sentence, the HTTP status."""

    field: str
    message: str
    status_code: int = 409
    code: str = ""  # a word for the page to say it in the reader's language

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def fields_refused(fields: DeliveryFields, today: str) -> Refused | None:
    """A new day is a date, today or later; a slot's bounds read and end after they start."""
    if fields.route_day:
        try:
            day = date.fromisoformat(fields.route_day).isoformat()
        except ValueError:
            return Refused("route_day", f"{fields.route_day!r} is not a YYYY-MM-DD date", 400)
        if day < today:
            return Refused("route_day", f"{day} is in the past (today is {today})", 400)
    error = slot_error(fields.slot_start, fields.slot_end, fields.route_day)
    if error:
        name, _, message = error.partition(": ")
        return Refused(name, message, 400)
    return None


def _changes(fields: DeliveryFields) -> list[str]:
    return [name for name in CHANGED if getattr(fields, name)]


def decision_refused(
    status: ShipmentStatus, decision: str, fields: DeliveryFields, today: str
) -> Refused | None:
    """The sender answers a hold: only an ``on_hold`` shipment; a return takes no
    new date, address or slot; a new date is today or later."""
    if status != S.ON_HOLD:
        return Refused(
            "status", f"shipment is {status}: only an on_hold shipment awaits a decision"
        )
    if decision == "return" and _changes(fields):
        named = ", ".join(_changes(fields))
        return Refused(named.split(", ")[0], f"a return to origin takes no {named}", 400)
    return fields_refused(fields, today)


def correction_refused(
    status: ShipmentStatus, fields: DeliveryFields, today: str, pending: Sequence[ChangeRequested]
) -> Refused | None:
    """A correction the merchant makes itself (``requested=False``: before the parcel is
    out) or asks the depot for (after); at least one field; no second open request."""
    if not _changes(fields):
        return Refused("address", f"give at least one of {', '.join(CHANGED)}", 400)
    if status == S.ON_HOLD:
        return Refused(
            "status", "shipment is on_hold: give the new address or slot in the decision"
        )
    if status not in CORRECTABLE | REQUESTABLE:
        return Refused("status", f"shipment is {status}: its delivery can no longer change")
    if status in REQUESTABLE and pending:
        return Refused("status", f"change request {pending[0].id} still waits for the depot")
    return fields_refused(fields, today)


def answer_refused(request_id: str, pending: Sequence[ChangeRequested]) -> Refused | None:
    """The depot answers a change request: only one still open."""
    if any(r.id == request_id for r in pending):
        return None
    return Refused("request_id", f"no open change request {request_id!r} on this shipment", 404)


def lost_refused(status: ShipmentStatus, liable: str) -> Refused | None:
    """Head office marks a parcel lost: not a finished one; who is liable is said."""
    if not liable.strip():
        return Refused("liable", "say who is liable for the loss", 400)
    if status in (S.DELIVERED, S.RETURNED_TO_ORIGIN, S.CANCELLED, S.LOST):
        return Refused("status", f"shipment is {status}: it cannot be lost now")
    return None


def found_refused(status: ShipmentStatus) -> Refused | None:
    """Head office records a lost parcel found again."""
    if status != S.LOST:
        return Refused("status", f"shipment is {status}: only a lost shipment can be found")
    return None


def recipient_refused(
    status: ShipmentStatus, route_day: str, instructions: str, today: str
) -> Refused | None:
    """The recipient asks for a new day (a parcel not out, or after a failed attempt;
    today to :data:`HORIZON_DAYS` ahead) or leaves instructions (up to
    :data:`MAX_INSTRUCTIONS` characters, while the parcel is still to be delivered)."""
    if not route_day and not instructions.strip():
        return Refused("instructions", "give a new day or instructions", 400, "empty")
    if len(instructions) > MAX_INSTRUCTIONS:
        return Refused("instructions", f"at most {MAX_INSTRUCTIONS} characters", 400, "long")
    if route_day:
        try:
            day = date.fromisoformat(route_day)
        except ValueError:
            return Refused("route_day", f"{route_day!r} is not a YYYY-MM-DD date", 400, "date")
        last = date.fromisoformat(today) + timedelta(days=HORIZON_DAYS)
        if day.isoformat() < today:
            return Refused("route_day", f"{day} is in the past (today is {today})", 400, "past")
        if day > last:
            return Refused("route_day", f"{day} is after {last}", 400, "far")
        if status not in RESCHEDULABLE:
            message = f"shipment is {status}: its day can no longer change"
            return Refused("route_day", message, 409, "day_status")
    if status not in INSTRUCTABLE:
        message = f"shipment is {status}: nothing more will be delivered"
        return Refused("status", message, 409, "status")
    return None
