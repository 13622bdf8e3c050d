"""Table tests: each discrepancy kind is detected, and none is invented."""

from __future__ import annotations

import pytest

from protocol.discrepancies import DiscrepancyKind as K
from protocol.statement import FeeTerms, Period

from .reconcile_world import book, delivered_and_paid, e, run, shipment


def _cash(sid: str, ms: int, amount: int) -> object:
    return e("collected", ms, sid, shipment_id=sid, amount=amount, actor="C1")


def _handover(name: str, ms: int, declared: int, counted: int | None) -> list[object]:
    events = [e("handed_over", ms, name, handover_id=name, amount=declared, depot_id="D1")]
    if counted is not None:
        events.append(
            e("counted_at_depot", ms + 5, name, handover_id=name, amount=counted, depot_id="D1")
        )
    return events


REFUSED = [
    e("out_for_delivery", 10, "s", courier_id="C1"),
    e("attempt_failed", 20, "s", reason="refused"),
]

CASES = {
    "clean delivery, handover counted exactly": (
        delivered_and_paid("s", 10, 1000),
        [_cash("s", 13, 1000), *_handover("h", 50, 1000, 1000)],
        [],
    ),
    "out for delivery, nothing collected yet": (
        [e("out_for_delivery", 10, "s", courier_id="C1")],
        [],
        [],
    ),
    "refused at the door, nothing collected": (REFUSED, [], []),
    "handover not counted yet": (
        delivered_and_paid("s", 10, 1000),
        [_cash("s", 13, 1000), *_handover("h", 50, 1000, None)],
        [],
    ),
    "short collection": (
        delivered_and_paid("s", 10, 900),
        [_cash("s", 13, 900)],
        [(K.SHORT_COLLECTION, -100, "courier:C1")],
    ),
    "delivered with no COD collected": (
        delivered_and_paid("s", 10, 1000)[:2],
        [],
        [(K.SHORT_COLLECTION, -1000, "courier:C1")],
    ),
    "excess collection": (
        delivered_and_paid("s", 10, 1250),
        [_cash("s", 13, 1250)],
        [(K.EXCESS_COLLECTION, 250, "office")],
    ),
    "count mismatch at the desk": (
        delivered_and_paid("s", 10, 1000),
        [_cash("s", 13, 1000), *_handover("h", 50, 1000, 950)],
        [(K.COUNT_MISMATCH, -50, "depot:D1")],
    ),
    "collected on a parcel later returned": (
        [
            e("out_for_delivery", 10, "s", courier_id="C1"),
            e("cod_collected", 11, "s", amount=1000),
            e("attempt_failed", 20, "s", reason="refused"),
            e("returned_to_origin", 30, "s"),
        ],
        [_cash("s", 12, 1000)],
        [(K.COLLECTED_ON_RETURNED, 1000, "office")],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_discrepancy_kind_is_found_and_none_invented(case: str) -> None:
    shipment_events, book_events, expected = CASES[case]
    recon = run([shipment("s", shipment_events)], [book("b", "C1", book_events)])
    found = [(d.kind, d.amount, d.who) for d in recon.discrepancies]
    assert found == expected
    for d in recon.discrepancies:
        assert d.event_ids, "every discrepancy names the events behind it"


def test_refused_cod_is_not_outstanding() -> None:
    line = run([shipment("s", REFUSED)]).lines["s"]
    assert (line.expected, line.collected, line.outstanding, line.refused) == (1000, 0, 0, 1000)


def test_ledger_follows_cash_from_door_to_merchant() -> None:
    courier_book = book(
        "b", "C1", [_cash("s", 13, 1000), *_handover("h", 50, 1000, 1000)], day="2026-01-01"
    )
    depot_book = book(
        "d",
        "D1",
        [e("deposited", 80, "dep", batch_id="dep-1", amount=1000, shipment_ids=[])],
        kind="depot",
    )
    office_book = book(
        "o",
        "office",
        [
            e(
                "remitted",
                90,
                "r",
                batch_id="rem-1",
                merchant_id="M1",
                amount=970,
                shipment_ids=["s"],
            )
        ],
        kind="office",
    )
    recon = run(
        [shipment("s", delivered_and_paid("s", 10, 1000))],
        [courier_book, depot_book, office_book],
        terms={"M1": FeeTerms(percent_bp=250, fixed_minor=5)},
    )
    line = recon.lines["s"]
    assert (line.collected_by, line.handover_id, line.handover_depot) == ("C1", "h", "D1")
    assert line.counted_at and line.deposited and line.remitted_batch == "rem-1"
    (statement,) = recon.statements
    assert (statement.delivered_cod, statement.fees, statement.payable) == (1000, 30, 970)
    assert statement.final and statement.payable_now == 0
    (courier,) = recon.couriers
    assert (courier.in_hand, courier.handed_over, courier.overdue) == (0, 1000, 0)
    (depot,) = recon.depots
    assert (depot.counted, depot.deposited, depot.at_desk) == (1000, 1000, 0)


def test_fee_rounds_half_up_per_line() -> None:
    terms = FeeTerms(percent_bp=125, fixed_minor=0)
    assert [terms.fee(a) for a in (40, 39, 0)] == [1, 0, 0]  # 0.5 -> 1, 0.4875 -> 0


def test_frozen_line_carries_no_fee_and_pays_nothing() -> None:
    events = [
        *delivered_and_paid("s", 10, 1000),
        e("cod_collected", 30, "again", amount=1000),  # double collection: open conflict
    ]
    recon = run([shipment("s", events)], terms={"M1": FeeTerms(100, 10)})
    (statement,) = recon.statements
    (line,) = statement.lines
    assert (line.collected, line.fee, line.frozen, line.payable) == (1000, 0, 1000, 0)
    assert not statement.final or statement.payable_now == 0


def test_overdue_cash_and_limit_per_courier() -> None:
    old = book("b", "C1", [_cash("s", 13, 1000)], day="2026-01-01")
    recon = run(
        [shipment("s", delivered_and_paid("s", 10, 1000))],
        [old],
        limits={"C1": 500},
        today="2026-01-03",
    )
    (courier,) = recon.couriers
    assert (courier.in_hand, courier.overdue, courier.over_limit) == (1000, 1000, True)


def test_period_selects_by_collection_day() -> None:
    recon = run(
        [
            shipment("a", delivered_and_paid("a", 10, 1000)),
            shipment("b", delivered_and_paid("b", 3 * 86_400_000, 1000)),
        ],
        period=Period("2026-01-02", "2026-01-31"),
    )
    (statement,) = recon.statements
    assert [line.doc_id for line in statement.lines] == ["b"]
