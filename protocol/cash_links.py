"""The cash books' facts attached to the COD lines of :mod:`protocol.ledger`.

* a courier's ``collected`` entry links its shipment to the first
  ``handed_over`` after it, in the same book and currency, in ``(hlc, id)``
  order (a handover hands over all cash in hand of its currency);
* **counted** is the desk's ``counted_at_depot`` entry of that handover;
* **deposited** is attributed first-counted-first-deposited per depot and
  currency: a depot's deposits cover its counted shipments in count order,
  whole shipments only;
* **remitted** is the first office batch whose ``shipment_ids`` name the line;
* a ``reversal`` (in any book) names a collection by its cash book entry or its
  ``cod_collected`` event: of the standing collection it is ``reversed``, of an
  extra or foreign one it is ``refunded``.

A book entry whose shipment recorded no collection is an orphan, listed for
the reconciliation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .events import (
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CashRemitted,
    CashReversal,
)
from .ledger import CashBookRecord, CodLine
from .lifecycle import sort_events


@dataclass(slots=True)
class HandoverEntry:
    """A handover declared in a courier's cash book, and what the desk counted."""

    handover_id: str
    book_id: str
    courier_id: str
    depot_id: str
    currency: str
    declared: int = 0
    counted: int | None = None
    counted_at: str = ""
    event_ids: list[str] = field(default_factory=list)

    @property
    def discrepancy(self) -> int:
        """Counted minus declared; 0 until counted."""
        return 0 if self.counted is None else self.counted - self.declared


@dataclass(frozen=True, slots=True)
class Orphan:
    """A courier's book entry that no collection of its shipment accounts for."""

    book_id: str
    courier_id: str
    entry: CashCollected


@dataclass(frozen=True, slots=True)
class Reversal:
    """A ``reversal`` and what it names: a collection of ``line`` (``extra`` if not the
    standing one) or, as a count adjustment, a ``handover``."""

    event: CashReversal
    book_kind: str  # owner kind of the book it is in
    line: CodLine | None = None
    extra: bool = False
    handover: HandoverEntry | None = None


@dataclass(slots=True)
class Links:
    """What linking the books found besides the line facts."""

    handovers: list[HandoverEntry]
    orphans: list[Orphan]
    reversals: list[Reversal]


def link_books(lines: dict[str, CodLine], books: Iterable[CashBookRecord]) -> Links:
    """Attach cash-book facts to the ledger lines; return handovers, orphans, reversals."""
    books = sorted(books, key=lambda b: b.doc_id)
    handovers: dict[str, HandoverEntry] = {}
    targets: dict[str, tuple[CodLine, bool]] = {}
    for line in lines.values():
        if line.standing is not None:
            targets[line.standing.event_id] = (line, False)
        targets.update((t.event_id, (line, True)) for t in (*line.extras, *line.foreign))
    orphans: list[Orphan] = []
    for book in books:
        if book.info.owner_kind == "courier":
            _link_courier_book(lines, book, handovers, targets, orphans)
            continue
        for event in sort_events(book.events):  # the first batch naming a line paid it
            if isinstance(event, CashRemitted):
                for sid in event.payload.shipment_ids:
                    if sid in lines and not lines[sid].remitted_batch:
                        lines[sid].remitted_batch = event.payload.batch_id
    reversals = _reversals(books, targets, handovers)
    return Links([handovers[hid] for hid in sorted(handovers)], orphans, reversals)


def _reversals(
    books: list[CashBookRecord],
    targets: dict[str, tuple[CodLine, bool]],
    handovers: dict[str, HandoverEntry],
) -> list[Reversal]:
    kinds = {e.id: book.info.owner_kind for book in books for e in book.events}
    found = []
    for event in sort_events(e for book in books for e in book.events):
        if not isinstance(event, CashReversal):
            continue
        p, kind = event.payload, kinds[event.id]
        if p.entry_id in handovers and handovers[p.entry_id].currency == p.currency:
            found.append(Reversal(event, kind, handover=handovers[p.entry_id]))
            continue
        if p.entry_id not in targets:
            continue
        line, extra = targets[p.entry_id]
        if not extra and p.currency != line.info.currency:
            continue  # a reversal in another currency reverses nothing of the line
        if extra:
            line.refunded += p.amount
        else:
            line.reversed += p.amount
        found.append(Reversal(event, kind, line, extra))
    return found


