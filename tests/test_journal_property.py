"""Hypothesis: the COD journal keeps its identities over random days (issue 16).

A day is drawn as what each replica wrote (handhelds of two couriers, a depot
desk, head office): collections (twice on two offline handhelds, in another
currency, short, without a book entry), cancellations, returns to origin,
resolutions, refunds and reversals, handovers (short counts, one above the
cash in hand), deposits and a remittance. After convergence every replica holds
every event, received in its own order; the oracles come from the drawn plan,
not from the folds.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.discrepancies import DiscrepancyKind as K
from protocol.reconcile import Reconciliation
from protocol.statement import FeeTerms

from .reconcile_world import book, e, run, shipment

OUTCOMES = (
    "pending",
    "paid",
    "card",
    "short",
    "twice",
    "twice_refunded",
    "twice_keep_second",
    "foreign",
    "cancelled",
    "refused",
    "paid_then_returned",
    "returned_refunded",
    "no_entry",
    "orphan",
)
TERMS = {"M1": FeeTerms(250, 30), "M2": FeeTerms(0, 0)}
COURIERS = ("C1", "C2")


@dataclass
class Plan:
    shipments: list[Any] = field(default_factory=list)
    books: dict[str, list[Any]] = field(default_factory=dict)  # book id -> events
    owners: dict[str, tuple[str, str]] = field(default_factory=dict)  # book -> (kind, owner)
    expected: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, doc)
    collected: Counter[str] = field(default_factory=Counter)  # per currency
    returned: Counter[str] = field(default_factory=Counter)  # given back to recipients
    standing: dict[str, int] = field(default_factory=dict)  # shipment -> merchant's COD

    def entries(self, owner: str, kind: str = "courier") -> list[Any]:
        bid = f"book-{kind}-{owner}"
        self.owners[bid] = (kind, owner)
        return self.books.setdefault(bid, [])


def _take(plan: Plan, sid: str, ms: int, amount: int, courier: str, **kw: Any) -> Any:
    event = e("cod_collected", ms, sid, courier, amount=amount, actor=courier, **kw)
    plan.collected[kw.get("currency", "EUR")] += amount
    return event


def _entry(plan: Plan, sid: str, ms: int, amount: int, courier: str, cur: str = "EUR") -> Any:
    entry = e("collected", ms, sid, courier, shipment_id=sid, amount=amount, currency=cur)
    plan.entries(courier).append(entry)
    return entry


def _office(plan: Plan, kind: str, ms: int, *name: object, **fields: Any) -> Any:
    event = e(kind, ms, *name, actor="office", **fields)
    plan.entries("office", "office").append(event)
    return event


def _door(plan: Plan, i: int, outcome: str, cod: int, courier: str) -> list[Any]:
    """The shipment's events for ``outcome``; book entries and office answers go to plan."""
    sid, ms, other = f"s{i}", 1000 * i, COURIERS[1 - COURIERS.index(courier)]
    out = [e("out_for_delivery", ms, sid, courier_id=courier, actor=courier)]
    if outcome == "cancelled":
        return [e("cancelled", ms - 1, sid, actor="office")]
    if outcome in ("refused", "paid_then_returned", "returned_refunded"):
        if outcome != "refused":
            out.append(_take(plan, sid, ms + 2, cod, courier))
            _entry(plan, sid, ms + 3, cod, courier)
            plan.standing[sid] = cod
        out.append(e("attempt_failed", ms + 4, sid, reason="refused", actor=courier))
        out.append(e("returned_to_origin", ms + 5, sid, actor="depot"))
        if outcome == "paid_then_returned":
            plan.expected[(K.COLLECTED_ON_RETURNED, sid)] += 1
        if outcome == "returned_refunded":
            _office(plan, "reversal", 80_000 + i, sid, entry_id=out[1].id, amount=cod)
            plan.returned["EUR"] += cod
        return out
    if outcome in ("pending", "orphan"):
        if outcome == "orphan":
            plan.entries(courier).append(
                e("collected", ms + 3, sid, "orphan", shipment_id=sid, amount=cod)
            )
            plan.expected[(K.ENTRY_WITHOUT_COLLECTION, f"book-courier-{courier}")] += 1
        return out
    out.append(e("delivered", ms + 1, sid, actor=courier))
    if outcome == "foreign":
        out.append(_take(plan, sid, ms + 2, cod, courier, currency="USD"))
        _entry(plan, sid, ms + 3, cod, courier, "USD")
        plan.expected[(K.FOREIGN_CURRENCY, sid)] += 1
        plan.expected[(K.SHORT_COLLECTION, sid)] += 1
        return out
    if outcome == "card":
        out.append(_take(plan, sid, ms + 2, cod, courier, method="card"))
        plan.standing[sid] = cod
        return out
    amount = cod - 100 if outcome == "short" else cod
    first = _take(plan, sid, ms + 2, amount, courier, reason="short" if outcome == "short" else "")
    out.append(first)
    if outcome != "no_entry":
        _entry(plan, sid, ms + 3, amount, courier)
    else:
        plan.expected[(K.MISSING_BOOK_ENTRY, sid)] += 1
    plan.standing[sid] = amount
    if outcome == "short":
        plan.expected[(K.SHORT_COLLECTION, sid)] += 1
    if outcome.startswith("twice"):  # the other handheld, offline, collected it too
        second = _take(plan, sid, ms + 6, cod, other)
        out.append(second)
        _entry(plan, sid, ms + 7, cod, other)
        conflict = f"double_collection:{'+'.join(sorted((first.id, second.id)))}"
        keep = second.id if outcome == "twice_keep_second" else first.id
        extra = first if keep == second.id else second
        out.append(
            e("conflict_resolved", 80_000 + i, sid, actor="office", conflict_id=conflict, keep=keep)
        )
        if outcome == "twice_refunded":
            _office(plan, "reversal", 81_000 + i, sid, entry_id=extra.id, amount=cod)
            plan.returned["EUR"] += cod
        else:
            plan.expected[(K.DOUBLE_COLLECTION, sid)] += 1
    return out


