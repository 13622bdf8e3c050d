"""Trust rules: which device may make which change to which document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from protocol.events import Event
from protocol.permissions import EVENT_ROLES, Change, Device, check_change
from protocol.vocab import DocType, Role, ShipmentStatus
from tests.factories import SAMPLE_PAYLOADS, ev

S = ShipmentStatus
SHIPMENT, RETURN, CASHBOOK = DocType.SHIPMENT, DocType.RETURN, DocType.CASHBOOK

COURIER = Device("dev-c1", Role.COURIER, depot_id="ams", courier_id="c1")
OTHER_COURIER = Device("dev-c2", Role.COURIER, depot_id="ams", courier_id="c2")
UNASSIGNED_COURIER = Device("dev-c0", Role.COURIER, depot_id="ams")
DEPOT = Device("dev-ams", Role.DEPOT, depot_id="ams")
OTHER_DEPOT = Device("dev-rtm", Role.DEPOT, depot_id="rtm")
MERCHANT = Device("dev-m1", Role.MERCHANT, merchant_id="m1")
OTHER_MERCHANT = Device("dev-m2", Role.MERCHANT, merchant_id="m2")
OFFICE = Device("dev-hq", Role.OFFICE)

SHIPMENT_INFO: dict[str, Any] = {
    "merchant_id": "m1",
    "tracking_number": "PS123456785NL",
    "currency": "EUR",
    "cod_amount": 2500,
    "recipient_name": "A. Jansen",
    "address": "Keizersgracht 1",
    "depot_id": "ams",
    "courier_id": "c1",
    "route_day": "2026-11-23",
    "route_seq": 4,
}
RETURN_INFO: dict[str, Any] = {
    "shipment_id": "ship-1",
    "merchant_id": "m1",
    "reason": "too small",
    "depot_id": "ams",
    "courier_id": "c1",
}
CASHBOOK_INFO: dict[str, Any] = {
    "owner_kind": "courier",
    "owner_id": "c1",
    "day": "2026-11-23",
    "currency": "EUR",
    "depot_id": "ams",
    "courier_id": "c1",
}
INFOS = {SHIPMENT: SHIPMENT_INFO, RETURN: RETURN_INFO, CASHBOOK: CASHBOOK_INFO}


def events(device: Device, *kinds: str, **payload: Any) -> tuple[Event, ...]:
    """Events recorded by ``device`` (its own id in ``event.device``)."""
    return tuple(ev(k, 100 + i, device=device.id, **payload) for i, k in enumerate(kinds))


@dataclass(frozen=True)
class Row:
    name: str
    device: Device
    doc_type: DocType = SHIPMENT
    new_events: tuple[Event, ...] = ()
    edits: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    created: bool = False
    status: ShipmentStatus | None = S.OUT_FOR_DELIVERY
    refusal: str | None = None

    def change(self) -> Change:
        before = dict(INFOS[self.doc_type] if self.before is None else self.before)
        after = {**before, **self.edits}
        return Change(
            doc_type=self.doc_type,
            created=self.created,
            info_before={} if self.created else before,
            info_after=after,
            new_events=self.new_events,
            status_before=None if self.created else self.status,
        )


def reassigned(**changes: Any) -> dict[str, Any]:
    return {**SHIPMENT_INFO, **changes}


ROWS = [
    # --- courier
    Row("courier delivers its parcel", COURIER, new_events=events(COURIER, "delivered")),
    Row(
        "courier records a failed round",
        COURIER,
        new_events=events(COURIER, "out_for_delivery", "attempt_failed"),
    ),
    Row("courier collects COD", COURIER, new_events=events(COURIER, "cod_collected", "delivered")),
    Row(
        "courier on another courier's parcel",
        COURIER,
        new_events=events(COURIER, "delivered"),
        before=reassigned(courier_id="c2"),
        refusal="out_of_scope",
    ),
    Row(
        "courier on an unassigned parcel",
        COURIER,
        new_events=events(COURIER, "delivered"),
        before=reassigned(courier_id=""),
        refusal="out_of_scope",
    ),
    Row(
        "courier without a courier id owns nothing",
        UNASSIGNED_COURIER,
        new_events=events(UNASSIGNED_COURIER, "delivered"),
        before={k: v for k, v in SHIPMENT_INFO.items() if k != "courier_id"},
        refusal="out_of_scope",
    ),
    Row(
        "courier enrolled with an empty courier id on an unassigned parcel",
        Device("dev-c9", Role.COURIER, depot_id="ams", courier_id=""),
        new_events=(ev("delivered", 100, device="dev-c9"),),
        before=reassigned(courier_id=""),
        refusal="out_of_scope",
    ),
    Row(
        "depot device without a depot id owns nothing",
        Device("dev-d0", Role.DEPOT),
        new_events=(ev("received_at_depot", 100, device="dev-d0"),),
        before={k: v for k, v in SHIPMENT_INFO.items() if k != "depot_id"},
        refusal="out_of_scope",
    ),
    Row(
        "merchant device without a merchant id creates nothing",
        Device("dev-m0", Role.MERCHANT),
        created=True,
        before={k: v for k, v in SHIPMENT_INFO.items() if k != "merchant_id"},
        refusal="out_of_scope",
    ),
    Row(
        "courier edits the address",
        COURIER,
        edits={"address": "Somewhere else 2"},
        refusal="forbidden_field",
    ),
    Row(
        "courier edits the COD amount", COURIER, edits={"cod_amount": 0}, refusal="forbidden_field"
    ),
    Row(
        "courier edits its route order",
        COURIER,
        edits={"route_seq": 1},
        refusal="forbidden_field",
    ),
    Row(
        "courier takes another courier's parcel",
        COURIER,
        before=reassigned(courier_id="c2"),
        edits={"courier_id": "c1"},
        refusal="out_of_scope",
    ),
    Row(
        "courier hands its parcel to another courier",
        COURIER,
        edits={"courier_id": "c2"},
        refusal="out_of_scope",
    ),
    Row(
        "courier marks a parcel lost",
        COURIER,
        new_events=events(COURIER, "marked_lost"),
        refusal="forbidden_event",
    ),
    Row(
        "courier receives at depot",
        COURIER,
        new_events=events(COURIER, "received_at_depot"),
        refusal="forbidden_event",
    ),
    Row(
        "courier resolves a conflict",
        COURIER,
        new_events=events(COURIER, "conflict_resolved"),
        refusal="forbidden_event",
    ),
    Row(
        "courier cancels",
        COURIER,
        new_events=events(COURIER, "cancelled"),
        refusal="forbidden_event",
    ),
    Row(
        "courier writes an event claiming another device",
        COURIER,
        new_events=events(OTHER_COURIER, "delivered"),
        refusal="wrong_device",
    ),
    Row(
        "courier: one good event and one claiming another device",
        COURIER,
        new_events=(
            ev("attempt_failed", 100, device=COURIER.id),
            ev("delivered", 200, device=OTHER_COURIER.id),
        ),
        refusal="wrong_device",
    ),
    Row(
        "courier creates a shipment",
        COURIER,
        created=True,
        refusal="forbidden_field",
    ),
    Row(
        "courier opens its cash book",
        COURIER,
        doc_type=CASHBOOK,
        created=True,
        new_events=events(COURIER, "collected"),
    ),
    Row(
        "courier records collection and handover",
        COURIER,
        doc_type=CASHBOOK,
        new_events=events(COURIER, "collected", "handed_over"),
    ),
    Row(
        "courier counts its own handover",
        COURIER,
        doc_type=CASHBOOK,
        new_events=events(COURIER, "counted_at_depot"),
        refusal="forbidden_event",
    ),
    Row(
        "courier reverses an entry",
        COURIER,
        doc_type=CASHBOOK,
        new_events=events(COURIER, "reversal"),
        refusal="forbidden_event",
    ),
    Row(
        "courier edits its cash book",
        COURIER,
        doc_type=CASHBOOK,
        edits={"day": "2026-11-22"},
        refusal="forbidden_field",
    ),
    Row(
        "courier writes another courier's cash book",
        OTHER_COURIER,
        doc_type=CASHBOOK,
        new_events=events(OTHER_COURIER, "collected"),
        refusal="out_of_scope",
    ),
    Row(
        "courier opens a cash book for someone else",
        OTHER_COURIER,
        doc_type=CASHBOOK,
        created=True,
        refusal="out_of_scope",
    ),
    Row(
        "courier picks up a return",
        COURIER,
        doc_type=RETURN,
        new_events=events(COURIER, "picked_up"),
    ),
    Row(
        "courier grades a return",
        COURIER,
        doc_type=RETURN,
        new_events=events(COURIER, "inspected"),
        refusal="forbidden_event",
    ),
    # --- depot
    Row("depot receives a parcel", DEPOT, new_events=events(DEPOT, "received_at_depot")),
    Row(
        "depot dispatches, loses, returns",
        DEPOT,
        new_events=events(DEPOT, "out_for_delivery", "marked_lost", "returned_to_origin"),
    ),
    Row("depot assigns a courier", DEPOT, edits={"courier_id": "c2"}),
    Row("depot plans the route", DEPOT, edits={"route_day": "2026-11-24", "route_seq": 9}),
    Row(
        "depot assigns and dispatches",
        DEPOT,
        edits={"courier_id": "c2", "route_seq": 1},
        new_events=events(DEPOT, "out_for_delivery"),
    ),
    Row(
        "another depot's parcel",
        OTHER_DEPOT,
        new_events=events(OTHER_DEPOT, "received_at_depot"),
        refusal="out_of_scope",
    ),
    Row(
        "depot sends a parcel to another depot",
        DEPOT,
        edits={"depot_id": "rtm"},
        refusal="out_of_scope",
    ),
    Row(
        "depot pulls in another depot's parcel",
        DEPOT,
        before=reassigned(depot_id="rtm"),
        edits={"depot_id": "ams"},
        refusal="out_of_scope",
    ),
    Row("depot edits the COD amount", DEPOT, edits={"cod_amount": 100}, refusal="forbidden_field"),
    Row(
        "depot edits the address with a route change",
        DEPOT,
        edits={"address": "Elsewhere 3", "courier_id": "c2"},
        refusal="forbidden_field",
    ),
    Row(
        "depot records a delivery",
        DEPOT,
        new_events=events(DEPOT, "delivered"),
        refusal="forbidden_event",
    ),
    Row(
        "depot records a COD collection",
        DEPOT,
        new_events=events(DEPOT, "cod_collected"),
        refusal="forbidden_event",
    ),
    Row(
        "depot writes an event claiming a courier's device",
        DEPOT,
        new_events=events(COURIER, "received_at_depot"),
        refusal="wrong_device",
    ),
    Row(
        "depot counts a courier's handover",
        DEPOT,
        doc_type=CASHBOOK,
        new_events=events(DEPOT, "counted_at_depot", "deposited", "reversal"),
    ),
    Row(
        "depot records a collection in a courier's book",
        DEPOT,
        doc_type=CASHBOOK,
        new_events=events(DEPOT, "collected"),
        refusal="forbidden_event",
    ),
    Row(
        "depot remits to a merchant",
        DEPOT,
        doc_type=CASHBOOK,
        new_events=events(DEPOT, "remitted"),
        refusal="forbidden_event",
    ),
    Row(
        "depot counts another depot's book",
        OTHER_DEPOT,
        doc_type=CASHBOOK,
        new_events=events(OTHER_DEPOT, "counted_at_depot"),
        refusal="out_of_scope",
    ),
    Row(
        "depot opens its own cash book",
        DEPOT,
        doc_type=CASHBOOK,
        created=True,
        before={"owner_kind": "depot", "owner_id": "ams", "day": "d", "depot_id": "ams"},
    ),
    Row(
        "depot works a return",
        DEPOT,
        doc_type=RETURN,
        new_events=events(DEPOT, "received", "inspected", "restocked", "dispatched", "sent_back"),
    ),
    Row(
        "depot refunds a return",
        DEPOT,
        doc_type=RETURN,
        new_events=events(DEPOT, "refunded"),
        refusal="forbidden_event",
    ),
    # --- merchant
    Row(
        "merchant creates a shipment",
        MERCHANT,
        created=True,
        new_events=events(MERCHANT, "created"),
    ),
    Row(
        "merchant creates a shipment for another merchant",
        OTHER_MERCHANT,
        created=True,
        refusal="out_of_scope",
    ),
    Row(
        "merchant fixes the address before pickup",
        MERCHANT,
        edits={"address": "Keizersgracht 2"},
        status=S.CREATED,
    ),
    Row(
        "merchant changes COD before pickup",
        MERCHANT,
        edits={"cod_amount": 3000},
        status=S.CREATED,
    ),
    Row(
        "merchant edits once at the depot",
        MERCHANT,
        edits={"address": "Keizersgracht 2"},
        status=S.AT_DEPOT,
        refusal="info_locked",
    ),
    Row(
        "merchant edits once out for delivery",
        MERCHANT,
        edits={"cod_amount": 0},
        status=S.OUT_FOR_DELIVERY,
        refusal="info_locked",
    ),
    Row(
        "merchant edits after delivery",
        MERCHANT,
        edits={"recipient_name": "B"},
        status=S.DELIVERED,
        refusal="info_locked",
    ),
    Row(
        "merchant edits another merchant's shipment",
        OTHER_MERCHANT,
        edits={"address": "x"},
        status=S.CREATED,
        refusal="out_of_scope",
    ),
    Row(
        "merchant hands its shipment to another merchant",
        MERCHANT,
        edits={"merchant_id": "m2"},
        status=S.CREATED,
        refusal="out_of_scope",
    ),
    Row(
        "merchant decides on a held parcel",
        MERCHANT,
        new_events=events(MERCHANT, "sender_decision"),
        status=S.ON_HOLD,
    ),
    Row("merchant cancels", MERCHANT, new_events=events(MERCHANT, "cancelled"), status=S.CREATED),
    Row(
        "merchant records a delivery",
        MERCHANT,
        new_events=events(MERCHANT, "delivered"),
        refusal="forbidden_event",
    ),
    Row(
        "merchant resolves a conflict",
        MERCHANT,
        new_events=events(MERCHANT, "conflict_resolved"),
        refusal="forbidden_event",
    ),
    Row(
        "merchant requests and refunds a return",
        MERCHANT,
        doc_type=RETURN,
        new_events=events(MERCHANT, "requested", "refunded"),
        status=None,
    ),
    Row(
        "merchant writes a courier's cash book",
        MERCHANT,
        doc_type=CASHBOOK,
        new_events=events(MERCHANT, "collected"),
        refusal="out_of_scope",
    ),
    # --- head office
    Row(
        "office edits anything at any status",
        OFFICE,
        edits={"address": "x", "cod_amount": 1, "merchant_id": "m2", "depot_id": "rtm"},
        status=S.DELIVERED,
    ),
    Row(
        "office records any shipment event",
        OFFICE,
        new_events=events(OFFICE, *[k for k in EVENT_ROLES[SHIPMENT] if k != "created"]),
    ),
    Row("office creates a shipment", OFFICE, created=True, new_events=events(OFFICE, "created")),
    Row(
        "office remits and reverses",
        OFFICE,
        doc_type=CASHBOOK,
        new_events=events(OFFICE, "remitted", "reversal"),
    ),
    Row(
        "office resolves a return conflict",
        OFFICE,
        doc_type=RETURN,
        new_events=events(OFFICE, "conflict_resolved"),
    ),
    Row(
        "office writes an event claiming another device",
        OFFICE,
        new_events=events(COURIER, "delivered"),
        refusal="wrong_device",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_permission_table(row: Row) -> None:
    refusal = check_change(row.device, row.change())
    if row.refusal is None:
        assert refusal is None
    else:
        assert refusal is not None, "change should have been refused"
        assert refusal.code == row.refusal
        assert refusal.message


def test_row_names_are_unique() -> None:
    assert len({r.name for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize(
    ("doc_type", "kind"),
    [(d, k) for d, table in EVENT_ROLES.items() for k in table],
)
def test_event_roles_table_is_enforced_for_every_role(doc_type: DocType, kind: str) -> None:
    allowed = EVENT_ROLES[doc_type][kind]
    info = {**INFOS[doc_type], "merchant_id": "m1"}  # every device below is in scope
    devices = [COURIER, DEPOT, MERCHANT, OFFICE]
    for device in devices:
        change = Change(
            doc_type=doc_type,
            created=False,
            info_before=info,
            info_after=info,
            new_events=events(device, kind),
            status_before=S.CREATED if doc_type == SHIPMENT else None,
        )
        refusal = check_change(device, change)
        if device.role in allowed or device.role == Role.OFFICE:
            assert refusal is None, (device.role, kind, refusal)
        else:
            assert refusal is not None and refusal.code == "forbidden_event", (device.role, kind)


def test_every_event_type_is_in_the_roles_table() -> None:
    listed = {k for table in EVENT_ROLES.values() for k in table}
    assert listed == set(SAMPLE_PAYLOADS)


def test_refusal_messages_say_who_and_what() -> None:
    refusal = check_change(
        COURIER, Row("x", COURIER, edits={"address": "y", "cod_amount": 0}).change()
    )
    assert refusal is not None
    assert "courier" in refusal.message
    assert "address, cod_amount" in refusal.message

    refusal = check_change(
        COURIER, Row("x", COURIER, new_events=events(OTHER_COURIER, "delivered")).change()
    )
    assert refusal is not None
    assert OTHER_COURIER.id in refusal.message and COURIER.id in refusal.message


def test_changed_fields() -> None:
    change = Change(
        doc_type=SHIPMENT,
        created=False,
        info_before={"a": 1, "b": 2, "c": 3},
        info_after={"a": 1.0, "b": 5, "d": 4},  # Yjs gives 1.0 back for 1: not a change
        new_events=(),
    )
    assert change.changed_fields == {"b", "c", "d"}
