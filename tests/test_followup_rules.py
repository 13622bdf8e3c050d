"""The follow-ups' pure rules: who may emit each new event kind and from which status,
the folds (found, hand-back, attempts, corrections), stuck in ``created``, slot formats,
the COD released at a hand-back."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.alerts import Thresholds, exceptions
from protocol.contents import Facts, check_contents
from protocol.delivery import effective_info, pending_requests
from protocol.followups import correction_refused, decision_refused
from protocol.info import ShipmentInfo
from protocol.ledger import ShipmentRecord
from protocol.lifecycle import fold_shipment
from protocol.permissions import Change, Device, check_change
from protocol.reconcile import reconcile
from protocol.slots import slot_moment
from protocol.statement import Period
from protocol.vocab import DocType, Role, ShipmentStatus

from .factories import ev

S = ShipmentStatus
T = 1_790_000_000_000
HOUR = 3_600_000
INFO = ShipmentInfo("M1", "TN1", "EUR", address="Old 1", cod_amount=2500, depot_id="D1")
OFFICE = Device("of1", Role.OFFICE)
DEPOT = Device("dp1", Role.DEPOT, depot_id="D1")
COURIER = Device("hh1", Role.COURIER, depot_id="D1", courier_id="C1")
MERCHANT = Device("m1", Role.MERCHANT, merchant_id="M1")
ACTOR = {OFFICE: "office", DEPOT: "dp1", COURIER: "C1", MERCHANT: "m1"}


def refusal(device: Device, kind: str, status: S, **payload: Any) -> str | None:
    payload = {"depot_id": "D1"} | payload if kind == "handed_to_merchant" else payload
    event = ev(kind, T, device=device.id, actor=ACTOR[device], **payload)
    info = {"merchant_id": "M1", "depot_id": "D1", "courier_id": "C1"}
    routed = (
        info | {k: getattr(event.payload, k) for k in ("courier_id", "route_day", "route_seq")}
        # the routing fields change in the same update (a courier's attempt is judged on
        # the event alone: moving its own routing fields is refused before it)
        if kind == "reassigned" and device.role != Role.COURIER
        else info
    )
    change = Change(DocType.SHIPMENT, False, info, routed, (event,), status_before=status)
    found = check_change(device, change) or check_contents(device, change, Facts(T))
    return found.code if found else None


@pytest.mark.parametrize(
    ("device", "kind", "status", "code"),
    [
        (MERCHANT, "sender_decision", S.ON_HOLD, None),
        (MERCHANT, "sender_decision", S.AT_DEPOT, "transition_refused"),
        (COURIER, "sender_decision", S.ON_HOLD, "forbidden_event"),
        (MERCHANT, "delivery_changed", S.AT_DEPOT, None),
        (MERCHANT, "delivery_changed", S.OUT_FOR_DELIVERY, "transition_refused"),
        (DEPOT, "delivery_changed", S.AT_DEPOT, "forbidden_event"),
        (MERCHANT, "change_requested", S.OUT_FOR_DELIVERY, None),
        (MERCHANT, "change_requested", S.CREATED, "transition_refused"),
        (DEPOT, "change_answered", S.OUT_FOR_DELIVERY, None),
        (MERCHANT, "change_answered", S.OUT_FOR_DELIVERY, "forbidden_event"),
        (DEPOT, "handed_to_merchant", S.RETURNED_TO_ORIGIN, None),
        (DEPOT, "handed_to_merchant", S.RETURNING_TO_ORIGIN, "transition_refused"),
        (COURIER, "handed_to_merchant", S.RETURNED_TO_ORIGIN, "forbidden_event"),
        (OFFICE, "found", S.LOST, None),
        (OFFICE, "found", S.AT_DEPOT, "transition_refused"),
        (DEPOT, "found", S.LOST, "forbidden_event"),
        (DEPOT, "reassigned", S.AT_DEPOT, None),
        (COURIER, "reassigned", S.AT_DEPOT, "forbidden_event"),
        (OFFICE, "recipient_request", S.OUT_FOR_DELIVERY, None),
        (OFFICE, "recipient_request", S.DELIVERED, "transition_refused"),
        (MERCHANT, "recipient_request", S.AT_DEPOT, "forbidden_event"),
        (COURIER, "recipient_request", S.AT_DEPOT, "forbidden_event"),
    ],
)
def test_who_may_emit_each_follow_up_and_when(
    device: Device, kind: str, status: S, code: str | None
) -> None:
    assert refusal(device, kind, status) == code


def test_a_decision_or_correction_on_any_path_names_no_past_day_and_a_readable_slot() -> None:
    day = "2026-09-21"  # the receiver's day at T
    assert refusal(MERCHANT, "sender_decision", S.ON_HOLD, route_day=day) is None
    past = refusal(MERCHANT, "sender_decision", S.ON_HOLD, route_day="2026-09-20")
    assert past == "delivery_refused"
    slot = refusal(MERCHANT, "delivery_changed", S.CREATED, slot_start="18:00", slot_end="09:00")
    assert slot == "delivery_refused"
    asked = refusal(OFFICE, "recipient_request", S.AT_DEPOT, route_day="2026-09-20")
    assert asked == "delivery_refused"


def test_a_hand_back_names_the_depot_of_its_writer() -> None:
    wrong = refusal(DEPOT, "handed_to_merchant", S.RETURNED_TO_ORIGIN, depot_id="D2")
    assert wrong == "wrong_depot"


def test_found_again_and_handed_back_fold() -> None:
    lost = [ev("created", T), ev("marked_lost", T + 1, liable="carrier")]
    assert fold_shipment(lost, None).status == S.LOST
    state = fold_shipment([*lost, ev("found", T + 2)], None)
    assert state.status == S.AT_DEPOT and state.created_at == lost[0].hlc
    back = [ev("created", T), ev("attempt_failed", T + 1, reason="refused")]
    back.append(ev("returned_to_origin", T + 2))
    signed = ev("handed_to_merchant", T + 3)
    assert fold_shipment([*back, signed], None).handed_back_at == signed.hlc
    early = fold_shipment([back[0], signed], None)  # before it is back: nothing happens
    assert early.handed_back_at is None and early.status == S.CREATED


def test_the_created_event_carries_the_attempts_before_the_return() -> None:
    fails = [ev("attempt_failed", T + i, reason="not_home") for i in (1, 2)]
    once = [ev("created", T, max_attempts=1), *fails[:1]]
    assert fold_shipment(once, None).status == S.RETURNING_TO_ORIGIN
    default = [ev("created", T), *fails]
    assert fold_shipment(default, None).status == S.ATTEMPT_FAILED  # 3 by default
    assert fold_shipment(default, None, max_attempts=2).status == S.RETURNING_TO_ORIGIN


def test_corrections_apply_in_fold_order_and_only_accepted_requests_count() -> None:
    asked = ev("change_requested", T + 2, address="Asked 3", slot_start="", slot_end="")
    events = [
        ev("delivery_changed", T + 1, address="Fixed 2", reason=""),
        asked,
        ev("change_answered", T + 3, request_id=asked.id, accepted=False, reason="full"),
    ]
    assert effective_info(INFO, events).address == "Fixed 2"
    assert pending_requests(events) == []
    again = ev("change_requested", T + 4, address="Asked 4", slot_start="", slot_end="")
    yes = ev("change_answered", T + 5, request_id=again.id, accepted=True)
    later = [*events, again, yes, ev("reassigned", T + 6, route_day="2026-12-20")]
    info = effective_info(INFO, reversed(later))
    assert (info.address, info.route_day) == ("Asked 4", "2026-12-20")
    assert pending_requests([*events, again]) == [again]


def test_refusals_name_the_field() -> None:
    fields = ev("delivery_changed", T, address="", reason="").payload
    assert str(correction_refused(S.CREATED, fields, "2026-12-08", [])).startswith("address:")
    moved = ev("delivery_changed", T, address="New 2", reason="").payload
    assert "decision" in correction_refused(S.ON_HOLD, moved, "2026-12-08", []).message
    day = ev("sender_decision", T, route_day="2026-12-07").payload
    assert decision_refused(S.ON_HOLD, "reattempt", day, "2026-12-08").field == "route_day"
    assert decision_refused(S.ON_HOLD, "reattempt", day, "2026-12-07") is None
    assert decision_refused(S.DELIVERED, "return", day, "2026-12-07").field == "status"


@pytest.mark.parametrize(
    ("bound", "day", "ms"),
    [
        ("10:00", "2026-12-08", 1_796_724_000_000),
        ("10:00:00", "2026-12-08", 1_796_724_000_000),
        ("2026-12-08T10:00", "", 1_796_724_000_000),
        ("2026-12-08T10:00:00Z", "", 1_796_724_000_000),
        ("2026-12-08T12:00+02:00", "", 1_796_724_000_000),
    ],
)
def test_every_slot_format_names_one_moment(bound: str, day: str, ms: int) -> None:
    moment = slot_moment(bound, day)
    assert moment is not None and int(moment.timestamp() * 1000) == ms


def _recon(*records: ShipmentRecord) -> Any:
    return reconcile(records, [], [], terms={}, limits={}, period=Period(), today="2026-12-08")


def test_a_shipment_left_in_created_is_stuck_like_any_other() -> None:
    recon = _recon(ShipmentRecord("s1", INFO, (ev("created", T),)))
    stuck = Thresholds(stuck_ms=48 * HOUR)
    assert [a.kind for a in exceptions(recon, [], stuck, T + 47 * HOUR)] == []
    (alert,) = exceptions(recon, [], stuck, T + 49 * HOUR)
    assert (alert.kind, alert.subject, alert.since_ms) == ("stuck", "s1", T)


def test_a_hand_back_releases_the_frozen_cod_to_the_recipient() -> None:
    events = [
        ev("created", T),
        ev("cod_collected", T + 1, actor="C1"),
        ev("attempt_failed", T + 2, reason="refused"),
        ev("returned_to_origin", T + 3),
    ]
    frozen = _recon(ShipmentRecord("s1", INFO, tuple(events)))
    assert frozen.statements[0].lines[0].frozen == 2500
    signed = ev("handed_to_merchant", T + 4)
    recon = _recon(ShipmentRecord("s1", INFO, (*events, signed)))
    (line,) = recon.statements[0].lines
    assert (line.frozen, line.reversed, line.payable) == (0, 2500, 0)
    assert ("recipient:s1", "EUR") not in recon.journal.balances()
    (release,) = [t for t in recon.journal.transfers if t.kind == "release"]
    assert (release.debit, release.amount, release.event_id) == ("courier:C1", 2500, signed.id)
