"""Hypothesis: the reconciliation identities hold exactly for random event sets.

Oracles are computed straight from the generated events, not from the folds:
what the courier books say was collected, handed over and counted, and what
the shipments say was collected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.discrepancies import DiscrepancyKind as K
from protocol.ledger import NO_MORE_CASH, day_of
from protocol.reconcile import Reconciliation
from protocol.statement import FeeTerms, Period

from .reconcile_world import ALL_TIME, DAY, T0, book, e, run, shipment

OUTCOMES = (
    "pending",
    "paid",
    "short",
    "excess",
    "unpaid",
    "refused",
    "paid_then_returned",
    "twice",
)
MERCHANTS = ("M1", "M2")
COURIERS = ("C1", "C2")
DEPOTS = ("D1", "D2")


@dataclass
class World:
    shipments: list[Any] = field(default_factory=list)
    books: dict[str, list[Any]] = field(default_factory=dict)
    merchants: dict[str, str] = field(default_factory=dict)


def _door(sid: str, outcome: str, ms: int, cod: int, courier: str) -> tuple[list[Any], list[int]]:
    """Shipment events for an outcome, and the amounts collected in cash."""
    out = [e("out_for_delivery", ms, sid, courier_id=courier, actor=courier)]
    amount = {"short": cod - 100, "excess": cod + 100}.get(outcome, cod)
    if outcome in ("paid", "short", "excess", "twice", "unpaid"):
        out.append(e("delivered", ms + 1, sid, actor=courier))
    if outcome in ("paid", "short", "excess", "twice", "paid_then_returned"):
        out.append(e("cod_collected", ms + 2, sid, amount=amount, actor=courier))
    if outcome == "twice":
        out.append(e("cod_collected", ms + 3, sid, "2", amount=amount, actor=courier))
    if outcome in ("refused", "paid_then_returned"):
        out.append(e("attempt_failed", ms + 4, sid, reason="refused", actor=courier))
        out.append(e("returned_to_origin", ms + 5, sid))
    cash = [amount] * sum(1 for x in out if type(x).__name__ == "CodCollected")
    return out, cash


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World()
    n = draw(st.integers(1, 6))
    for i in range(n):
        sid, cod = f"s{i}", draw(st.sampled_from([1000, 2500, 4000]))
        courier, merchant = draw(st.sampled_from(COURIERS)), draw(st.sampled_from(MERCHANTS))
        ms = draw(st.integers(0, 3 * DAY))
        events, cash = _door(sid, draw(st.sampled_from(OUTCOMES)), ms, cod, courier)
        world.shipments.append(shipment(sid, events, cod=cod, merchant=merchant, courier=courier))
        world.merchants[sid] = merchant
        entries = world.books.setdefault(courier, [])
        for k, amount in enumerate(cash):
            entries.append(e("collected", ms + 10 + k, sid, k, shipment_id=sid, amount=amount))
            if draw(st.booleans()) and draw(st.booleans()):
                entry_id = entries[-1].id
                entries.append(e("reversal", ms + 20, sid, k, entry_id=entry_id, amount=50))
    for courier, entries in world.books.items():
        for h in range(draw(st.integers(0, 3))):
            hid, depot = f"{courier}-h{h}", draw(st.sampled_from(DEPOTS))
            ms = draw(st.integers(0, 4 * DAY))
            declared = draw(st.integers(1, 6000))
            entries.append(
                e("handed_over", ms, hid, handover_id=hid, amount=declared, depot_id=depot)
            )
            if draw(st.booleans()):
                counted = declared + draw(st.sampled_from([0, 0, -100, 50]))
                entries.append(
                    e(
                        "counted_at_depot",
                        ms + 7,
                        hid,
                        handover_id=hid,
                        amount=max(counted, 1),
                        depot_id=depot,
                    )
                )
    return world


def _records(world: World, shuffle_seed: int | None = None) -> tuple[list[Any], list[Any]]:
    books = [book(f"book-{c}", c, evs) for c, evs in world.books.items()]
    ships = list(world.shipments)
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        ships = [
            type(s)(s.doc_id, s.info, tuple(rng.sample(s.events, len(s.events)))) for s in ships
        ]
        books = [
            type(b)(b.doc_id, b.info, tuple(rng.sample(b.events, len(b.events)))) for b in books
        ]
        rng.shuffle(ships)
        rng.shuffle(books)
    return ships, books


TERMS = {"M1": FeeTerms(250, 30), "M2": FeeTerms(0, 0)}


def _reconcile(world: World, period: Period = ALL_TIME, seed: int | None = None) -> Reconciliation:
    ships, books = _records(world, seed)
    return run(ships, books, terms=TERMS, period=period, today="2026-01-03")


def _first(events: list[Any]) -> int:
    """The collection that stands: the first in (hlc, id) order, counted once."""
    kept = sorted(
        (ev.hlc, ev.id, ev.payload.amount)
        for ev in events
        if type(ev).__struct_config__.tag == "cod_collected"
    )
    return kept[0][2] if kept else 0


def _sum(events: list[Any], kind: str, **match: str) -> int:
    return sum(
        ev.payload.amount
        for ev in events
        if type(ev).__struct_config__.tag == kind
        and all(getattr(ev.payload, k) == v for k, v in match.items())
    )


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_expected_is_collected_plus_outstanding_plus_refused(world: World) -> None:
    recon = _reconcile(world)
    excess = {d.doc_id for d in recon.discrepancies if d.kind == K.EXCESS_COLLECTION}
    for record in world.shipments:
        line = recon.lines[record.doc_id]
        oracle = _first(list(record.events))
        assert line.collected == oracle
        assert line.expected == line.collected + line.outstanding + line.refused
        assert line.refused >= 0 and (line.refused == 0 or line.state.status in NO_MORE_CASH)
        assert (line.outstanding < 0) == (line.doc_id in excess)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_courier_collected_is_handed_over_plus_in_hand(world: World) -> None:
    recon = _reconcile(world)
    for courier in recon.couriers:
        events = world.books[courier.courier_id]
        assert courier.collected == _sum(events, "collected")
        assert courier.reversed == _sum(events, "reversal")
        assert courier.handed_over == _sum(events, "handed_over")
        assert courier.collected - courier.reversed == courier.handed_over + courier.in_hand


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_handed_over_is_counted_plus_recorded_discrepancy(world: World) -> None:
    recon = _reconcile(world)
    events = [ev for evs in world.books.values() for ev in evs]
    mismatch = {d.event_ids: d.amount for d in recon.discrepancies if d.kind == K.COUNT_MISMATCH}
    for depot in DEPOTS:
        counted = [h for h in recon.handovers if h.depot_id == depot and h.counted is not None]
        recorded = sum(mismatch.get(tuple(sorted(h.event_ids)), 0) for h in counted)
        assert sum(h.counted or 0 for h in counted) == _sum(
            events, "counted_at_depot", depot_id=depot
        )
        assert sum(h.counted or 0 for h in counted) == sum(h.declared for h in counted) + recorded
    assert len(mismatch) == sum(1 for h in recon.handovers if h.discrepancy != 0)


@settings(max_examples=150, deadline=None)
@given(worlds(), st.integers(0, 3), st.integers(0, 3))
def test_payable_is_delivered_less_fees_reversals_frozen(world: World, a: int, b: int) -> None:
    days = [day_of(f"{T0 + d * DAY:013d}.000000.x") for d in sorted((a, b))]
    period = Period(*days)
    recon = _reconcile(world, period)
    for statement in recon.statements:
        assert statement.payable == (
            statement.delivered_cod - statement.fees - statement.reversals - statement.frozen
        )
        oracle = sum(
            _first(list(r.events))
            for r in world.shipments
            if world.merchants[r.doc_id] == statement.merchant_id
            and day_of(recon.lines[r.doc_id].collected_at) in period
        )
        assert statement.delivered_cod == oracle


@settings(max_examples=60, deadline=None)
@given(worlds(), st.integers(0, 2**32))
def test_any_event_order_gives_the_same_reconciliation(world: World, seed: int) -> None:
    def summary(recon: Reconciliation) -> Any:
        return (
            sorted(
                (k, v.collected, v.outstanding, v.handover_id, v.deposited)
                for k, v in recon.lines.items()
            ),
            recon.couriers,
            recon.depots,
            [(s.merchant_id, s.lines) for s in recon.statements],
            recon.discrepancies,
        )

    assert summary(_reconcile(world)) == summary(_reconcile(world, seed=seed))
