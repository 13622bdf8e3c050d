"""Plain inputs of head-office reconciliation, and the per-shipment COD ledger.

Everything here is a pure function of documents given as plain records
``(doc_id, info, events)``: no clock, no database. The ledger follows each
COD shipment's cash from the door to the merchant:

* **collected** comes from the shipment's own ``cod_collected`` events (cash
  and card); the courier's cash book entry for it (``collected``) tells which
  handover took it: the first ``handed_over`` after it in the same book, in
  ``(hlc, id)`` order (a handover hands over all cash in hand).
* **counted** is the desk's ``counted_at_depot`` entry of that handover.
* **deposited** is attributed first-counted-first-deposited per depot: a
  depot's deposits cover its counted shipments in count order, whole
  shipments only.
* **remitted** is the office batch whose ``shipment_ids`` name the shipment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .events import (
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CashRemitted,
    CashReversal,
    Event,
)
from .info import CashBookInfo, ReturnInfo, ShipmentInfo
from .lifecycle import ShipmentState, fold_shipment, sort_events
from .vocab import ShipmentStatus

S = ShipmentStatus
# No more cash is expected from these: what was not collected was refused or returned.
NO_MORE_CASH = frozenset({S.RETURNING_TO_ORIGIN, S.RETURNED_TO_ORIGIN, S.CANCELLED, S.LOST})
RETURNING = frozenset({S.RETURNING_TO_ORIGIN, S.RETURNED_TO_ORIGIN})


_WALL = re.compile(r"[0-9]{1,13}")


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    doc_id: str
    info: ShipmentInfo
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class CashBookRecord:
    doc_id: str
    info: CashBookInfo
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    doc_id: str
    info: ReturnInfo
    events: tuple[Event, ...]


def hlc_ms(hlc: str) -> int:
    """Wall-clock milliseconds of an encoded HLC timestamp: its leading digits (at
    most 13), 0 for an empty or malformed one (stored before the boundary refused
    such clocks, it must not break a fold)."""
    match = _WALL.match(hlc or "")
    return int(match.group()) if match else 0


def day_of(hlc: str) -> str:
    """The UTC day ``YYYY-MM-DD`` of an encoded HLC timestamp ('' for an empty one)."""
    if not hlc:
        return ""
    return datetime.fromtimestamp(hlc_ms(hlc) / 1000, UTC).date().isoformat()


@dataclass(slots=True)
class CodLine:
    """Where one COD shipment's cash is. Amounts in minor units of ``currency``.

    Identity: ``expected == collected + outstanding + refused``; ``outstanding``
    is negative when more was collected than expected.
    """

    doc_id: str
    info: ShipmentInfo
    state: ShipmentState
    expected: int
    collected: int
    refused: int
    outstanding: int
    collected_by: str = ""
    collected_at: str = ""
    method: str = ""
    cash_entry_id: str = ""
    handover_id: str = ""
    handover_depot: str = ""
    counted_at: str = ""
    deposited: bool = False
    remitted_batch: str = ""
    reversed: int = 0
    event_ids: list[str] = field(default_factory=list)  # the COD collections
    status_event_id: str = ""  # the event that set the current status

    @property
    def frozen(self) -> bool:
        """Cash held back from the merchant: returning to origin or in dispute."""
        return self.state.status in RETURNING or bool(self.state.open_conflicts)


def cod_line(record: ShipmentRecord) -> CodLine:
    """The ledger line of one shipment from its own events (cash book links added later)."""
    info = record.info
    state = fold_shipment(record.events, info.cod)
    collected = sum(c.amount.amount for c in state.collections)
    expected = info.cod_amount
    refused = max(expected - collected, 0) if state.status in NO_MORE_CASH else 0
    line = CodLine(
        doc_id=record.doc_id,
        info=info,
        state=state,
        expected=expected,
        collected=collected,
        refused=refused,
        outstanding=expected - collected - refused,
        event_ids=[c.event_id for c in state.collections],
    )
    if state.history:
        moved_at = state.history[-1][0]
        line.status_event_id = next((e.id for e in record.events if e.hlc == moved_at), "")
    if state.collections:
        first = state.collections[0]
        line.collected_at, line.method = first.hlc, first.method
        actors = {e.id: e.actor for e in record.events}
        line.collected_by = actors.get(first.event_id, "")
    return line


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


def link_books(lines: dict[str, CodLine], books: Iterable[CashBookRecord]) -> list[HandoverEntry]:
    """Attach cash-book facts to the ledger lines; return every handover with its count."""
    handovers: dict[str, HandoverEntry] = {}
    for book in books:
        if book.info.owner_kind == "courier":
            _link_courier_book(lines, book, handovers)
            continue
        for event in sort_events(book.events):  # the first batch naming a line paid it
            if isinstance(event, CashRemitted):
                for sid in event.payload.shipment_ids:
                    if sid in lines and not lines[sid].remitted_batch:
                        lines[sid].remitted_batch = event.payload.batch_id
    return [handovers[hid] for hid in sorted(handovers)]


def _link_courier_book(
    lines: dict[str, CodLine], book: CashBookRecord, handovers: dict[str, HandoverEntry]
) -> None:
    waiting: list[CodLine] = []
    entries: dict[str, CodLine] = {}
    for event in sort_events(book.events):
        if isinstance(event, CashCollected):
            line = lines.get(event.payload.shipment_id)
            if line is not None and not line.cash_entry_id:
                line.cash_entry_id = event.id
                waiting.append(line)
                entries[event.id] = line
        elif isinstance(event, CashReversal) and event.payload.entry_id in entries:
            entries[event.payload.entry_id].reversed += event.payload.amount
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
                for line in waiting:
                    line.handover_id, line.handover_depot = p.handover_id, p.depot_id
                waiting = []
            else:
                entry.counted = (entry.counted or 0) + p.amount
                entry.counted_at = entry.counted_at or event.hlc


def attribute_deposits(
    lines: Iterable[CodLine], handovers: list[HandoverEntry], deposited: dict[str, int]
) -> None:
    """Mark lines deposited, first counted first deposited, per depot (see module doc)."""
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
        cash = line.collected - line.reversed
        if cash <= left.get(line.handover_depot, 0):
            left[line.handover_depot] -= cash
            line.deposited = True


def depot_deposits(books: Iterable[CashBookRecord]) -> dict[str, int]:
    """Deposited minor units per depot from the depots' own cash books."""
    totals: dict[str, int] = {}
    for book in books:
        if book.info.owner_kind != "depot":
            continue
        depot = book.info.depot_id or book.info.owner_id
        for event in book.events:
            if isinstance(event, CashDeposited):
                totals[depot] = totals.get(depot, 0) + event.payload.amount
    return totals
