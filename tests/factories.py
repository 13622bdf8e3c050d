"""Builders for protocol events in tests: ``ev("delivered", 100)``.

Every event goes through ``msgspec.convert`` into its real class, so a factory
call that builds an invalid event fails loudly instead of testing nonsense.
Ids are derived from the arguments (never random) so failures replay.
"""

from __future__ import annotations

import copy
import typing
import uuid
from typing import Any

import msgspec

from protocol.events import CashEvent, Event, ReturnEvent, ShipmentEvent
from protocol.hlc import Timestamp
from protocol.money import Money
from protocol.vocab import DocType

UNIONS: dict[DocType, Any] = {
    DocType.SHIPMENT: ShipmentEvent,
    DocType.RETURN: ReturnEvent,
    DocType.CASHBOOK: CashEvent,
}


def _classes(union: Any) -> dict[str, type[Event]]:
    return {cls.__struct_config__.tag: cls for cls in typing.get_args(union)}


CLASSES: dict[DocType, dict[str, type[Event]]] = {
    doc_type: _classes(union) for doc_type, union in UNIONS.items()
}
EVENT_CLASSES: dict[str, type[Event]] = {
    tag: cls for classes in CLASSES.values() for tag, cls in classes.items()
}

# A valid payload for every event type; ``ev`` merges overrides into it.
SAMPLE_PAYLOADS: dict[str, dict[str, Any]] = {
    # shipment
    "created": {},
    "received_at_depot": {"depot_id": "depot-ams"},
    "out_for_delivery": {"courier_id": "courier-1"},
    "delivered": {
        "recipient_name": "A. Jansen",
        "relation": "self",
        "device_time_ms": 1_700_000_000_000,
        "signature_sha256": "ab" * 32,
        "lat": 52.37,
        "lon": 4.9,
        "otp_verified": True,
    },
    "attempt_failed": {"reason": "not_home", "note": "nobody answered"},
    "cod_collected": {"amount": 2500, "currency": "EUR", "method": "cash"},
    "sender_decision": {"decision": "reattempt"},
    "returned_to_origin": {},
    "marked_lost": {"note": "not found at sorting"},
    "cancelled": {"reason": "customer changed mind"},
    "pin_mismatch": {"delivered_event_id": "delivered-1", "reason": "the recorded PIN is wrong"},
    "conflict_resolved": {"conflict_id": "double_delivery:a+b", "note": "checked"},
    "delivery_changed": {"address": "Keizersgracht 1", "reason": "typo in the street"},
    "change_requested": {"slot_start": "14:00", "slot_end": "16:00", "reason": "at work"},
    "change_answered": {"request_id": "request-1", "accepted": True},
    "handed_to_merchant": {"received_by": "Ana at the shop", "signature_sha256": "a" * 64},
    "found": {"depot_id": "depot-ams", "note": "behind a shelf"},
    "reassigned": {
        "courier_id": "courier-2",
        "route_day": "2026-12-09",
        "reason": "sick",
        "route_seq": 3,
    },
    "recipient_request": {"instructions": "ring twice"},
    # return
    "requested": {},
    "picked_up": {"courier_id": "courier-1"},
    "received": {"depot_id": "depot-ams"},
    "inspected": {
        "items": [
            {"sku": "SKU-1", "grade": "sellable", "disposition": "restock", "quantity": 2},
            {"sku": "SKU-2", "grade": "damaged", "disposition": "dispose"},
        ]
    },
    "restocked": {"sku": "SKU-1", "quantity": 2, "depot_id": "depot-ams"},
    "dispatched": {"sku": "SKU-1", "quantity": 1, "depot_id": "depot-ams"},
    "refunded": {"amount": 1999, "currency": "EUR"},
    "sent_back": {},
    "stock_moved": {
        "sku": "SKU-1",
        "quantity": 1,
        "depot_id": "depot-ams",
        "source": "graded",
        "target": "quarantined",
    },
    # cash book
    "collected": {"amount": 2500, "currency": "EUR", "shipment_id": "ship-1"},
    "handed_over": {
        "amount": 2500,
        "currency": "EUR",
        "handover_id": "ho-1",
        "depot_id": "depot-ams",
    },
    "counted_at_depot": {
        "amount": 2500,
        "currency": "EUR",
        "handover_id": "ho-1",
        "depot_id": "depot-ams",
    },
    "deposited": {
        "amount": 2500,
        "currency": "EUR",
        "batch_id": "dep-1",
        "shipment_ids": ["ship-1"],
    },
    "remitted": {
        "amount": 2500,
        "currency": "EUR",
        "batch_id": "rem-1",
        "merchant_id": "merchant-1",
        "shipment_ids": ["ship-1"],
    },
    "reversal": {"amount": 500, "currency": "EUR", "entry_id": "entry-1", "reason": "typo"},
    "cash_limit": {"limit_minor": 5000, "currency": "EUR"},
}


def hlc(ms: int, counter: int = 0, node: str = "node-a") -> str:
    """An encoded HLC timestamp."""
    return Timestamp(ms, counter, node).encode()


def event_id(*parts: object) -> str:
    """A deterministic UUID string for an event named by ``parts``."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, "/".join(str(p) for p in parts)))


def raw_event(
    kind: str,
    hlc_ms: int,
    *,
    id: str | None = None,
    counter: int = 0,
    node: str = "node-a",
    device: str = "device-1",
    actor: str = "actor-1",
    **payload: Any,
) -> dict[str, Any]:
    """The plain map of an event as stored in a Yjs ``events`` Array."""
    body = {**copy.deepcopy(SAMPLE_PAYLOADS[kind]), **payload}
    return {
        "type": kind,
        "id": id or event_id(kind, hlc_ms, counter, node),
        "hlc": hlc(hlc_ms, counter, node),
        "device": device,
        "actor": actor,
        "payload": body,
    }


def ev(kind: str, hlc_ms: int, **kwargs: Any) -> Any:
    """A typed event of ``kind`` at HLC wall time ``hlc_ms``.

    Keyword arguments ``id``, ``counter``, ``node``, ``device`` and ``actor``
    set the envelope; any other keyword overrides a payload field.
    """
    return msgspec.convert(raw_event(kind, hlc_ms, **kwargs), EVENT_CLASSES[kind])


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def yjs_numbers(value: Any) -> Any:
    """What a value looks like after a trip through Yjs: every int a float."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: yjs_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [yjs_numbers(v) for v in value]
    return value
