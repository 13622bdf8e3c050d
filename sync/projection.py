"""Projections: flat, queryable rows rebuilt from a document by ONE function.

:func:`project` is the only place rows come from; dropping every projection
table and re-running it over the documents gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from protocol.cash_totals import BookSums
from protocol.delivery import effective_info
from protocol.events import Event, LimitPayload, event_type
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.lifecycle import fold_shipment, sort_events
from protocol.returns import fold_return
from protocol.vocab import DocType

from .documents import Content

PROJECTION_DDL = """
CREATE TABLE IF NOT EXISTS p_shipments (
    doc_id TEXT PRIMARY KEY, tracking_number TEXT, merchant_id TEXT, order_ref TEXT,
    depot_id TEXT, courier_id TEXT, route_day TEXT, route_seq INTEGER,
    recipient_name TEXT, city TEXT, slot_start TEXT, slot_end TEXT,
    status TEXT, attempts INTEGER, cod_amount INTEGER, currency TEXT,
    cod_collected INTEGER, collections INTEGER, delivered_at TEXT, last_hlc TEXT,
    open_conflicts INTEGER);
CREATE INDEX IF NOT EXISTS p_shipments_tracking ON p_shipments(tracking_number);
CREATE INDEX IF NOT EXISTS p_shipments_route ON p_shipments(courier_id, route_day, route_seq);
CREATE TABLE IF NOT EXISTS p_events (
    doc_id TEXT, event_id TEXT, doc_type TEXT, type TEXT, hlc TEXT, device TEXT,
    actor TEXT, payload TEXT, PRIMARY KEY (doc_id, event_id));
CREATE TABLE IF NOT EXISTS p_cash_books (
    doc_id TEXT PRIMARY KEY, owner_kind TEXT, owner_id TEXT, depot_id TEXT, day TEXT,
    currency TEXT, collected INTEGER, reversed INTEGER, handed_over INTEGER,
    counted INTEGER, deposited INTEGER, remitted INTEGER, in_hand INTEGER,
    discrepancy INTEGER);
CREATE TABLE IF NOT EXISTS p_cash_entries (
    doc_id TEXT, entry_id TEXT, kind TEXT, amount INTEGER, currency TEXT,
    shipment_id TEXT, reference TEXT, hlc TEXT, device TEXT,
    PRIMARY KEY (doc_id, entry_id));
CREATE TABLE IF NOT EXISTS p_returns (
    doc_id TEXT PRIMARY KEY, shipment_id TEXT, merchant_id TEXT, depot_id TEXT,
    status TEXT, refunded INTEGER, currency TEXT);
CREATE TABLE IF NOT EXISTS p_return_items (
    doc_id TEXT, position INTEGER, sku TEXT, grade TEXT, disposition TEXT,
    quantity INTEGER, PRIMARY KEY (doc_id, position));
CREATE TABLE IF NOT EXISTS p_stock (
    doc_id TEXT, depot_id TEXT, sku TEXT, quantity INTEGER,
    PRIMARY KEY (doc_id, depot_id, sku));
CREATE TABLE IF NOT EXISTS p_stock_states (
    doc_id TEXT, depot_id TEXT, sku TEXT, state TEXT, quantity INTEGER,
    PRIMARY KEY (doc_id, depot_id, sku, state));
CREATE TABLE IF NOT EXISTS p_conflicts (
    doc_id TEXT, conflict_id TEXT, kind TEXT, message TEXT, resolved INTEGER,
    PRIMARY KEY (doc_id, conflict_id));
