"""Who may change what: pure trust rules applied by every receiving node.

The server never trusts a node to police itself; :func:`check_change` is run
on each pushed update after it was applied to a scratch copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .events import Event, event_type
from .vocab import DocType, Role, ShipmentStatus

_O, _M, _D, _C = Role.OFFICE, Role.MERCHANT, Role.DEPOT, Role.COURIER

EVENT_ROLES: dict[DocType, dict[str, frozenset[Role]]] = {
    DocType.SHIPMENT: {
        "created": frozenset({_M, _O}),
        "received_at_depot": frozenset({_D, _O}),
        "out_for_delivery": frozenset({_C, _D}),
        "delivered": frozenset({_C}),
        "attempt_failed": frozenset({_C}),
        "cod_collected": frozenset({_C}),
        "sender_decision": frozenset({_M, _O}),
        "returned_to_origin": frozenset({_D, _O}),
        "marked_lost": frozenset({_D, _O}),
        "cancelled": frozenset({_M, _O}),
        "pin_mismatch": frozenset({_O}),
        "conflict_resolved": frozenset({_O}),
        "delivery_changed": frozenset({_M, _O}),
        "change_requested": frozenset({_M, _O}),
        "change_answered": frozenset({_D, _O}),
        "handed_to_merchant": frozenset({_D}),
        "found": frozenset({_O}),
        "reassigned": frozenset({_D, _O}),
        "recipient_request": frozenset({_O}),  # central, for the recipient's tracking page
    },
    DocType.RETURN: {
        "requested": frozenset({_M, _O}),
        "picked_up": frozenset({_C}),
        "received": frozenset({_D}),
        "inspected": frozenset({_D}),
        "restocked": frozenset({_D}),
        "dispatched": frozenset({_D}),
        "refunded": frozenset({_M, _O}),
        "sent_back": frozenset({_D}),
        "stock_moved": frozenset({_D}),
        "conflict_resolved": frozenset({_O}),
    },
    DocType.CASHBOOK: {
        "collected": frozenset({_C}),
        "handed_over": frozenset({_C}),
        "counted_at_depot": frozenset({_D}),
        "deposited": frozenset({_D}),
        "remitted": frozenset({_O}),
        "reversal": frozenset({_D, _O}),
        "cash_limit": frozenset({_O}),
    },
}

ROUTING_FIELDS = frozenset({"depot_id", "courier_id", "route_day", "route_seq"})
SCOPE_FIELDS = ("depot_id", "courier_id", "merchant_id")


@dataclass(frozen=True, slots=True)
class Device:
    """An enrolled device and the keys that bound what it may touch."""

    id: str
    role: Role
    depot_id: str | None = None
    courier_id: str | None = None
    merchant_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """What one update did to a document, as seen on a scratch copy."""

    doc_type: DocType
    created: bool
    info_before: Mapping[str, Any]
    info_after: Mapping[str, Any]
    new_events: tuple[Event, ...]
    status_before: ShipmentStatus | None = None
    doc_id: str = ""

    @property
    def changed_fields(self) -> frozenset[str]:
        """Info keys whose value differs before and after."""
        before, after = self.info_before, self.info_after
        if before == after:
            return frozenset()
        return frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a change is not allowed: machine code plus a sentence."""

    code: str
    message: str


def _owns(device: Device, info: Mapping[str, Any]) -> bool:
    # A device without its scope key owns nothing: None == None (or "" == "")
    # must not hand an unenrolled courier every unassigned shipment.
    match device.role:
        case Role.OFFICE:
            return True
        case Role.DEPOT:
            return bool(device.depot_id) and info.get("depot_id") == device.depot_id
        case Role.COURIER:
            return bool(device.courier_id) and info.get("courier_id") == device.courier_id
        case Role.MERCHANT:
            return bool(device.merchant_id) and info.get("merchant_id") == device.merchant_id
    return False


def _check_fields(device: Device, change: Change) -> Refusal | None:
    if device.role == Role.OFFICE:
        return None
    fields = change.changed_fields
    if not fields:
        return None
    if device.role == Role.DEPOT and fields <= ROUTING_FIELDS:
        return None
    if device.role == Role.MERCHANT and change.doc_type != DocType.CASHBOOK:
        if change.created or change.status_before in (None, ShipmentStatus.CREATED):
            return None
        return Refusal("info_locked", "a merchant may edit a shipment only before pickup")
    own_book = change.created and change.doc_type == DocType.CASHBOOK
    if own_book and device.role in (Role.COURIER, Role.DEPOT):
        return None
    return Refusal(
        "forbidden_field",
        f"role {device.role} may not set {', '.join(sorted(fields))} on a {change.doc_type}",
    )


def check_change(device: Device, change: Change) -> Refusal | None:
    """``None`` if ``device`` may make ``change``, else the reason it may not."""
    if not change.created and not _owns(device, change.info_before):
        return Refusal("out_of_scope", f"this {change.doc_type} is not in the device's scope")
    if not _owns(device, change.info_after):
        return Refusal("out_of_scope", f"the change moves this {change.doc_type} out of scope")
    refusal = _check_fields(device, change)
    if refusal:
        return refusal
    allowed = EVENT_ROLES[change.doc_type]
    for event in change.new_events:
        kind = event_type(event)
        roles = allowed.get(kind, frozenset())
        if device.role not in roles and device.role != Role.OFFICE:
            return Refusal(
                "forbidden_event",
                f"role {device.role} may not record {kind} on a {change.doc_type}",
            )
        if event.device != device.id:
            return Refusal(
                "wrong_device",
                f"event {event.id} claims device {event.device}, sent by {device.id}",
            )
    return None