def _cash_in_hand(events: list[Any]) -> dict[str, int]:
    held: Counter[str] = Counter()
    for ev in events:
        tag = type(ev).__struct_config__.tag
        sign = {"collected": 1, "handed_over": -1, "reversal": -1}.get(tag, 0)
        held[ev.payload.currency] += sign * ev.payload.amount
    return held


def _desk(plan: Plan, draw: st.DrawFn) -> None:
    """Handovers of all cash in hand per currency, counts (some short), deposits."""
    counted: Counter[str] = Counter()
    for courier in COURIERS:
        entries = plan.entries(courier)
        for cur, amount in sorted(_cash_in_hand(entries).items()):
            if amount <= 0:
                continue
            hid = f"{courier}-{cur}"
            entries.append(
                e(
                    "handed_over",
                    50_000,
                    hid,
                    handover_id=hid,
                    amount=amount,
                    currency=cur,
                    depot_id="D1",
                    actor=courier,
                )
            )
            gap = draw(st.sampled_from([0, 0, -100, 50])) if amount > 100 else 0
            if draw(st.booleans()):
                continue  # not counted yet: the cash is at the desk, uncounted
            entries.append(
                e(
                    "counted_at_depot",
                    60_000,
                    hid,
                    handover_id=hid,
                    amount=amount + gap,
                    currency=cur,
                    depot_id="D1",
                    actor="desk",
                )
            )
            counted[cur] += amount + gap
            if gap and draw(st.booleans()):  # the desk adjusts it with the courier
                entries.append(
                    e(
                        "reversal",
                        61_000,
                        hid,
                        entry_id=hid,
                        amount=abs(gap),
                        currency=cur,
                        discrepancy="",
                        actor="desk",
                    )
                )
            elif gap:
                plan.expected[(K.COUNT_MISMATCH, f"book-courier-{courier}")] += 1
        if draw(st.integers(0, 5)) == 0:  # a replica that skipped the boundary check
            entries.append(
                e(
                    "handed_over",
                    55_000,
                    courier,
                    "above",
                    handover_id=f"{courier}-x",
                    amount=99_999,
                    depot_id="D1",
                    actor=courier,
                )
            )
            plan.expected[(K.HANDOVER_ABOVE_CASH, f"book-courier-{courier}")] += 1
    depot = plan.entries("D1", "depot")
    for cur, amount in sorted(counted.items()):
        if amount > 0 and draw(st.booleans()):
            depot.append(e("deposited", 70_000, cur, amount=amount, currency=cur, batch_id=cur))


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    plan = Plan()
    for i in range(draw(st.integers(1, 8))):
        cod = draw(st.sampled_from([1000, 2500]))
        courier = draw(st.sampled_from(COURIERS))
        merchant = draw(st.sampled_from(["M1", "M2"]))
        events = _door(plan, i, draw(st.sampled_from(OUTCOMES)), cod, courier)
        plan.shipments.append(shipment(f"s{i}", events, cod=cod, merchant=merchant))
    _desk(plan, draw)
    return plan


