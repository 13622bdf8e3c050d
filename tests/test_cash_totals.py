"""Running cash book totals against the ordered folds they replace on a push.

The oracle is :func:`protocol.cash.fold_cash_book` and
:func:`protocol.cash_rules.book_refusal` over the whole book; the totals are
advanced by the entries in the order they arrive (any order, in batches).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.cash import fold_cash_book
from protocol.cash_rules import book_refusal
from protocol.cash_totals import UNDECIDED, BookTotals, handover_refusal
from protocol.events import Event
from tests.factories import ev

HANDOVERS = ["ho-1", "ho-2", "ho-3"]


@st.composite
def entries(draw: st.DrawFn) -> list[Event]:
    """A book's entries in arrival order: any kind, some in another currency, some
    reversals naming a handover (count adjustments) or a collection."""
    out: list[Event] = []
    for n in range(draw(st.integers(0, 14))):
        kind = draw(
            st.sampled_from(["collected", "reversal", "handed_over", "counted_at_depot", "other"])
        )
        ms = draw(st.integers(1, 60)) * 10 + n  # distinct, in any order
        cur = draw(st.sampled_from(["EUR", "EUR", "EUR", "GBP"]))
        amount = draw(st.sampled_from([100, 250, 1000, 2500]))
        fields: dict[str, Any] = {"id": f"e-{n}", "amount": amount, "currency": cur}
        if kind == "collected":
            out.append(ev("collected", ms, shipment_id=f"s-{n}", **fields))
        elif kind == "reversal":
            target = draw(st.sampled_from([*HANDOVERS, "e-0", "e-1"]))
            out.append(ev("reversal", ms, entry_id=target, **fields))
        elif kind == "other":
            out.append(ev(draw(st.sampled_from(["deposited", "remitted"])), ms, **fields))
        else:
            out.append(ev(kind, ms, handover_id=draw(st.sampled_from(HANDOVERS)), **fields))
    return out


def _split(events: list[Event], cuts: list[int]) -> list[list[Event]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=80, deadline=None)
@given(entries(), st.lists(st.integers(0, 20), max_size=4))
def test_advanced_totals_are_the_fold_of_the_whole_book(
    events: list[Event], cuts: list[int]
) -> None:
    totals = BookTotals()
    for batch in _split(events, cuts):
        totals = totals.advanced(batch)
    for cur in ("EUR", "GBP"):
        fold = fold_cash_book(events, cur)
        sums = totals.in_currency(cur)
        assert (sums.collected, sums.reversed, sums.handed_over) == (
            fold.collected,
            fold.reversed,
            fold.handed_over,
        )
        assert (sums.counted, sums.deposited, sums.remitted) == (
            fold.counted,
            fold.deposited,
            fold.remitted,
        )
        assert sums.in_hand == fold.in_hand
        gap = sum(h.discrepancy.amount for h in fold.discrepancies if h.discrepancy)
        assert sums.discrepancy.amount == gap


@settings(max_examples=120, deadline=None)
@given(entries(), st.integers(0, 14))
def test_handover_refusal_agrees_with_the_ordered_fold(events: list[Event], cut: int) -> None:
    stored, new = events[:cut], events[cut:]
    before = BookTotals.of(stored)
    verdict = handover_refusal(before, before.advanced(new), new)
    oracle = book_refusal(events, {e.id for e in new})
    if verdict == UNDECIDED:
        assert any(e.sort_key < before.last for e in new)
        return
    assert verdict == oracle


def test_a_reversal_before_its_handover_becomes_an_adjustment() -> None:
    collected = ev("collected", 5, id="c", amount=1000)
    reversal = ev("reversal", 10, id="r", amount=100, entry_id="ho-1")
    handover = ev("handed_over", 20, id="h", amount=400, handover_id="ho-1")
    totals = BookTotals().advanced([collected]).advanced([reversal])
    assert totals.in_hand("EUR") == 900
    totals = totals.advanced([handover])
    assert totals.in_hand("EUR") == 600  # the reversal no longer moves cash
    assert fold_cash_book([collected, reversal, handover], "EUR").in_hand.amount == 600
