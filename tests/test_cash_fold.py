"""Cash book fold: exact totals, handover counts, discrepancies, foreign entries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.cash import CashBookState, fold_cash_book
from protocol.errors import InvalidMoney
from protocol.events import Event
from protocol.money import Money
from tests.factories import eur, ev


def collected(ms: int, amount: int, currency: str = "EUR", **kw: Any) -> Event:
    return ev("collected", ms, amount=amount, currency=currency, shipment_id=f"s-{ms}", **kw)


def handed(ms: int, amount: int, handover: str = "ho-1", **kw: Any) -> Event:
    return ev("handed_over", ms, amount=amount, handover_id=handover, **kw)


def counted(ms: int, amount: int, handover: str = "ho-1", **kw: Any) -> Event:
    return ev("counted_at_depot", ms, amount=amount, handover_id=handover, **kw)


def test_empty_book_is_all_zero() -> None:
    state = fold_cash_book([], "EUR")
    for total in (state.collected, state.reversed, state.handed_over, state.in_hand):
        assert total == eur(0)
    assert state.handovers == ()
    assert state.discrepancies == ()
    assert state.foreign_entries == ()


def test_a_couriers_day() -> None:
    events = [
        collected(100, 2500),
        collected(200, 1999),
        collected(300, 4000),
        ev("reversal", 350, amount=1999, entry_id="e-200", reason="collected on wrong parcel"),
        handed(400, 6500),
        counted(500, 6500),
    ]
    state = fold_cash_book(events, "EUR")
    assert state.collected == eur(8499)
    assert state.reversed == eur(1999)
    assert state.handed_over == eur(6500)
    assert state.counted == eur(6500)
    assert state.in_hand == eur(0)
    assert state.collected - state.reversed == state.handed_over + state.in_hand
    (handover,) = state.handovers
    assert handover.handover_id == "ho-1"
    assert handover.discrepancy == eur(0)
    assert state.discrepancies == ()


def test_cash_still_in_hand_before_handover() -> None:
    state = fold_cash_book([collected(100, 2500), collected(200, 1000)], "EUR")
    assert state.in_hand == eur(3500)
    assert state.handovers == ()


@pytest.mark.parametrize(
    ("declared", "count", "discrepancy"),
    [(4500, 4500, 0), (4500, 4400, -100), (4500, 5000, 500)],
)
def test_counted_minus_declared_is_the_discrepancy(
    declared: int, count: int, discrepancy: int
) -> None:
    state = fold_cash_book([handed(100, declared), counted(200, count)], "EUR")
    (handover,) = state.handovers
    assert handover.handed_over == eur(declared)
    assert handover.counted == eur(count)
    assert handover.discrepancy == eur(discrepancy)
    assert (state.discrepancies == (handover,)) == (discrepancy != 0)


def test_a_handover_not_yet_counted_has_no_discrepancy() -> None:
    state = fold_cash_book([handed(100, 3000)], "EUR")
    (handover,) = state.handovers
    assert handover.counted is None
    assert handover.discrepancy is None
    assert state.discrepancies == ()


def test_a_count_without_a_declared_handover_shows_up() -> None:
    state = fold_cash_book([counted(100, 700, handover="ho-x")], "EUR")
    (handover,) = state.handovers
    assert handover.handed_over == eur(0)
    assert handover.discrepancy == eur(700)
    assert state.discrepancies == (handover,)


def test_handovers_are_kept_apart_and_sorted_by_id() -> None:
    events = [
        handed(100, 1000, "ho-b"),
        handed(200, 2000, "ho-a"),
        handed(250, 500, "ho-a"),  # the same handover declared in two parts
        counted(300, 2500, "ho-a"),
        counted(400, 900, "ho-b"),
    ]
    state = fold_cash_book(events, "EUR")
    assert [h.handover_id for h in state.handovers] == ["ho-a", "ho-b"]
    a, b = state.handovers
    assert (a.handed_over, a.counted, a.discrepancy) == (eur(2500), eur(2500), eur(0))
    assert (b.handed_over, b.counted, b.discrepancy) == (eur(1000), eur(900), eur(-100))
    assert state.discrepancies == (b,)


def test_deposits_and_remittances_are_totalled() -> None:
    events = [
        ev("deposited", 100, amount=10_000, batch_id="d-1"),
        ev("deposited", 200, amount=5_000, batch_id="d-2"),
        ev("remitted", 300, amount=12_000, batch_id="r-1", merchant_id="m-1"),
    ]
    state = fold_cash_book(events, "EUR")
    assert state.deposited == eur(15_000)
    assert state.remitted == eur(12_000)
    assert state.in_hand == eur(0)


def test_entries_in_another_currency_are_listed_not_summed() -> None:
    usd = collected(200, 999, currency="USD")
    events = [collected(100, 2500), usd, handed(300, 50, currency="GBP")]
    state = fold_cash_book(events, "EUR")
    assert state.collected == eur(2500)
    assert state.handed_over == eur(0)
    assert state.foreign_entries == (usd.id, events[2].id)


def test_shipment_events_in_a_cash_book_are_ignored() -> None:
    state = fold_cash_book([ev("cod_collected", 100), collected(200, 100)], "EUR")
    assert state.collected == eur(100)
    assert state.foreign_entries == ()


def test_totals_are_in_the_books_currency() -> None:
    state = fold_cash_book([collected(1, 1200, currency="JPY")], "JPY")
    assert state.currency == "JPY"
    assert state.collected == Money(1200, "JPY")


def test_an_unknown_book_currency_is_rejected() -> None:
    with pytest.raises(InvalidMoney):
        fold_cash_book([], "EURO")


def test_a_resent_entry_is_counted_once() -> None:
    entry = collected(100, 2500)
    state = fold_cash_book([entry, entry, entry], "EUR")
    assert state.collected == eur(2500)


# --- properties --------------------------------------------------------------------

CASH_KINDS = ["collected", "handed_over", "counted_at_depot", "deposited", "remitted", "reversal"]


@st.composite
def cash_books(draw: st.DrawFn) -> list[Event]:
    uuids = draw(st.lists(st.uuids(), max_size=20, unique=True))
    events = []
    for uid in uuids:
        kind = draw(st.sampled_from(CASH_KINDS))
        extra: dict[str, Any] = {}
        if kind in ("handed_over", "counted_at_depot"):
            extra["handover_id"] = draw(st.sampled_from(["ho-1", "ho-2", "ho-3"]))
        events.append(
            ev(
                kind,
                draw(st.integers(0, 30)),
                id=str(uid),
                node=draw(st.sampled_from(["hh-1", "depot", "central"])),
                amount=draw(st.integers(1, 100_000)),
                currency=draw(st.sampled_from(["EUR", "EUR", "EUR", "USD"])),
                **extra,
            )
        )
    return events


def _oracle(events: list[Event], kind: str) -> Money:
    unique = {e.id: e for e in events}.values()
    cents = sum(
        e.payload.amount  # type: ignore[attr-defined]
        for e in unique
        if e.payload.currency == "EUR" and type(e).__struct_config__.tag == kind  # type: ignore[attr-defined]
    )
    return eur(cents)


@settings(max_examples=200)
@given(events=cash_books(), data=st.data())
def test_fold_cash_book_ignores_arrival_order_and_duplicates(
    events: list[Event], data: st.DataObject
) -> None:
    expected = fold_cash_book(events, "EUR")
    shuffled = data.draw(st.permutations(events), label="arrival order")
    duplicates = data.draw(st.lists(st.sampled_from(events)), label="re-sent") if events else []
    merged = data.draw(st.permutations(shuffled + duplicates), label="merged")
    assert fold_cash_book(shuffled, "EUR") == expected
    assert fold_cash_book(merged, "EUR") == expected


@settings(max_examples=200)
@given(events=cash_books(), duplicates=st.lists(st.integers(0, 19), max_size=5))
def test_fold_cash_book_totals_match_a_plain_sum(
    events: list[Event], duplicates: list[int]
) -> None:
    resent = [events[i % len(events)] for i in duplicates] if events else []
    state: CashBookState = fold_cash_book(events + resent, "EUR")
    assert state.collected == _oracle(events, "collected")
    assert state.reversed == _oracle(events, "reversal")
    assert state.handed_over == _oracle(events, "handed_over")
    assert state.counted == _oracle(events, "counted_at_depot")
    assert state.deposited == _oracle(events, "deposited")
    assert state.remitted == _oracle(events, "remitted")
    # The identities of the module docstring, exactly, in minor units.
    assert state.collected - state.reversed == state.handed_over + state.in_hand
    for handover in state.handovers:
        if handover.counted is not None:
            assert handover.counted - handover.handed_over == handover.discrepancy
    assert sum(h.handed_over.amount for h in state.handovers) == state.handed_over.amount
    foreign = sorted(e.id for e in events if e.payload.currency != "EUR")  # type: ignore[attr-defined]
    assert sorted(state.foreign_entries) == foreign