def _replica(plan: Plan, seed: int, extra: list[Any] | None = None) -> Reconciliation:
    """What one replica folds after convergence: every event, in its own arrival order."""
    rng = random.Random(seed)
    ships = [
        type(s)(s.doc_id, s.info, tuple(rng.sample(s.events, len(s.events))))
        for s in plan.shipments
    ]
    books = []
    for bid, events in plan.books.items():
        kind, owner = plan.owners[bid]
        listed = [*events, *(extra or [])] if kind == "office" else events
        books.append(book(bid, owner, rng.sample(listed, len(listed)), kind=kind))
    rng.shuffle(ships)
    rng.shuffle(books)
    return run(ships, books, terms=TERMS)


def _remit(recon: Reconciliation) -> list[Any]:
    """Head office pays every merchant its statement's unpaid lines (what reached the bank)."""
    paid = []
    for s in recon.statements:
        if s.unpaid and s.payable_now > 0:
            ids = [line.doc_id for line in s.unpaid]
            paid.append(
                e(
                    "remitted",
                    90_000,
                    s.merchant_id,
                    amount=s.payable_now,
                    currency=s.currency,
                    batch_id=s.merchant_id,
                    merchant_id=s.merchant_id,
                    shipment_ids=ids,
                    actor="office",
                )
            )
    return paid


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.integers(0, 2**32), st.integers(0, 2**32))
def test_journal_identities_hold_on_every_replica(plan: Plan, seed_a: int, seed_b: int) -> None:
    first = _replica(plan, seed_a)
    remitted = _remit(first)
    a, b = _replica(plan, seed_a, remitted), _replica(plan, seed_b, remitted)
    assert a.journal.balances() == b.journal.balances()
    assert a.discrepancies == b.discrepancies
    balances = a.journal.by_currency()
    for currency, accounts in balances.items():
        assert sum(accounts.values()) == 0, currency  # double entry: every transfer balances
        paid_by_recipients = -sum(v for k, v in accounts.items() if k.startswith("recipient:"))
        # every minor unit collected is in exactly one account (refunds went back)
        assert paid_by_recipients == plan.collected[currency] - plan.returned[currency]
    for s in a.statements:
        assert s.payable == s.delivered_cod - s.fees - s.reversals - s.frozen
        assert s.delivered_cod == sum(
            plan.standing[line.doc_id] for line in s.lines
        )  # each parcel's COD once
        eur = balances.get(s.currency, {})
        owed = eur.get(f"payable:{s.merchant_id}", 0) + eur.get(f"paid:{s.merchant_id}", 0)
        banked = sum(line.payable for line in s.lines if line.banked and not line.frozen)
        assert owed == banked  # the merchant is owed only what reached the bank
        assert eur.get(f"payable:{s.merchant_id}", 0) == s.payable_now
    found = Counter((d.kind, d.doc_id) for d in a.discrepancies if d.kind in _INJECTED)
    assert found == plan.expected  # every injected discrepancy, none invented


_INJECTED = frozenset(K)
