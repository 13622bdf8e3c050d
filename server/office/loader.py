"""Read the synced documents back as plain records for :func:`protocol.reconcile.reconcile`.

Everything comes from the projections in ONE read snapshot: info fields from
``p_shipments`` / ``p_cash_books`` / ``p_returns`` and every event from
``p_events`` (its payload JSON decoded by the same typed event unions the
folds use). No ``Doc`` is loaded: at 1,000 documents this takes a few
milliseconds, and the office service caches the result per update-log head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite
import msgspec

from protocol.events import CashEvent, Event, ReturnEvent, ShipmentEvent
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.ledger import CashBookRecord, ReturnRecord, ShipmentRecord
from protocol.statement import FeeTerms
from sync.store import ReplicaStore

_EVENTS = (
    "SELECT doc_id, json_object('id', event_id, 'type', type, 'hlc', hlc, 'device', device, "
    "'actor', actor, 'payload', json(payload)) FROM p_events WHERE doc_type = ?"
)
_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "shipment": msgspec.json.Decoder(ShipmentEvent),
    "return": msgspec.json.Decoder(ReturnEvent),
    "cashbook": msgspec.json.Decoder(CashEvent),
}
_SHIPMENTS = (
    "SELECT doc_id, merchant_id, tracking_number, currency, order_ref, recipient_name, city, "
    "cod_amount, depot_id, courier_id, route_day, route_seq, slot_start, slot_end "
    "FROM p_shipments"
)
_BOOKS = "SELECT doc_id, owner_kind, owner_id, day, currency, depot_id FROM p_cash_books"
_RETURNS = "SELECT doc_id, shipment_id, merchant_id, currency, depot_id FROM p_returns"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every document as plain records, with the log head they were read at."""

    head: int
    shipments: list[ShipmentRecord]
    books: list[CashBookRecord]
    returns: list[ReturnRecord]


async def _rows(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    async with db.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def _events(db: aiosqlite.Connection, doc_type: str) -> dict[str, list[Event]]:
    decoder = _DECODERS[doc_type]
    events: dict[str, list[Event]] = {}
    for doc_id, raw in await _rows(db, _EVENTS, (doc_type,)):
        events.setdefault(doc_id, []).append(decoder.decode(raw))
    return events


def _shipment(row: Any, events: dict[str, list[Event]]) -> ShipmentRecord:
    keys = (
        "merchant_id tracking_number currency order_ref recipient_name city cod_amount "
        "depot_id courier_id route_day route_seq slot_start slot_end"
    ).split()
    fields = {k: v for k, v in zip(keys, row[1:], strict=True) if v is not None}
    info = ShipmentInfo(**fields)
    return ShipmentRecord(row[0], info, tuple(events.get(row[0], ())))


async def load_snapshot(store: ReplicaStore) -> Snapshot:
    """Every shipment, cash book and return of ``store`` in one consistent read."""
    async with store.reading() as db:
        (head,) = (await _rows(db, "SELECT coalesce(max(seq), 0) FROM update_log"))[0]
        shipment_events = await _events(db, "shipment")
        shipments = [_shipment(r, shipment_events) for r in await _rows(db, _SHIPMENTS)]
        book_events = await _events(db, "cashbook")
        books = [
            CashBookRecord(
                r[0],
                CashBookInfo(
                    owner_kind=r[1], owner_id=r[2], day=r[3], currency=r[4], depot_id=r[5]
                ),
                tuple(book_events.get(r[0], ())),
            )
            for r in await _rows(db, _BOOKS)
        ]
        return_events = await _events(db, "return")
        returns = [
            ReturnRecord(
                r[0],
                ReturnInfo(shipment_id=r[1], merchant_id=r[2], currency=r[3], depot_id=r[4]),
                tuple(return_events.get(r[0], ())),
            )
            for r in await _rows(db, _RETURNS)
        ]
    return Snapshot(int(head), shipments, books, returns)


async def load_terms(store: ReplicaStore) -> dict[str, FeeTerms]:
    """Fee terms per merchant as head office set them."""
    rows = await store.query(
        "SELECT merchant_id, fee_percent_bp, fee_fixed_minor FROM merchant_terms"
    )
    return {r[0]: FeeTerms(int(r[1]), int(r[2])) for r in rows}


async def load_limits(store: ReplicaStore) -> dict[str, int]:
    """Cash-in-hand limit per courier as head office set them."""
    rows = await store.query("SELECT courier_id, cash_limit_minor FROM courier_limits")
    return {r[0]: int(r[1]) for r in rows}
