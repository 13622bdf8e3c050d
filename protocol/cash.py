"""Cash book: a courier's (or depot's) cash position as a pure fold.

Identity kept exactly, in minor units:
``collected - reversed == handed_over + in_hand`` for a courier's book, and per
handover ``counted - handed_over == discrepancy``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .events import (
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CashLimitSet,
    CashRemitted,
    CashReversal,
    Event,
)
from .lifecycle import sort_events
from .money import Money


@dataclass(frozen=True, slots=True)
class HandoverCount:
    """A handover at the depot cash desk and what the desk counted."""

    handover_id: str
    handed_over: Money
    counted: Money | None

    @property
    def discrepancy(self) -> Money | None:
        """Counted minus declared; ``None`` until counted."""
        return None if self.counted is None else self.counted - self.handed_over


@dataclass(frozen=True, slots=True)
class CashBookState:
    """Totals of one cash book in its currency."""

    currency: str
    collected: Money
    reversed: Money
    handed_over: Money
    counted: Money
    deposited: Money
    remitted: Money
    handovers: tuple[HandoverCount, ...]
    foreign_entries: tuple[str, ...]

    @property
    def in_hand(self) -> Money:
        """Cash the owner holds now: collected, less reversals and handovers."""
        return self.collected - self.reversed - self.handed_over

    @property
    def discrepancies(self) -> tuple[HandoverCount, ...]:
        """Handovers whose count differs from what the courier declared."""
        return tuple(h for h in self.handovers if h.discrepancy and h.discrepancy.amount != 0)


_CASH_ENTRIES = (
    CashCollected,
    CashReversal,
    CashHandedOver,
    CashCounted,
    CashDeposited,
    CashRemitted,
)


def fold_cash_book(events: Iterable[Event], currency: str) -> CashBookState:
    """Fold cash entries; entries in another currency are listed, not summed.

    Sums run on plain integers (each payload's amount was checked when it was
    decoded); the totals become :class:`Money` once, at the end, which checks
    their range. A day's book is folded again on every entry it gains.
    """
    sums = dict.fromkeys(("collected", "reversed", "handed", "counted", "dep", "rem"), 0)
    declared: dict[str, int] = {}
    counted: dict[str, int] = {}
    foreign: list[str] = []
    buckets: dict[type[Event], str] = {
        CashCollected: "collected",
        CashReversal: "reversed",
        CashHandedOver: "handed",
        CashCounted: "counted",
        CashDeposited: "dep",
        CashRemitted: "rem",
    }
    ordered = sort_events(events)
    adjustments = count_adjustments(ordered)
    for event in ordered:
        if not isinstance(event, _CASH_ENTRIES) or event.id in adjustments:
            continue
        bucket = buckets[type(event)]
        payload = event.payload
        if payload.currency != currency:
            foreign.append(event.id)
            continue
        sums[bucket] += payload.amount
        if isinstance(event, CashHandedOver | CashCounted):
            book = declared if isinstance(event, CashHandedOver) else counted
            hid = event.payload.handover_id
            book[hid] = book.get(hid, 0) + payload.amount

    def money(amount: int) -> Money:
        return Money(amount, currency)

    handovers = tuple(
        HandoverCount(
            hid, money(declared.get(hid, 0)), money(counted[hid]) if hid in counted else None
        )
        for hid in sorted(declared.keys() | counted.keys())
    )
    return CashBookState(
        currency=currency,
        collected=money(sums["collected"]),
        reversed=money(sums["reversed"]),
        handed_over=money(sums["handed"]),
        counted=money(sums["counted"]),
        deposited=money(sums["dep"]),
        remitted=money(sums["rem"]),
        handovers=handovers,
        foreign_entries=tuple(foreign),
    )


def count_adjustments(events: Iterable[Event]) -> set[str]:
    """Ids of the reversals that name one of the book's handovers: adjustments of a desk
    count (see :mod:`protocol.journal`), not cash leaving the courier's hand."""
    listed = list(events)
    handovers = {e.payload.handover_id for e in listed if isinstance(e, CashHandedOver)}
    return {e.id for e in listed if isinstance(e, CashReversal) and e.payload.entry_id in handovers}


def book_currencies(events: Iterable[Event], currency: str) -> list[str]:
    """The book's own ``currency`` and every other one its cash entries use, sorted."""
    found = {currency}
    found.update(e.payload.currency for e in events if isinstance(e, _CASH_ENTRIES))
    return sorted(found)


def fold_by_currency(events: Iterable[Event], currency: str) -> dict[str, CashBookState]:
    """One :func:`fold_cash_book` per currency the book holds: never summed across them."""
    listed = list(events)
    return {cur: fold_cash_book(listed, cur) for cur in book_currencies(listed, currency)}


def latest_limit(events: Iterable[Event], currency: str) -> int | None:
    """Head office's last cash limit in ``currency`` among ``events`` (``None``: none set)."""
    limits = [e for e in sort_events(events) if isinstance(e, CashLimitSet)]
    found = [e.payload.limit_minor for e in limits if e.payload.currency == currency]
    return found[-1] if found else None
