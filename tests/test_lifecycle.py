"""Shipment lifecycle fold: statuses, re-attempts, RTO, holds, conflicts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.conflicts import make_conflict
from protocol.events import ConflictResolved, Delivered, Event
from protocol.lifecycle import DEFAULT_MAX_ATTEMPTS, fold_shipment, sort_events
from protocol.money import Money
from protocol.vocab import (
    FAILURE_OUTCOME,
    ConflictKind,
    DocType,
    FailureOutcome,
    FailureReason,
    ShipmentStatus,
)
from tests.factories import CLASSES, eur, ev

S = ShipmentStatus
K = ConflictKind
COD = eur(2500)

Step = tuple[str, dict[str, Any]]


def step(kind: str, **payload: Any) -> Step:
    return (kind, payload)


CREATED = step("created")
AT_DEPOT = step("received_at_depot")
OUT = step("out_for_delivery")
DELIVERED = step("delivered")
LOST = step("marked_lost")
CANCEL = step("cancelled")
BACK = step("returned_to_origin")


def fail(reason: str = "not_home") -> Step:
    return step("attempt_failed", reason=reason)


def decide(decision: str) -> Step:
    return step("sender_decision", decision=decision)


def collect(amount: int = 2500, currency: str = "EUR") -> Step:
    return step("cod_collected", amount=amount, currency=currency)


def build(steps: list[Step]) -> list[Event]:
    """One event per step, 100 ms apart, in the order written."""
    return [ev(kind, (i + 1) * 100, **payload) for i, (kind, payload) in enumerate(steps)]


@dataclass(frozen=True)
class Case:
    name: str
    steps: list[Step]
    status: ShipmentStatus
    attempts: int = 0
    conflicts: tuple[tuple[ConflictKind, tuple[int, ...]], ...] = ()
    cod: Money | None = COD
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


ROUND = [OUT, fail()]  # one delivery round that fails with a next-attempt reason

CASES = [
    # --- the happy path
    Case("nothing but created", [CREATED], S.CREATED),
    Case("no events at all", [], S.CREATED),
    Case("received at depot", [CREATED, AT_DEPOT], S.AT_DEPOT),
    Case("out for delivery", [CREATED, AT_DEPOT, OUT], S.OUT_FOR_DELIVERY),
    Case("delivered", [CREATED, AT_DEPOT, OUT, DELIVERED], S.DELIVERED),
    Case("delivered with COD", [CREATED, AT_DEPOT, OUT, collect(), DELIVERED], S.DELIVERED),
    Case("prepaid, delivered", [CREATED, AT_DEPOT, OUT, DELIVERED], S.DELIVERED, cod=None),
    # --- re-attempt cycles
    Case("one failed attempt", [CREATED, AT_DEPOT, *ROUND], S.ATTEMPT_FAILED, 1),
    Case("failed, back at depot", [AT_DEPOT, *ROUND, AT_DEPOT], S.AT_DEPOT, 1),
    Case("failed, out again", [AT_DEPOT, *ROUND, OUT], S.OUT_FOR_DELIVERY, 1),
    Case(
        "two failures then delivered",
        [AT_DEPOT, *ROUND, AT_DEPOT, *ROUND, OUT, DELIVERED],
        S.DELIVERED,
        2,
    ),
    Case("two failures", [AT_DEPOT, *ROUND, *ROUND], S.ATTEMPT_FAILED, 2),
    Case(
        "third failure returns to origin",
        [AT_DEPOT, *ROUND, *ROUND, *ROUND],
        S.RETURNING_TO_ORIGIN,
        3,
    ),
    Case(
        "third failure with different next-attempt reasons",
        [AT_DEPOT, OUT, fail("no_access"), OUT, fail("cash_not_ready"), OUT, fail("missorted")],
        S.RETURNING_TO_ORIGIN,
        3,
    ),
    Case(
        "RTO completes at the merchant",
        [AT_DEPOT, *ROUND, *ROUND, *ROUND, AT_DEPOT, BACK],
        S.RETURNED_TO_ORIGIN,
        3,
    ),
    Case(
        "no delivery round once returning",
        [AT_DEPOT, *ROUND, *ROUND, *ROUND, OUT, fail()],
        S.RETURNING_TO_ORIGIN,
        3,
    ),
    Case(
        "N=1: first failure returns", [AT_DEPOT, *ROUND], S.RETURNING_TO_ORIGIN, 1, max_attempts=1
    ),
    Case(
        "N=5: four failures keep trying",
        [AT_DEPOT, *ROUND * 4],
        S.ATTEMPT_FAILED,
        4,
        max_attempts=5,
    ),
    Case(
        "N=5: fifth failure returns",
        [AT_DEPOT, *ROUND * 5],
        S.RETURNING_TO_ORIGIN,
        5,
        max_attempts=5,
    ),
    # --- hold for the sender's decision
    Case("hold", [AT_DEPOT, OUT, fail("address_incomplete")], S.ON_HOLD, 1),
    Case("hold: new date", [AT_DEPOT, OUT, fail("new_date_requested")], S.ON_HOLD, 1),
    Case("hold: COD disputed", [AT_DEPOT, OUT, fail("cod_amount_disputed")], S.ON_HOLD, 1),
    Case(
        "no delivery round while on hold",
        [AT_DEPOT, OUT, fail("address_incomplete"), AT_DEPOT, OUT],
        S.ON_HOLD,
        1,
    ),
    Case(
        "sender says reattempt",
        [AT_DEPOT, OUT, fail("address_incomplete"), decide("reattempt")],
        S.ATTEMPT_FAILED,
        1,
    ),
    Case(
        "sender says reattempt, then delivered",
        [AT_DEPOT, OUT, fail("address_incomplete"), decide("reattempt"), OUT, DELIVERED],
        S.DELIVERED,
        1,
    ),
    Case(
        "sender says return",
        [AT_DEPOT, OUT, fail("new_date_requested"), decide("return")],
        S.RETURNING_TO_ORIGIN,
        1,
    ),
    Case(
        "sender says return, parcel back at merchant",
        [AT_DEPOT, OUT, fail("new_date_requested"), decide("return"), BACK],
        S.RETURNED_TO_ORIGIN,
        1,
    ),
    Case(
        "returned straight from hold",
        [AT_DEPOT, OUT, fail("address_incomplete"), BACK],
        S.RETURNED_TO_ORIGIN,
        1,
    ),
    Case(
        "a decision without a hold is ignored",
        [AT_DEPOT, OUT, decide("return")],
        S.OUT_FOR_DELIVERY,
    ),
    Case(
        "a hold on the last attempt waits for the sender",
        [AT_DEPOT, *ROUND, *ROUND, OUT, fail("address_incomplete")],
        S.ON_HOLD,
        3,
    ),
    Case(
        "reattempt after a hold on the last attempt: next failure returns",
        [AT_DEPOT, *ROUND, *ROUND, OUT, fail("address_incomplete"), decide("reattempt"), *ROUND],
        S.RETURNING_TO_ORIGIN,
        4,
    ),
    # --- direct return
    Case("refused at the door", [AT_DEPOT, OUT, fail("refused")], S.RETURNING_TO_ORIGIN, 1),
    Case("damaged", [AT_DEPOT, OUT, fail("damaged")], S.RETURNING_TO_ORIGIN, 1),
    Case(
        "attempts exhausted declared",
        [AT_DEPOT, OUT, fail("attempts_exhausted")],
        S.RETURNING_TO_ORIGIN,
        1,
    ),
    Case(
        "refused on a second round",
        [AT_DEPOT, *ROUND, OUT, fail("refused"), BACK],
        S.RETURNED_TO_ORIGIN,
        2,
    ),
    # --- cancellation and loss
    Case("cancelled before pickup", [CREATED, CANCEL], S.CANCELLED),
    Case("cancelled at the depot", [CREATED, AT_DEPOT, CANCEL], S.CANCELLED),
    Case(
        "cancel once out for delivery is a conflict",
        [AT_DEPOT, OUT, CANCEL],
        S.OUT_FOR_DELIVERY,
        conflicts=((K.EVENT_AFTER_FINAL, (2,)),),
    ),
    Case("lost at the depot", [AT_DEPOT, LOST], S.LOST),
    Case("lost while on hold", [AT_DEPOT, OUT, fail("address_incomplete"), LOST], S.LOST, 1),
    # --- conflicts
    Case(
        "delivered then marked lost",
        [AT_DEPOT, OUT, DELIVERED, LOST],
        S.DELIVERED,
        conflicts=((K.DELIVERED_AND_LOST, (2, 3)),),
    ),
    Case(
        "marked lost then delivered",
        [AT_DEPOT, OUT, LOST, DELIVERED],
        S.DELIVERED,
        conflicts=((K.DELIVERED_AND_LOST, (2, 3)),),
    ),
    Case(
        "two proofs of delivery",
        [AT_DEPOT, OUT, DELIVERED, step("delivered", recipient_name="Neighbour")],
        S.DELIVERED,
        conflicts=((K.DOUBLE_DELIVERY, (2, 3)),),
    ),
    Case(
        "COD collected twice",
        [AT_DEPOT, OUT, collect(), collect(), DELIVERED],
        S.DELIVERED,
        conflicts=((K.DOUBLE_COLLECTION, (2, 3)),),
    ),
    Case(
        "COD collected three times",
        [AT_DEPOT, OUT, collect(), collect(), collect()],
        S.OUT_FOR_DELIVERY,
        conflicts=((K.DOUBLE_COLLECTION, (2, 3)), (K.DOUBLE_COLLECTION, (2, 4))),
    ),
    Case(
        "COD amount differs from expected",
        [AT_DEPOT, OUT, collect(2400), DELIVERED],
        S.DELIVERED,
        conflicts=((K.COD_AMOUNT_MISMATCH, (2,)),),
    ),
    Case(
        "COD in the wrong currency",
        [AT_DEPOT, OUT, collect(2500, "USD"), DELIVERED],
        S.DELIVERED,
        conflicts=((K.COD_AMOUNT_MISMATCH, (2,)),),
    ),
    Case(
        "COD collected on a prepaid shipment",
        [AT_DEPOT, OUT, collect(), DELIVERED],
        S.DELIVERED,
        conflicts=((K.COD_AMOUNT_MISMATCH, (2,)),),
        cod=None,
    ),
    Case(
        "collected twice, second amount wrong",
        [AT_DEPOT, OUT, collect(), collect(2000)],
        S.OUT_FOR_DELIVERY,
        conflicts=((K.DOUBLE_COLLECTION, (2, 3)), (K.COD_AMOUNT_MISMATCH, (3,))),
    ),
    Case(
        "delivered after cancellation",
        [CREATED, CANCEL, DELIVERED],
        S.DELIVERED,
        conflicts=((K.EVENT_AFTER_FINAL, (2,)),),
    ),
    Case(
        "delivered after return to origin",
        [AT_DEPOT, OUT, fail("refused"), BACK, DELIVERED],
        S.DELIVERED,
        1,
        conflicts=((K.EVENT_AFTER_FINAL, (4,)),),
    ),
    Case(
        "failure recorded after delivery",
        [AT_DEPOT, OUT, DELIVERED, fail()],
        S.DELIVERED,
        conflicts=((K.EVENT_AFTER_FINAL, (3,)),),
    ),
    Case(
        "lost after return to origin",
        [AT_DEPOT, OUT, fail("refused"), BACK, LOST],
        S.RETURNED_TO_ORIGIN,
        1,
        conflicts=((K.EVENT_AFTER_FINAL, (4,)),),
    ),
    Case(
        "returned after delivery",
        [AT_DEPOT, OUT, DELIVERED, BACK],
        S.DELIVERED,
        conflicts=((K.EVENT_AFTER_FINAL, (3,)),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_lifecycle_table(case: Case) -> None:
    events = build(case.steps)
    state = fold_shipment(events, case.cod, max_attempts=case.max_attempts)
    assert state.status == case.status
    assert state.attempts == case.attempts
    expected = [make_conflict(kind, [events[i] for i in idx], "") for kind, idx in case.conflicts]
    assert [(c.kind, c.id, c.event_ids) for c in state.conflicts] == [
        (c.kind, c.id, c.event_ids) for c in expected
    ]
    assert all(c.message for c in state.conflicts)
    assert state.open_conflicts == state.conflicts
    # Arrival order never matters.
    shuffled = events[::-1] + events[:2]
    random.Random(case.name).shuffle(shuffled)
    assert fold_shipment(shuffled, case.cod, max_attempts=case.max_attempts) == state


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_reason_has_its_outcome(reason: FailureReason) -> None:
    state = fold_shipment(build([AT_DEPOT, OUT, fail(reason)]), COD)
    expected = {
        FailureOutcome.NEXT_ATTEMPT: S.ATTEMPT_FAILED,
        FailureOutcome.HOLD: S.ON_HOLD,
        FailureOutcome.RETURN: S.RETURNING_TO_ORIGIN,
    }[FAILURE_OUTCOME[reason]]
    assert state.status == expected
    assert state.attempts == 1


def test_every_failure_reason_has_an_outcome() -> None:
    assert set(FAILURE_OUTCOME) == set(FailureReason)


def test_history_records_each_status_change_with_its_hlc() -> None:
    events = build([CREATED, AT_DEPOT, OUT, fail(), AT_DEPOT, AT_DEPOT, OUT, DELIVERED])
    state = fold_shipment(events, COD)
    assert state.history == (
        (events[1].hlc, S.AT_DEPOT),
        (events[2].hlc, S.OUT_FOR_DELIVERY),
        (events[3].hlc, S.ATTEMPT_FAILED),
        (events[4].hlc, S.AT_DEPOT),
        (events[6].hlc, S.OUT_FOR_DELIVERY),
        (events[7].hlc, S.DELIVERED),
    )
    assert state.delivered_at == events[7].hlc


def test_first_proof_of_delivery_stands() -> None:
    first = ev("delivered", 300, recipient_name="Recipient")
    second = ev("delivered", 200, node="hh-2", recipient_name="Neighbour", relation="neighbour")
    # Fold order is HLC order: the earlier HLC is "first", whatever arrived first.
    state = fold_shipment([first, second], COD)
    assert state.delivered_at == second.hlc
    (conflict,) = state.conflicts
    assert conflict.kind == K.DOUBLE_DELIVERY
    assert set(conflict.event_ids) == {first.id, second.id}


def test_delivered_and_lost_conflict_has_one_id_whatever_the_order() -> None:
    delivered = ev("delivered", 100, node="hh-1")
    lost = ev("marked_lost", 100, node="depot")
    ids = set()
    for d_ms, l_ms in [(100, 200), (200, 100)]:
        d = ev("delivered", d_ms, id=delivered.id)
        lost_ = ev("marked_lost", l_ms, id=lost.id)
        state = fold_shipment([d, lost_], COD)
        assert state.status == S.DELIVERED
        (conflict,) = state.conflicts
        assert conflict.kind == K.DELIVERED_AND_LOST
        ids.add(conflict.id)
    assert len(ids) == 1


def test_both_cod_collections_are_kept() -> None:
    events = build([OUT, collect(), collect()])
    state = fold_shipment(events, COD)
    assert [c.event_id for c in state.collections] == [events[1].id, events[2].id]
    assert [c.amount for c in state.collections] == [COD, COD]
    assert [c.hlc for c in state.collections] == [events[1].hlc, events[2].hlc]
    assert all(c.method == "cash" for c in state.collections)


def test_card_payment_is_recorded_with_its_method() -> None:
    state = fold_shipment(build([OUT, step("cod_collected", method="card")]), COD)
    assert state.collections[0].method == "card"
    assert state.conflicts == ()


def test_mismatch_message_names_both_amounts() -> None:
    state = fold_shipment(build([OUT, collect(2400)]), COD)
    (conflict,) = state.conflicts
    assert "EUR 24.00" in conflict.message
    assert "EUR 25.00" in conflict.message


# --- conflict resolution ------------------------------------------------------------


def _delivered_and_lost() -> tuple[list[Event], str]:
    events = build([AT_DEPOT, OUT, DELIVERED, LOST])
    (conflict,) = fold_shipment(events, COD).conflicts
    return events, conflict.id


def test_conflict_resolved_marks_the_conflict_resolved() -> None:
    events, conflict_id = _delivered_and_lost()
    resolve = ev("conflict_resolved", 900, node="central", conflict_id=conflict_id)
    state = fold_shipment([*events, resolve], COD)
    assert state.status == S.DELIVERED
    (conflict,) = state.conflicts
    assert conflict.resolved
    assert state.open_conflicts == ()


def test_conflict_resolved_can_set_the_status() -> None:
    events, conflict_id = _delivered_and_lost()
    resolve = ev("conflict_resolved", 900, node="central", conflict_id=conflict_id, status="lost")
    state = fold_shipment([*events, resolve], COD)
    assert state.status == S.LOST
    assert state.history[-1] == (resolve.hlc, S.LOST)
    assert state.open_conflicts == ()


def test_resolving_an_unknown_conflict_changes_nothing() -> None:
    events, _ = _delivered_and_lost()
    resolve = ev("conflict_resolved", 900, conflict_id="double_delivery:nope")
    state = fold_shipment([*events, resolve], COD)
    assert len(state.open_conflicts) == 1
    assert state.status == S.DELIVERED


def test_resolution_only_covers_the_conflict_it_names() -> None:
    events = build([OUT, collect(), collect(2000), DELIVERED])
    before = fold_shipment(events, COD)
    assert {c.kind for c in before.conflicts} == {K.DOUBLE_COLLECTION, K.COD_AMOUNT_MISMATCH}
    double = next(c for c in before.conflicts if c.kind == K.DOUBLE_COLLECTION)
    resolve = ev("conflict_resolved", 900, conflict_id=double.id)
    after = fold_shipment([*events, resolve], COD)
    assert [c.kind for c in after.open_conflicts] == [K.COD_AMOUNT_MISMATCH]


def test_sort_events_orders_by_hlc_then_id_and_drops_duplicates() -> None:
    a = ev("created", 100, id="b")
    b = ev("created", 100, id="a")
    c = ev("created", 50, id="z")
    assert sort_events([a, b, c, a, c]) == [c, b, a]


# --- properties --------------------------------------------------------------------

# every shipment event but conflict_resolved, which needs a flagged conflict to resolve
SHIPMENT_KINDS = [kind for kind in CLASSES[DocType.SHIPMENT] if kind != "conflict_resolved"]

PAYLOADS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "attempt_failed": st.fixed_dictionaries({"reason": st.sampled_from(list(FailureReason))}),
    "cod_collected": st.fixed_dictionaries(
        {"amount": st.sampled_from([2500, 2400]), "currency": st.sampled_from(["EUR", "USD"])}
    ),
    "sender_decision": st.fixed_dictionaries(
        {"decision": st.sampled_from(["reattempt", "return"])}
    ),
}
NODES = st.sampled_from(["hh-1", "hh-2", "depot", "central"])


@st.composite
def shipment_histories(draw: st.DrawFn) -> list[Event]:
    """A set of shipment events, some conflicting, some conflicts resolved."""
    uuids = draw(st.lists(st.uuids(), min_size=0, max_size=16, unique=True))
    n_resolutions = draw(st.integers(0, min(3, len(uuids))))
    events: list[Event] = []
    for uid in uuids[n_resolutions:]:
        kind = draw(st.sampled_from(SHIPMENT_KINDS))
        payload = draw(PAYLOADS.get(kind, st.just({})))
        events.append(
            ev(
                kind,
                draw(st.integers(0, 40)),  # narrow: many equal wall times
                id=str(uid),
                counter=draw(st.integers(0, 2)),
                node=draw(NODES),
                **payload,
            )
        )
    conflicts = fold_shipment(events, COD).conflicts
    for uid in uuids[:n_resolutions]:
        if not conflicts:
            break
        target = draw(st.sampled_from(conflicts))
        status = draw(st.none() | st.sampled_from(list(ShipmentStatus)))
        events.append(
            ev(
                "conflict_resolved",
                draw(st.integers(0, 50)),
                id=str(uid),
                node="central",
                conflict_id=target.id,
                status=status,
            )
        )
    return events


@settings(max_examples=200)
@given(
    events=shipment_histories(),
    data=st.data(),
    max_attempts=st.integers(1, 4),
    cod=st.sampled_from([COD, None, Money(2500, "USD")]),
)
def test_fold_shipment_ignores_arrival_order_and_duplicates(
    events: list[Event], data: st.DataObject, max_attempts: int, cod: Money | None
) -> None:
    expected = fold_shipment(events, cod, max_attempts=max_attempts)
    shuffled = data.draw(st.permutations(events), label="arrival order")
    duplicates = data.draw(st.lists(st.sampled_from(events)), label="re-sent") if events else []
    merged = data.draw(st.permutations(shuffled + duplicates), label="merged")
    assert fold_shipment(shuffled, cod, max_attempts=max_attempts) == expected
    assert fold_shipment(merged, cod, max_attempts=max_attempts) == expected
    assert fold_shipment(iter(merged), cod, max_attempts=max_attempts) == expected


@settings(max_examples=200)
@given(events=shipment_histories(), max_attempts=st.integers(1, 4))
def test_fold_shipment_invariants(events: list[Event], max_attempts: int) -> None:
    state = fold_shipment(events, COD, max_attempts=max_attempts)
    ordered = sort_events(events)
    by_kind: dict[type, list[Event]] = {}
    for event in ordered:
        by_kind.setdefault(type(event), []).append(event)

    # Conflicts have stable, unique ids and are resolved exactly when named.
    ids = [c.id for c in state.conflicts]
    assert len(ids) == len(set(ids))
    named = {e.payload.conflict_id for e in by_kind.get(ConflictResolved, [])}  # type: ignore[attr-defined]
    assert all(c.resolved == (c.id in named) for c in state.conflicts)

    # Every collection is kept, in fold order; nothing is counted twice.
    collected = [e for e in ordered if type(e).__name__ == "CodCollected"]
    assert [c.event_id for c in state.collections] == [e.id for e in collected]
    doubles = [c for c in state.conflicts if c.kind == K.DOUBLE_COLLECTION]
    assert len(doubles) == max(0, len(collected) - 1)
    mismatches = [c for c in state.conflicts if c.kind == K.COD_AMOUNT_MISMATCH]
    assert len(mismatches) == sum(1 for c in state.collections if c.amount != COD)

    # The first proof of delivery stands unless head office set another status.
    deliveries = by_kind.get(Delivered, [])
    assert state.delivered_at == (deliveries[0].hlc if deliveries else None)
    overrides = [e for e in by_kind.get(ConflictResolved, []) if e.payload.status is not None]  # type: ignore[attr-defined]
    if deliveries and not overrides:
        assert state.status == S.DELIVERED
    assert len([c for c in state.conflicts if c.kind == K.DOUBLE_DELIVERY]) == max(
        0, len(deliveries) - 1
    )

    # Attempts only count real failures; history follows the HLC order.
    failures = [e for e in ordered if type(e).__name__ == "AttemptFailed"]
    assert state.attempts <= len(failures)
    hlcs = [h for h, _ in state.history]
    assert hlcs == sorted(hlcs)
    if state.history:
        assert state.history[-1][1] == state.status
    assert all(a[1] != b[1] for a, b in zip(state.history, state.history[1:], strict=False))
