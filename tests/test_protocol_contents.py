"""The pure content rules (protocol.contents), case by case, without any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.contents import DEFAULT_MAX_SKEW_MS, Facts, check_contents, facts_needed
from protocol.events import decode_event
from protocol.ids import courier_book_id, depot_book_id, new_id
from protocol.lifecycle import transition_error
from protocol.permissions import Change, Device
from protocol.vocab import DocType, Role, ShipmentStatus
from server.run import skew_from_env

NOW = 1_790_000_000_000
COURIER = Device("hh1", Role.COURIER, depot_id="D1", courier_id="C1")
DEPOT = Device("dp1", Role.DEPOT, depot_id="D1")
MERCHANT = Device("m1", Role.MERCHANT, merchant_id="M1")


def event(kind: str, device: Device, actor: str, wall: int = NOW, **payload: Any) -> Any:
    raw = {"id": new_id(), "type": kind, "hlc": f"{wall:013d}.000000.{device.id}"}
    raw |= {"device": device.id, "actor": actor, "payload": payload}
    return decode_event(DocType.SHIPMENT if kind != "collected" else DocType.CASHBOOK, raw)


def change(*events: Any, **fields: Any) -> Change:
    fields.setdefault("doc_type", DocType.SHIPMENT)
    fields.setdefault("created", False)
    fields.setdefault("info_before", {})
    fields.setdefault("info_after", fields["info_before"])
    return Change(new_events=events, **fields)


def code(device: Device, c: Change, facts: Facts | None = None) -> str | None:
    refusal = check_contents(device, c, facts or Facts(NOW))
    return refusal.code if refusal else None


def test_the_skew_bound_is_inclusive_and_the_default_is_hours():
    assert DEFAULT_MAX_SKEW_MS == 4 * 3_600_000
    at = event("attempt_failed", COURIER, "C1", NOW + DEFAULT_MAX_SKEW_MS, reason="not_home")
    over = event("attempt_failed", COURIER, "C1", NOW + DEFAULT_MAX_SKEW_MS + 1, reason="refused")
    assert code(COURIER, change(at)) is None
    assert code(COURIER, change(over)) == "hlc_in_future"
    assert code(COURIER, change(over), Facts(None)) is None  # no clock, no bound


@pytest.mark.parametrize(
    ("device", "actor", "ok"),
    [
        (COURIER, "C1", True),
        (COURIER, "C2", False),
        (COURIER, "hh1", False),
        (DEPOT, "dp1", True),
        (DEPOT, "dp1/anna", True),
        (DEPOT, "C1", False),
        (DEPOT, "dp10", False),
        (MERCHANT, "m1", True),
        (MERCHANT, "merchant M1", False),
        (Device("o", Role.OFFICE), "finance", True),
    ],
)
def test_the_actor_is_the_devices_person(device: Device, actor: str, ok: bool):
    e = event("marked_lost", device, actor)
    assert (code(device, change(e)) != "wrong_actor") is ok


def test_a_depot_records_for_its_own_depot():
    here = event("received_at_depot", DEPOT, "dp1", depot_id="D1")
    there = event("received_at_depot", DEPOT, "dp1", depot_id="D2")
    assert code(DEPOT, change(here)) is None
    assert code(DEPOT, change(there)) == "wrong_depot"


def _book(owner_kind: str, owner: str, depot: str, courier: str = "") -> dict[str, str]:
    return {
        "owner_kind": owner_kind,
        "owner_id": owner,
        "day": "2026-12-04",
        "currency": "EUR",
        "depot_id": depot,
        "courier_id": courier,
    }


@pytest.mark.parametrize(
    ("device", "doc_id", "info", "ok"),
    [
        (COURIER, courier_book_id("C1", "2026-12-04"), _book("courier", "C1", "D1", "C1"), True),
        (COURIER, courier_book_id("C2", "2026-12-04"), _book("courier", "C1", "D1", "C1"), False),
        (COURIER, courier_book_id("C1", "2026-12-04"), _book("courier", "C2", "D1", "C1"), False),
        (COURIER, courier_book_id("C1", "2026-12-04"), _book("courier", "C1", "D2", "C1"), False),
        (COURIER, courier_book_id("C1", "2026-12-04"), _book("depot", "C1", "D1", "C1"), False),
        (DEPOT, depot_book_id("D1", "2026-12-04"), _book("depot", "D1", "D1"), True),
        (DEPOT, depot_book_id("D2", "2026-12-04"), _book("depot", "D1", "D1"), False),
    ],
)
def test_a_new_cash_book_belongs_to_its_writer(
    device: Device, doc_id: str, info: dict[str, str], ok: bool
):
    c = change(doc_type=DocType.CASHBOOK, created=True, info_after=info, doc_id=doc_id)
    assert (code(device, c) is None) is ok


def test_cancel_only_before_pickup_on_every_path():
    for status in ShipmentStatus:
        allowed = status in (ShipmentStatus.CREATED, ShipmentStatus.AT_DEPOT)
        assert (transition_error(status, "cancelled") is None) is allowed
        cancel = event("cancelled", MERCHANT, "m1")
        c = change(cancel, status_before=status, info_before={"merchant_id": "M1"})
        assert (code(MERCHANT, c) is None) is allowed


def test_a_depot_assigns_only_couriers_enrolled_with_it():
    assign = change(
        info_before={"depot_id": "D1"}, info_after={"depot_id": "D1", "courier_id": "X"}
    )
    assert facts_needed(DEPOT, assign).couriers == {"X"}
    elsewhere = Facts(NOW, courier_depots={"X": frozenset({"D2"})})
    here = Facts(NOW, courier_depots={"X": frozenset({"D1", "D2"})})
    assert code(DEPOT, assign, elsewhere) == "courier_of_other_depot"
    assert code(DEPOT, assign, here) is None
    assert code(DEPOT, assign, Facts(NOW, courier_depots={})) is None  # not enrolled yet
    mine = {"merchant_id": "M1"}
    routed = change(info_before=mine, info_after=mine | {"courier_id": "X"})
    assert code(MERCHANT, routed, here) == "forbidden_field"


def test_a_route_record_states_the_route_the_update_sets():
    before = {"depot_id": "D1", "courier_id": "A", "route_day": "2026-12-08", "route_seq": 1.0}
    after = before | {"courier_id": "X", "route_seq": 4.0}  # Yjs numbers are floats
    said = {"courier_id": "X", "route_day": "2026-12-08", "route_seq": 4}
    record = event("reassigned", DEPOT, "dp1/ana", **said)
    assert code(DEPOT, change(record, info_before=before, info_after=after)) is None
    assert facts_needed(DEPOT, change(record, info_before=before)).couriers == {"X"}
    lie = event("reassigned", DEPOT, "dp1/ana", **(said | {"courier_id": "Y"}))
    wrong = change(lie, info_before=before, info_after=after)
    assert code(DEPOT, wrong) == "route_record_mismatch"
    elsewhere = Facts(NOW, courier_depots={"X": frozenset({"D2"})})
    assert code(DEPOT, change(record, info_before=before), elsewhere) == "courier_of_other_depot"


def test_a_tracking_number_is_held_once_and_issued_to_merchants():
    info = {"merchant_id": "M1", "tracking_number": "PS1", "currency": "EUR"}
    created = change(created=True, info_after=info, doc_id="s1")
    assert facts_needed(MERCHANT, created).tracking_numbers == {"PS1"}
    issued = Facts(NOW, tracking_holders={"PS1": frozenset({"s1"})})
    other = Facts(NOW, tracking_holders={"PS1": frozenset({"s2"})})
    assert code(MERCHANT, created, issued) is None
    assert code(MERCHANT, created, other) == "tracking_number_taken"
    assert code(MERCHANT, created, Facts(NOW, tracking_holders={})) == "tracking_number_not_issued"
    office = Device("o", Role.OFFICE)
    assert code(office, created, Facts(NOW, tracking_holders={})) is None  # unique is enough
    assert code(office, created, other) == "tracking_number_taken"


def test_the_skew_comes_from_the_environment_in_minutes():
    assert skew_from_env({}) == DEFAULT_MAX_SKEW_MS
    assert skew_from_env({"PARCELSYNC_MAX_CLOCK_SKEW_MINUTES": "30"}) == 30 * 60_000
    for bad in ("0", "-5", "1h", "2.5"):
        with pytest.raises(ValueError, match="PARCELSYNC_MAX_CLOCK_SKEW_MINUTES"):
            skew_from_env({"PARCELSYNC_MAX_CLOCK_SKEW_MINUTES": bad})
