"""Return (RMA) fold: status, grades, stock movements, refunds, double grading."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.events import Event, ItemsInspected
from protocol.lifecycle import sort_events
from protocol.returns import fold_return
from protocol.vocab import ConflictKind, Disposition, Grade, ReturnStatus, StockSource, StockState
from tests.factories import ev

R = ReturnStatus


def steps(*kinds: str) -> list[Event]:
    return [ev(kind, (i + 1) * 100) for i, kind in enumerate(kinds)]


@pytest.mark.parametrize(
    ("kinds", "status"),
    [
        ((), R.REQUESTED),
        (("requested",), R.REQUESTED),
        (("requested", "picked_up"), R.PICKED_UP),
        (("requested", "picked_up", "received"), R.RECEIVED),
        (("requested", "picked_up", "received", "inspected"), R.INSPECTED),
        (("requested", "picked_up", "received", "inspected", "refunded"), R.COMPLETED),
        (("requested", "picked_up", "received", "inspected", "sent_back"), R.COMPLETED),
        (("requested", "picked_up", "received", "inspected", "restocked"), R.INSPECTED),
        # A refund before inspection does not complete the return yet...
        (("requested", "picked_up", "received", "refunded"), R.RECEIVED),
        # ...but it does once the items are graded.
        (("requested", "picked_up", "received", "refunded", "inspected"), R.COMPLETED),
        # Offline depots: a late "picked up" never moves the status back.
        (("requested", "received", "picked_up"), R.RECEIVED),
        (("requested", "inspected", "picked_up", "received"), R.INSPECTED),
        (("sent_back", "requested", "picked_up"), R.COMPLETED),
    ],
)
def test_return_status_table(kinds: tuple[str, ...], status: ReturnStatus) -> None:
    events = steps(*kinds)
    state = fold_return(events)
    assert state.status == status
    assert fold_return(events[::-1]) == state


def test_inspection_grades_and_dispositions_are_kept() -> None:
    state = fold_return(steps("requested", "picked_up", "received", "inspected"))
    assert [(i.sku, i.grade, i.disposition, i.quantity) for i in state.items] == [
        ("SKU-1", Grade.SELLABLE, Disposition.RESTOCK, 2),
        ("SKU-2", Grade.DAMAGED, Disposition.DISPOSE, 1),
    ]
    assert state.conflicts == ()


def test_a_second_grading_is_a_conflict_and_the_first_stands() -> None:
    first = ev("inspected", 200, node="depot-a")
    second = ev(
        "inspected",
        300,
        node="depot-b",
        items=[{"sku": "SKU-1", "grade": "refurbish", "disposition": "quarantine"}],
    )
    state = fold_return([second, ev("received", 100), first])
    assert state.items == tuple(first.payload.items)
    (conflict,) = state.conflicts
    assert conflict.kind == ConflictKind.DOUBLE_GRADING
    assert set(conflict.event_ids) == {first.id, second.id}
    assert not conflict.resolved

    resolve = ev("conflict_resolved", 900, node="central", conflict_id=conflict.id)
    resolved = fold_return([first, second, resolve])
    assert [c.resolved for c in resolved.conflicts] == [True]
    assert resolved.items == state.items


def graded(*lines: tuple[str, str, int]) -> Event:
    """An inspection at t=50 grading ``(sku, disposition, quantity)`` lines sellable."""
    items = [
        {"sku": sku, "grade": "sellable", "disposition": disposition, "quantity": quantity}
        for sku, disposition, quantity in lines
    ]
    return ev("inspected", 50, items=items)


def test_stock_is_restocked_minus_dispatched_per_depot_and_sku() -> None:
    events = [
        graded(("SKU-1", "restock", 8), ("SKU-2", "restock", 1)),
        ev("restocked", 100, sku="SKU-1", quantity=3, depot_id="ams"),
        ev("restocked", 200, sku="SKU-2", quantity=1, depot_id="ams"),
        ev("dispatched", 300, sku="SKU-1", quantity=2, depot_id="ams"),
        ev("restocked", 400, sku="SKU-1", quantity=5, depot_id="rtm"),
        ev("dispatched", 500, sku="SKU-2", quantity=1, depot_id="ams"),
    ]
    state = fold_return(events)
    assert state.stock == (("ams", "SKU-1", 1), ("ams", "SKU-2", 0), ("rtm", "SKU-1", 5))


RELEASE = {"source": "quarantined", "target": "available"}


def test_stock_moves_only_what_was_graded_and_what_its_source_holds() -> None:
    events = [
        ev("restocked", 100, sku="SKU-1", quantity=2, depot_id="ams"),  # before grading: nothing
        graded(("SKU-1", "restock", 2), ("SKU-2", "quarantine", 3)),
        ev("restocked", 110, sku="SKU-1", quantity=5, depot_id="ams"),  # 2 of 5 were graded
        ev("dispatched", 120, sku="SKU-1", quantity=9, depot_id="ams"),  # 2 there
        ev("stock_moved", 130, sku="SKU-2", quantity=3, depot_id="ams", target="quarantined"),
        ev("stock_moved", 140, sku="SKU-2", quantity=1, depot_id="ams", **RELEASE),
        ev(
            "stock_moved",
            150,
            sku="SKU-2",
            quantity=1,
            depot_id="ams",
            source="quarantined",
            target="disposed",
        ),
    ]
    state = fold_return(events)
    assert state.levels == (
        ("ams", "SKU-1", "available", 0),
        ("ams", "SKU-2", "available", 1),
        ("ams", "SKU-2", "disposed", 1),
        ("ams", "SKU-2", "quarantined", 1),
    )
    assert state.stock == (("ams", "SKU-1", 0), ("ams", "SKU-2", 1))
    assert state.graded_left == (("SKU-1", "available", 0), ("SKU-2", "quarantined", 0))


def test_refunds_are_summed_in_minor_units() -> None:
    events = [ev("refunded", 100, amount=1999), ev("refunded", 200, amount=501)]
    state = fold_return(events)
    assert state.refunded_minor == 2500
    assert type(state.refunded_minor) is int


def test_a_resent_refund_is_counted_once() -> None:
    refund = ev("refunded", 100, amount=1999)
    assert fold_return([refund, refund]).refunded_minor == 1999


def test_shipment_only_events_are_ignored() -> None:
    state = fold_return([ev("delivered", 100), ev("picked_up", 200)])
    assert state.status == R.PICKED_UP


# --- properties --------------------------------------------------------------------

RETURN_KINDS = [
    "requested",
    "picked_up",
    "received",
    "inspected",
    "restocked",
    "dispatched",
    "refunded",
    "sent_back",
    "stock_moved",
]
GRADES = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(["SKU-1", "SKU-2"]),
        "grade": st.sampled_from(list(Grade)),
        "disposition": st.sampled_from(list(Disposition)),
        "quantity": st.integers(1, 3),
    }
)
MOVEMENT = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(["SKU-1", "SKU-2"]),
        "depot_id": st.sampled_from(["ams", "rtm"]),
        "quantity": st.integers(0, 5),
    }
)
TRANSFER = st.fixed_dictionaries(
    {
        "sku": st.sampled_from(["SKU-1", "SKU-2"]),
        "depot_id": st.sampled_from(["ams", "rtm"]),
        "quantity": st.integers(0, 5),
        "source": st.sampled_from(list(StockSource)),
        "target": st.sampled_from(list(StockState)),
    }
)
RETURN_PAYLOADS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "inspected": st.fixed_dictionaries({"items": st.lists(GRADES, min_size=1, max_size=3)}),
    "restocked": MOVEMENT,
    "dispatched": MOVEMENT,
    "stock_moved": TRANSFER,
    "refunded": st.fixed_dictionaries({"amount": st.integers(1, 10_000)}),
}


@st.composite
def return_histories(draw: st.DrawFn) -> list[Event]:
    uuids = draw(st.lists(st.uuids(), max_size=14, unique=True))
    n_resolutions = draw(st.integers(0, min(2, len(uuids))))
    events: list[Event] = []
    for uid in uuids[n_resolutions:]:
        kind = draw(st.sampled_from(RETURN_KINDS))
        payload = draw(RETURN_PAYLOADS.get(kind, st.just({})))
        events.append(
            ev(
                kind,
                draw(st.integers(0, 30)),
                id=str(uid),
                node=draw(st.sampled_from(["hh-1", "depot", "central"])),
                **payload,
            )
        )
    conflicts = fold_return(events).conflicts
    for uid in uuids[:n_resolutions]:
        if conflicts:
            target = draw(st.sampled_from(conflicts))
            events.append(
                ev(
                    "conflict_resolved",
                    draw(st.integers(0, 40)),
                    id=str(uid),
                    conflict_id=target.id,
                )
            )
    return events


@settings(max_examples=200)
@given(events=return_histories(), data=st.data())
def test_fold_return_ignores_arrival_order_and_duplicates(
    events: list[Event], data: st.DataObject
) -> None:
    expected = fold_return(events)
    shuffled = data.draw(st.permutations(events), label="arrival order")
    duplicates = data.draw(st.lists(st.sampled_from(events)), label="re-sent") if events else []
    merged = data.draw(st.permutations(shuffled + duplicates), label="merged")
    assert fold_return(shuffled) == expected
    assert fold_return(merged) == expected


@settings(max_examples=200)
@given(events=return_histories())
def test_fold_return_matches_a_plain_oracle(events: list[Event]) -> None:
    state = fold_return(events)
    ordered = sort_events(events)

    refunded = 0
    inspections = [e for e in ordered if isinstance(e, ItemsInspected)]
    to_state = {"restock": "available", "quarantine": "quarantined", "dispose": "disposed"}
    graded: dict[tuple[str, str], int] = {}
    for item in inspections[0].payload.items if inspections else []:
        key = (item.sku, to_state.get(item.disposition, "returned_to_merchant"))
        graded[key] = graded.get(key, 0) + item.quantity
    levels: dict[tuple[str, str, str], int] = {}
    rank = -1
    ranks = {"picked_up": 1, "received": 2, "inspected": 3, "sent_back": 4}
    for event in ordered:
        tag = type(event).__struct_config__.tag
        p: Any = event.payload
        if tag in ("restocked", "dispatched", "stock_moved"):
            source = {"restocked": "graded", "dispatched": "available"}.get(tag) or p.source
            target = p.target if tag == "stock_moved" else "available"
            if source == "graded":
                there = graded.get((p.sku, target), 0)
            else:
                there = levels.get((p.depot_id, p.sku, source), 0)
            moved = min(p.quantity, there)
            if moved > 0:
                if source == "graded":
                    graded[(p.sku, target)] = there - moved
                else:
                    levels[(p.depot_id, p.sku, source)] = there - moved
                if tag != "dispatched":
                    key = (p.depot_id, p.sku, target)
                    levels[key] = levels.get(key, 0) + moved
        if tag == "refunded":
            refunded += p.amount
        rank = max(rank, ranks.get(tag, 0))
    stock = {(d, s): q for (d, s, state), q in levels.items() if state == "available"}
    statuses = list(ReturnStatus)
    status = statuses[max(rank, 0)]
    if status == R.INSPECTED and refunded:
        status = R.COMPLETED

    assert state.status == status
    assert dict(((d, s), q) for d, s, q in state.stock) == stock
    assert [(d, s) for d, s, _ in state.stock] == sorted(stock)
    assert dict(((d, s, t), q) for d, s, t, q in state.levels) == levels
    assert state.refunded_minor == refunded
    assert state.items == (tuple(inspections[0].payload.items) if inspections else ())
    assert len(state.conflicts) == max(0, len(inspections) - 1)
    assert len({c.id for c in state.conflicts}) == len(state.conflicts)