"""

PROJECTION_TABLES = (
    "p_shipments",
    "p_events",
    "p_cash_books",
    "p_cash_entries",
    "p_returns",
    "p_return_items",
    "p_stock",
    "p_stock_states",
    "p_conflicts",
)

# The tables :func:`project` can fill for each document type (a document's
# stale rows are only ever in these).
TABLES_OF: dict[str, tuple[str, ...]] = {
    DocType.SHIPMENT: ("p_shipments", "p_events", "p_conflicts"),
    DocType.CASHBOOK: ("p_cash_books", "p_events", "p_cash_entries"),
    DocType.RETURN: (
        "p_returns",
        "p_events",
        "p_return_items",
        "p_stock",
        "p_stock_states",
        "p_conflicts",
    ),
}

# Tables holding one row per event of a document, keyed ``(doc_id, <this column>)``.
# The store keeps their rows in place (an upsert that writes only a changed row, and a
# delete of the rows of events the document no longer holds) instead of rewriting all
# of a document's rows on each change: a courier's cash book gains an entry with every
# COD delivery of the day.
EVENT_KEYED: dict[str, str] = {"p_events": "event_id", "p_cash_entries": "entry_id"}

Row = tuple[Any, ...]


@dataclass(slots=True)
class Projection:
    """Rows of every projection table for one document, in ``tables`` only
    (its type's :data:`TABLES_OF`, where the store looks for stale rows).

    ``partial``: the :data:`EVENT_KEYED` rows are only those of events appended
    since the stored content; the rows of the events before are stored already.
    """

    doc_id: str
    tables: tuple[str, ...]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    partial: bool = False

    def add(self, table: str, row: Row) -> None:
        assert table in self.tables, f"{table} is not in TABLES_OF for {self.doc_id}"
        self.rows.setdefault(table, []).append(row)


def payload_of(event: Event) -> Any:
    """The payload struct of any event (every concrete event type has one)."""
    return event.payload  # type: ignore[attr-defined]


def _event_rows(proj: Projection, doc_type: DocType, events: list[Event]) -> None:
    for e in events:
        payload = msgspec.json.encode(payload_of(e)).decode()
        proj.add(
            "p_events",
            (proj.doc_id, e.id, doc_type.value, event_type(e), e.hlc, e.device, e.actor, payload),
        )


def _shipment(proj: Projection, info: ShipmentInfo, events: list[Event]) -> None:
    info = effective_info(info, events)
    state = fold_shipment(events, info.cod)
    collected = sum(c.amount.amount for c in state.collections)
    last = max((e.hlc for e in events), default="")
    proj.add(
        "p_shipments",
        (
            proj.doc_id,
            info.tracking_number,
            info.merchant_id,
            info.order_ref,
            info.depot_id,
            info.courier_id,
            info.route_day,
            info.route_seq,
            info.recipient_name,
            info.city,
            info.slot_start,
            info.slot_end,
            state.status.value,
            state.attempts,
            info.cod_amount,
            info.currency,
            collected,
            len(state.collections),
            state.delivered_at,
            last,
            len(state.open_conflicts),
        ),
    )
    for c in state.conflicts:
        proj.add("p_conflicts", (proj.doc_id, c.id, c.kind.value, c.message, int(c.resolved)))


def _cash_book(proj: Projection, info: CashBookInfo, book: BookSums, fresh: list[Event]) -> None:
    proj.add(
        "p_cash_books",
        (
            proj.doc_id,
            info.owner_kind,
            info.owner_id,
            info.depot_id,
            info.day,
            info.currency,
            book.collected.amount,
            book.reversed.amount,
            book.handed_over.amount,
            book.counted.amount,
            book.deposited.amount,
            book.remitted.amount,
            book.in_hand.amount,
            book.discrepancy.amount,
        ),
    )
    for e in fresh:
        p = payload_of(e)
        reference = (
            getattr(p, "handover_id", None)
            or getattr(p, "batch_id", None)
            or getattr(p, "entry_id", None)
        )
        proj.add(
            "p_cash_entries",
            (
                proj.doc_id,
                e.id,
                event_type(e),
                p.limit_minor if isinstance(p, LimitPayload) else p.amount,
                p.currency,
                getattr(p, "shipment_id", None),
                reference,
                e.hlc,
                e.device,
            ),
        )


def _return(proj: Projection, info: ReturnInfo, events: list[Event]) -> None:
    state = fold_return(events)
    proj.add(
        "p_returns",
        (
            proj.doc_id,
            info.shipment_id,
            info.merchant_id,
            info.depot_id,
            state.status.value,
            state.refunded_minor,
            info.currency,
        ),
    )
    for pos, item in enumerate(state.items):
        proj.add(
            "p_return_items",
            (proj.doc_id, pos, item.sku, item.grade.value, item.disposition.value, item.quantity),
        )
    for depot_id, sku, quantity in state.stock:
        proj.add("p_stock", (proj.doc_id, depot_id, sku, quantity))
    for depot_id, sku, stock_state, quantity in state.levels:
        proj.add("p_stock_states", (proj.doc_id, depot_id, sku, stock_state.value, quantity))
    for c in state.conflicts:
        proj.add("p_conflicts", (proj.doc_id, c.id, c.kind.value, c.message, int(c.resolved)))


def project(doc_id: str, doc_type: DocType, content: Content, stored_events: int = 0) -> Projection:
    """Every projection row of one document, computed by the pure folds.

    ``stored_events``: how many leading events of ``content`` already have their
    :data:`EVENT_KEYED` rows stored, because the content before this change was
    stored (with its rows, in one transaction) and this one only appended to it.
    Their rows are left out and the projection is ``partial``: a day's cash book
    gains an entry with every COD delivery, and is projected again each time.
    """
    if not content.info:
        return Projection(doc_id, TABLES_OF[doc_type])
    proj = Projection(doc_id, TABLES_OF[doc_type], partial=stored_events > 0)
    info = content.typed_info(doc_type)
    typed = content.typed_events(doc_type)
    # one row per event id: two copies of one event (merged from two replicas'
    # writes of it) are one event, as in the folds; the later copy's row stands
    fresh = sort_events(typed[stored_events:])
    _event_rows(proj, doc_type, fresh)
    if isinstance(info, CashBookInfo):  # its totals run on, whatever its length
        _cash_book(proj, info, content.book_totals().in_currency(info.currency), fresh)
        return proj
    events = sort_events(typed) if stored_events else fresh
    if isinstance(info, ShipmentInfo):
        _shipment(proj, info, events)
    else:
        _return(proj, info, events)
    return proj
