"""A cash book's running totals, advanced by the entries appended to it.

:func:`protocol.cash.fold_cash_book` and :func:`protocol.cash_rules.book_refusal`
read the whole book, sorted, on every entry it gains: a courier's book grows
all day, so each push cost more than the last. The totals they compute are sums,
which do not depend on the order of the entries; :class:`BookTotals` keeps them
per currency and :meth:`BookTotals.advanced` adds new entries, so a push costs
what it adds. Only a new handover sorting before an entry already in the book
needs the ordered fold (:func:`handover_refusal` says so by answering
:data:`UNDECIDED`).

The one subtlety is the count adjustments (:func:`.cash.count_adjustments`):
a reversal naming a handover of the book moves no cash, and a handover arriving
later turns the reversals already naming it into adjustments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from .events import (
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CashRemitted,
    CashReversal,
    Event,
)
from .lifecycle import sort_events
from .money import Money
from .permissions import Refusal

_BUCKETS: Final[dict[type[Event], str]] = {
    CashCollected: "collected",
    CashReversal: "reversed",
    CashHandedOver: "handed",
    CashCounted: "counted",
    CashDeposited: "deposited",
    CashRemitted: "remitted",
}
UNDECIDED: Final = "undecided"  # the ordered fold must decide


@dataclass(frozen=True, slots=True)
class BookSums:
    """A book's totals in one currency, as :class:`.cash.CashBookState` has them."""

    collected: Money
    reversed: Money
    handed_over: Money
    counted: Money
    deposited: Money
    remitted: Money
    discrepancy: Money  # counted minus declared, over the handovers counted

    @property
    def in_hand(self) -> Money:
        """Collected, less reversals and handovers."""
        return self.collected - self.reversed - self.handed_over


@dataclass(frozen=True, slots=True)
class BookTotals:
    """Per currency sums of a book's cash entries, never changed in place."""

    sums: dict[tuple[str, str], int] = field(default_factory=dict)  # (bucket, currency)
    declared: dict[tuple[str, str], int] = field(default_factory=dict)  # (handover, cur)
    counted: dict[tuple[str, str], int] = field(default_factory=dict)  # (handover, cur)
    handovers: frozenset[str] = frozenset()  # every handover id, any currency
    # reversals naming an entry that is not (yet) a handover of the book
    pending: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    last: tuple[str, str] = ("", "")  # the greatest ``(hlc, id)`` of the book

    @classmethod
    def of(cls, events: Iterable[Event]) -> BookTotals:
        """The totals of a whole book (duplicate ids counted once, as the fold does)."""
        return cls().advanced(sort_events(events))

    def advanced(self, new: Sequence[Event]) -> BookTotals:
        """The totals once ``new`` (entries whose ids the book does not hold) are added."""
        sums, declared, counted = dict(self.sums), dict(self.declared), dict(self.counted)
        handovers, pending = set(self.handovers), dict(self.pending)
        last = self.last
        for event in new:
            last = max(last, event.sort_key)
            bucket = _BUCKETS.get(type(event))
            if bucket is None:
                continue
            cur, amount = event.payload.currency, event.payload.amount  # type: ignore[attr-defined]
            if isinstance(event, CashReversal):
                target = event.payload.entry_id
                if target in handovers:
                    continue  # a count adjustment: no cash moves
                pending[target] = (*pending.get(target, ()), (cur, amount))
            elif isinstance(event, CashHandedOver | CashCounted):
                hid = event.payload.handover_id
                book = declared if isinstance(event, CashHandedOver) else counted
                book[hid, cur] = book.get((hid, cur), 0) + amount
                if isinstance(event, CashHandedOver) and hid not in handovers:
                    handovers.add(hid)
                    for was_cur, was in pending.pop(hid, ()):
                        sums["reversed", was_cur] -= was
            sums[bucket, cur] = sums.get((bucket, cur), 0) + amount
        return BookTotals(sums, declared, counted, frozenset(handovers), pending, last)

    def in_hand(self, currency: str) -> int:
        """Cash held in ``currency``: collected, less reversals and handovers."""
        s = self.sums
        return (
            s.get(("collected", currency), 0)
            - s.get(("reversed", currency), 0)
            - s.get(("handed", currency), 0)
        )

    def in_currency(self, currency: str) -> BookSums:
        """The totals in ``currency`` (the book's own; others are not summed into it)."""

        def money(bucket: str) -> Money:
            return Money(self.sums.get((bucket, currency), 0), currency)

        counted = {hid: n for (hid, cur), n in self.counted.items() if cur == currency}
        gap = sum(n - self.declared.get((hid, currency), 0) for hid, n in counted.items())
        return BookSums(
            money("collected"),
            money("reversed"),
            money("handed"),
            money("counted"),
            money("deposited"),
            money("remitted"),
            Money(gap, currency),
        )


def _moves(event: Event, currency: str, handovers: frozenset[str]) -> int:
    """What ``event`` adds to the cash in hand in ``currency``."""
    if not isinstance(event, CashCollected | CashReversal | CashHandedOver):
        return 0
    p = event.payload
    if p.currency != currency:
        return 0
    if isinstance(event, CashCollected):
        return p.amount
    if isinstance(event, CashReversal) and event.payload.entry_id in handovers:
        return 0
    return -p.amount


def handover_refusal(
    before: BookTotals, after: BookTotals, new: Sequence[Event]
) -> Refusal | str | None:
    """:func:`.cash_rules.book_refusal` of the book ``before`` gaining ``new`` (giving
    ``after``), from the totals: each new handover no larger than the cash in hand
    just before it. :data:`UNDECIDED` when a new handover sorts before an entry
    the book already held: the ordered fold decides that one."""
    handed = [e for e in new if isinstance(e, CashHandedOver)]
    if not handed:
        return None
    if any(e.sort_key < before.last for e in handed):
        return UNDECIDED
    ordered = sort_events(new)
    for handover in sorted(handed, key=lambda e: e.sort_key):
        cur, amount = handover.payload.currency, handover.payload.amount
        later = sum(
            _moves(e, cur, after.handovers) for e in ordered if e.sort_key >= handover.sort_key
        )
        held = after.in_hand(cur) - later
        if amount > held:
            return Refusal(
                "handover_above_cash",
                f"handover {handover.payload.handover_id} of {Money(amount, cur).format()} "
                f"exceeds the {Money(held, cur).format()} in hand",
            )
    return None


__all__ = ["UNDECIDED", "BookSums", "BookTotals", "handover_refusal"]
