"""What an event says, checked against who wrote it: pure rules every receiver runs.

:func:`protocol.permissions.check_change` decides who may append which events
where; :func:`check_contents` decides whether what they say is true of the
writer: the clock (an HLC that parses, within a bounded skew of the receiver's
clock), the people (``actor`` is the device's person), a cash book's owner,
depot and id, the shipment lifecycle, the courier a depot assigns, the
tracking number, and the day and slot a decision or correction names (no day
before the receiver's). What only the receiver knows (its clock, its enrolments, the
numbers it issued) comes in :class:`Facts`, gathered before the call
(:func:`facts_needed` says which); a fact the receiver does not hold (``None``)
is left to the node above it, which checks the same update again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from .errors import ProtocolError
from .events import (
    ChangeRequested,
    DeliveryChanged,
    DeliveryFields,
    Event,
    OutForDelivery,
    Reassigned,
    RecipientRequest,
    ReturnPickedUp,
    SenderDecision,
    event_type,
)
from .followups import fields_refused
from .hlc import Timestamp
from .ids import courier_book_id, depot_book_id
from .lifecycle import transition_error
from .permissions import Change, Device, Refusal
from .vocab import DocType, Role

HOUR_MS = 3_600_000
DEFAULT_MAX_SKEW_MS = 4 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Facts:
    """What the receiver knows that the rules need.

    ``now_ms``: its wall clock (``None``: no skew bound). ``courier_depots``:
    courier id -> the depots of its enrolled devices. ``tracking_holders``:
    tracking number -> the documents it was issued to or is held by.
    """

    now_ms: int | None = None
    max_skew_ms: int = DEFAULT_MAX_SKEW_MS
    courier_depots: Mapping[str, frozenset[str]] | None = None
    tracking_holders: Mapping[str, frozenset[str]] | None = None


@dataclass(frozen=True, slots=True)
class Needed:
    """The keys :class:`Facts` must cover for one change."""

    couriers: frozenset[str] = field(default_factory=frozenset)
    tracking_numbers: frozenset[str] = field(default_factory=frozenset)


def _assigned_couriers(device: Device, change: Change) -> frozenset[str]:
    """Couriers a depot puts a document in the hands of, by the info or an event."""
    if device.role != Role.DEPOT:
        return frozenset()
    named = {
        str(e.payload.courier_id)
        for e in change.new_events
        if isinstance(e, OutForDelivery | Reassigned)
    }
    if "courier_id" in change.changed_fields:
        named.add(str(change.info_after.get("courier_id") or ""))
    return frozenset(c for c in named if c)


def _claimed_number(change: Change) -> str | None:
    """The tracking number a shipment change sets (created or edited), if any."""
    if change.doc_type != DocType.SHIPMENT:
        return None
    if not change.created and "tracking_number" not in change.changed_fields:
        return None
    return str(change.info_after.get("tracking_number") or "")


def facts_needed(device: Device, change: Change) -> Needed:
    """Which couriers and tracking numbers :func:`check_contents` must know about."""
    number = _claimed_number(change)
    return Needed(_assigned_couriers(device, change), frozenset({number} if number else ()))


def _clock(device: Device, change: Change, facts: Facts) -> Refusal | None:
    for event in change.new_events:
        try:
            stamp = Timestamp.decode(event.hlc)
        except ProtocolError as exc:
            return Refusal("invalid_hlc", f"event {event.id}: hlc: {exc}")
        if facts.now_ms is not None and stamp.wall_ms > facts.now_ms + facts.max_skew_ms:
            ahead = (stamp.wall_ms - facts.now_ms) // 60_000
            return Refusal(
                "hlc_in_future",
                f"event {event.id}: hlc is {ahead} min ahead of the receiver's clock "
                f"(at most {facts.max_skew_ms // 60_000} min allowed): set the device's clock",
            )
    return None


def is_person_of(device: Device, actor: str) -> bool:
    """True when ``actor`` names the enrolled device's person: a courier device's
    courier; another device itself or someone at it (``<device id>/<name>``);
    head office names whom it pleases."""
    match device.role:
        case Role.OFFICE:
            return bool(actor)
        case Role.COURIER:
            return bool(device.courier_id) and actor == device.courier_id
    return actor == device.id or actor.startswith(f"{device.id}/")


def _people(device: Device, change: Change, facts: Facts) -> Refusal | None:
    for event in change.new_events:
        if not is_person_of(device, event.actor):
            return Refusal(
                "wrong_actor",
                f"event {event.id}: actor {event.actor!r} is not the person of device {device.id}",
            )
        courier = _courier_named(event)
        if device.role == Role.COURIER and courier is not None and courier != device.courier_id:
            return Refusal(
                "wrong_courier",
                f"event {event.id}: payload.courier_id {courier!r} is not this device's courier",
            )
        depot = getattr(getattr(event, "payload", None), "depot_id", None)
        if device.role == Role.DEPOT and depot is not None and depot != device.depot_id:
            return Refusal(
                "wrong_depot",
                f"event {event.id}: payload.depot_id {depot!r} is not this device's depot",
            )
    return None


def _courier_named(event: Event) -> str | None:
    if isinstance(event, OutForDelivery | ReturnPickedUp):
        return str(event.payload.courier_id)
    return None


def _book_error(device: Device, info: Mapping[str, Any], doc_id: str) -> str | None:
    """What is wrong with a cash book ``device`` creates as ``info`` under ``doc_id``."""
    kind, owner, day = info.get("owner_kind"), info.get("owner_id"), info.get("day")
    try:
        date.fromisoformat(str(day))
    except ValueError:
        return f"info.day {day!r} is not a YYYY-MM-DD date"
    if device.role == Role.COURIER:
        wanted: dict[str, Any] = {
            "owner_kind": "courier",
            "owner_id": device.courier_id,
            "courier_id": device.courier_id,
            "depot_id": device.depot_id or "",
        }
        book_id: Callable[[str, str], str] = courier_book_id
    else:
        wanted = {"owner_kind": "depot", "owner_id": device.depot_id, "depot_id": device.depot_id}
        book_id = depot_book_id
    for key, value in wanted.items():
        if (info.get(key) or "") != (value or ""):
            got = info.get(key)
            return f"info.{key} must be {value!r} for a book of device {device.id}, got {got!r}"
    if doc_id != book_id(str(owner), str(day)):
        return f"a {kind} book of {owner} for {day} has id {book_id(str(owner), str(day))}"
    return None


def _cash_book(device: Device, change: Change, facts: Facts) -> Refusal | None:
    if not (change.created and change.doc_type == DocType.CASHBOOK):
        return None
    if device.role not in (Role.COURIER, Role.DEPOT):
        return None
    error = _book_error(device, change.info_after, change.doc_id)
    return Refusal("wrong_cash_book", error) if error else None


def _lifecycle(device: Device, change: Change, facts: Facts) -> Refusal | None:
    if change.doc_type != DocType.SHIPMENT or change.status_before is None:
        return None
    for event in change.new_events:
        error = transition_error(change.status_before, event_type(event))
        if error:
            return Refusal("transition_refused", error)
    return None


def _assignment(device: Device, change: Change, facts: Facts) -> Refusal | None:
    if device.role == Role.MERCHANT and change.info_after.get("courier_id"):
        if "courier_id" in change.changed_fields:
            return Refusal("forbidden_field", "a merchant may not put a shipment on a courier")
    if facts.courier_depots is None:
        return None
    for courier in sorted(_assigned_couriers(device, change)):
        depots = facts.courier_depots.get(courier, frozenset())
        if depots and device.depot_id not in depots:
            return Refusal(
                "courier_of_other_depot",
                f"courier {courier} is enrolled at {', '.join(sorted(depots))}, "
                f"not at depot {device.depot_id}",
            )
    return None


ROUTE_FIELDS = ("courier_id", "route_day", "route_seq")


def _route_record(device: Device, change: Change, facts: Facts) -> Refusal | None:
    """A ``reassigned`` event states the route stop the same update sets (what it leaves
    out, a day or a stop number, it does not state)."""
    for event in change.new_events:
        if not isinstance(event, Reassigned):
            continue
        said = {
            key: value
            for key, value in msgspec.structs.asdict(event.payload).items()
            if key in ROUTE_FIELDS and (value or key == "courier_id")
        }
        now = {key: change.info_after.get(key) for key in said}
        if said != now:  # a Yjs 3.0 equals 3
            return Refusal(
                "route_record_mismatch",
                f"reassigned says {said}, but the shipment's route is now {now}",
            )
    return None


def _tracking(device: Device, change: Change, facts: Facts) -> Refusal | None:
    number = _claimed_number(change)
    if number is None or facts.tracking_holders is None:
        return None
    holders = facts.tracking_holders.get(number, frozenset())
    if holders - {change.doc_id}:
        return Refusal("tracking_number_taken", f"tracking number {number!r} is another's")
    if device.role != Role.OFFICE and change.doc_id not in holders:
        return Refusal(
            "tracking_number_not_issued",
            f"tracking number {number!r} was not issued for this shipment: "
            "create shipments through the merchant API, which issues the number",
        )
    return None


def _delivery_fields(device: Device, change: Change, facts: Facts) -> Refusal | None:
    """A decision, correction or request names no past day and a slot that reads;
    nor does a recipient's request."""
    if facts.now_ms is None:
        return None
    today = datetime.fromtimestamp(facts.now_ms / 1000, UTC).date().isoformat()
    for event in change.new_events:
        if isinstance(event, SenderDecision | DeliveryChanged | ChangeRequested):
            refused = fields_refused(event.payload, today)
            if refused is not None:
                return Refusal("delivery_refused", f"event {event.id}: payload.{refused}")
        if isinstance(event, RecipientRequest):
            asked = fields_refused(DeliveryFields(route_day=event.payload.route_day), today)
            if asked is not None:
                return Refusal("delivery_refused", f"event {event.id}: payload.{asked}")
    return None


_RULES = (
    _clock,
    _people,
    _cash_book,
    _lifecycle,
    _assignment,
    _route_record,
    _tracking,
    _delivery_fields,
)


def check_contents(device: Device, change: Change, facts: Facts) -> Refusal | None:
    """``None`` if what ``change`` says is true of ``device``, else why it is not."""
    for rule in _RULES:
        refusal = rule(device, change, facts)
        if refusal:
            return refusal
    return None
