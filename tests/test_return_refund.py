"""The refund recommendation of a graded return: table cases and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.events import Event
from protocol.info import Item, ReturnInfo
from protocol.returns import REFUNDABLE_GRADES, fold_return, recommend_refund
from protocol.vocab import Disposition, Grade
from tests.factories import ev

G, D = Grade, Disposition


def info(*items: tuple[str, int, int]) -> ReturnInfo:
    """A return of ``(sku, quantity, unit_price)`` lines, in EUR."""
    return ReturnInfo("shipment-1", "merchant-1", items=[Item(s, q, p) for s, q, p in items])


def graded(*lines: tuple[str, Grade, int]) -> list[Event]:
    """Received, then graded ``(sku, grade, quantity)`` lines."""
    items = [
        {"sku": sku, "grade": grade, "disposition": D.RESTOCK, "quantity": quantity}
        for sku, grade, quantity in lines
    ]
    return [ev("received", 100), ev("inspected", 200, items=items)]


@pytest.mark.parametrize(
    ("requested", "lines", "amounts", "reasons"),
    [
        ([("A", 2, 1250)], [("A", G.SELLABLE, 2)], [2500], [""]),
        ([("A", 1, 999)], [("A", G.REFURBISH, 1)], [999], [""]),
        ([("A", 1, 999)], [("A", G.DAMAGED, 1)], [0], ["damaged on inspection"]),
        ([("A", 1, 999)], [("A", G.MISSING_PARTS, 1)], [0], ["parts missing on inspection"]),
        ([("A", 1, 999)], [("A", G.WRONG_ITEM, 1)], [0], ["not the item that was sold"]),
        ([("A", 1, 999)], [("B", G.SELLABLE, 1)], [0], ["not listed in the return"]),
        # Grading more units than requested refunds only the requested ones.
        (
            [("A", 2, 500)],
            [("A", G.SELLABLE, 3)],
            [1000],
            ["only 2 of 3 were requested in the return"],
        ),
        # A damaged unit uses up its share of the requested quantity.
        (
            [("A", 2, 500)],
            [("A", G.DAMAGED, 1), ("A", G.SELLABLE, 2)],
            [0, 500],
            ["damaged on inspection", "only 1 of 2 were requested in the return"],
        ),
        (
            [("A", 1, 300), ("B", 2, 700)],
            [("A", G.SELLABLE, 1), ("B", G.WRONG_ITEM, 1), ("B", G.REFURBISH, 1)],
            [300, 0, 700],
            ["", "not the item that was sold", ""],
        ),
    ],
)
def test_refund_table(
    requested: list[tuple[str, int, int]],
    lines: list[tuple[str, Grade, int]],
    amounts: list[int],
    reasons: list[str],
) -> None:
    rec = recommend_refund(info(*requested), fold_return(graded(*lines)))
    assert rec is not None
    assert [li.amount for li in rec.lines] == amounts
    assert [li.reason for li in rec.lines] == reasons
    assert rec.total == sum(amounts)
    assert rec.currency == "EUR"


def test_no_recommendation_before_grading() -> None:
    state = fold_return([ev("requested", 100), ev("received", 200)])
    assert recommend_refund(info(("A", 1, 100)), state) is None


SKUS = st.sampled_from(["A", "B", "C"])
REQUESTED = st.lists(
    st.tuples(SKUS, st.integers(1, 5), st.integers(0, 10**6)), min_size=1, max_size=4
)
GRADED = st.lists(
    st.tuples(SKUS, st.sampled_from(list(Grade)), st.integers(1, 6)), min_size=1, max_size=6
)


def _oracle(
    requested: list[tuple[str, int, int]], lines: list[tuple[str, Grade, int]]
) -> list[int]:
    """The rule spelled out unit by unit: each graded unit takes one requested unit."""
    price = {}
    for sku, _, unit_price in requested:
        price.setdefault(sku, unit_price)
    units = {sku: sum(q for s, q, _ in requested if s == sku) for sku in price}
    amounts = []
    for sku, grade, quantity in lines:
        amount = 0
        for _ in range(quantity):
            if units.get(sku, 0) > 0:
                units[sku] -= 1
                amount += price[sku] if grade in REFUNDABLE_GRADES else 0
        amounts.append(amount)
    return amounts


@given(REQUESTED, GRADED)
def test_refund_matches_the_unit_by_unit_oracle(
    requested: list[tuple[str, int, int]], lines: list[tuple[str, Grade, int]]
) -> None:
    rec = recommend_refund(info(*requested), fold_return(graded(*lines)))
    assert rec is not None
    assert [li.amount for li in rec.lines] == _oracle(requested, lines)
    assert rec.total == sum(li.amount for li in rec.lines)
    first_price = {sku: p for sku, _, p in reversed(requested)}
    assert rec.total <= sum(q * first_price[sku] for sku, q, _ in requested)
    for line, (sku, grade, quantity) in zip(rec.lines, lines, strict=True):
        assert (line.sku, line.grade, line.quantity) == (sku, grade, quantity)
        assert bool(line.reason) or line.amount == line.unit_price * quantity


@given(REQUESTED, GRADED)
def test_refund_ignores_event_arrival_order(
    requested: list[tuple[str, int, int]], lines: list[tuple[str, Grade, int]]
) -> None:
    events = [*graded(*lines), ev("refunded", 300, amount=1)]
    forward = recommend_refund(info(*requested), fold_return(events))
    assert forward == recommend_refund(info(*requested), fold_return(events[::-1]))