def _link_courier_book(
    lines: dict[str, CodLine],
    book: CashBookRecord,
    handovers: dict[str, HandoverEntry],
    targets: dict[str, tuple[CodLine, bool]],
    orphans: list[Orphan],
) -> None:
    waiting: dict[str, list[CodLine]] = {}
    for event in sort_events(book.events):
        if isinstance(event, CashCollected):
            _entry(lines, book, event, waiting, targets, orphans)
        elif isinstance(event, CashHandedOver | CashCounted):
            p = event.payload
            entry = handovers.setdefault(
                p.handover_id,
                HandoverEntry(
                    p.handover_id, book.doc_id, book.info.owner_id, p.depot_id, p.currency
                ),
            )
            entry.event_ids.append(event.id)
            if isinstance(event, CashHandedOver):
                entry.declared += p.amount
                for line in waiting.pop(p.currency, []):
                    line.handover_id, line.handover_depot = p.handover_id, p.depot_id
            else:
                entry.counted = (entry.counted or 0) + p.amount
                entry.counted_at = entry.counted_at or event.hlc


def _entry(
    lines: dict[str, CodLine],
    book: CashBookRecord,
    event: CashCollected,
    waiting: dict[str, list[CodLine]],
    targets: dict[str, tuple[CodLine, bool]],
    orphans: list[Orphan],
) -> None:
    """Link one ``collected`` entry: to the standing collection, else to an extra one."""
    line = lines.get(event.payload.shipment_id)
    cash = [] if line is None else _cash_takings(line)
    if line is None or not cash:
        orphans.append(Orphan(book.doc_id, book.info.owner_id, event))
        return
    owner = book.info.owner_id
    own = event.payload.currency == line.info.currency
    collectors = {t.actor for t in (line.standing, *line.extras) if t is not None}
    mine = line.standing is not None and (line.standing.actor == owner or owner not in collectors)
    if own and mine and not line.cash_entry_id and line.method == "cash":
        line.cash_courier = owner
        line.cash_entry_id = event.id
        targets[event.id] = (line, False)
        waiting.setdefault(event.payload.currency, []).append(line)
    else:
        targets[event.id] = (line, True)


def _cash_takings(line: CodLine) -> list[str]:
    takings = (line.standing, *line.extras, *line.foreign)
    return [t.event_id for t in takings if t is not None and t.method == "cash"]


def attribute_deposits(
    lines: Iterable[CodLine], handovers: list[HandoverEntry], deposited: dict[tuple[str, str], int]
) -> None:
    """Mark lines deposited, first counted first deposited, per depot and currency."""
    counted_at = {h.handover_id: h.counted_at for h in handovers if h.counted is not None}
    queue = sorted(
        (
            line
            for line in lines
            if line.handover_id in counted_at and line.collected > 0 and line.method == "cash"
        ),
        key=lambda line: (counted_at[line.handover_id], line.collected_at, line.doc_id),
    )
    left = dict(deposited)
    for line in queue:
        line.counted_at = counted_at[line.handover_id]
        key = (line.handover_depot, line.info.currency)
        cash = line_cash(line)
        if cash <= left.get(key, 0):
            left[key] = left.get(key, 0) - cash
            line.deposited = True


def line_cash(line: CodLine) -> int:
    """The cash of a line that travels with its handover: the standing collection less
    its reversals, and the extra cash collections (which go to suspense once banked)."""
    extra = sum(t.amount for t in line.extras if t.method == "cash")
    return line.collected - line.reversed + extra


def depot_deposits(books: Iterable[CashBookRecord]) -> dict[tuple[str, str], int]:
    """Deposited minor units per (depot, currency) from the depots' own cash books."""
    totals: dict[tuple[str, str], int] = {}
    for book in books:
        if book.info.owner_kind != "depot":
            continue
        depot = book.info.depot_id or book.info.owner_id
        for event in book.events:
            if isinstance(event, CashDeposited):
                key = (depot, event.payload.currency)
                totals[key] = totals.get(key, 0) + event.payload.amount
    return totals
