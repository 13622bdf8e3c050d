"""The office read models' queries: every SQL statement head office runs.

The office reads the projections (``p_shipments``, ``p_events``, ...) and its
own tables (``merchant_terms``, ``merchant_names``, ``courier_limits``); the
core store's tables (update log, meta, devices, quarantine) only through the
store's methods (:mod:`sync.ports`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from sync.store import ReplicaStore

_EVENTS = (
    "SELECT doc_id, json_object('id', event_id, 'type', type, 'hlc', hlc, 'device', device, "
    "'actor', actor, 'payload', json(payload)) FROM p_events WHERE doc_type = ?"
)
SHIPMENT_COLUMNS = (
    "merchant_id tracking_number currency order_ref recipient_name city cod_amount "
    "depot_id courier_id route_day route_seq slot_start slot_end"
).split()
_SHIPMENTS = f"SELECT doc_id, {', '.join(SHIPMENT_COLUMNS)} FROM p_shipments"
_BOOKS = "SELECT doc_id, owner_kind, owner_id, day, currency, depot_id FROM p_cash_books"
_RETURNS = "SELECT doc_id, shipment_id, merchant_id, currency, depot_id FROM p_returns"
_ONLY = " doc_id IN (SELECT value FROM json_each(?))"


@dataclass(frozen=True, slots=True)
class SnapshotRows:
    """Projection rows read in one snapshot, with the log head they were read at.

    ``events``: per document type, ``(doc_id, event JSON)`` in fold order.
    ``changed``: None when every document was read, else the ids read.
    """

    head: int
    shipments: list[Any]
    books: list[Any]
    returns: list[Any]
    events: dict[str, list[tuple[str, str]]]
    changed: list[str] | None


class _Reader:
    """Reads projection rows on one connection, for every document or only some."""

    def __init__(self, db: aiosqlite.Connection, only: list[str] | None) -> None:
        self.db = db
        self.only = None if only is None else json.dumps(only)

    async def rows(self, sql: str, params: tuple[Any, ...] = (), order: str = "") -> list[Any]:
        if self.only is not None:
            sql += (" AND" if " WHERE " in sql else " WHERE") + _ONLY
            params = (*params, self.only)
        return list(await self.db.execute_fetchall(sql + order, params))


async def snapshot_rows(store: ReplicaStore, since: int | None = None) -> SnapshotRows:
    """Every shipment, cash book and return row (or, with ``since``, those of the
    documents written after that log sequence, when the log still goes back to it)."""
    async with store.reading() as db:
        head = await store.head_in(db)
        only = None if since is None else await store.changed_in(db, since, head)
        read = _Reader(db, only)
        events = {
            doc_type: [
                (r[0], r[1])
                for r in await read.rows(_EVENTS, (doc_type,), " ORDER BY hlc, event_id")
            ]
            for doc_type in ("shipment", "cashbook", "return")
        }
        return SnapshotRows(
            head,
            await read.rows(_SHIPMENTS),
            await read.rows(_BOOKS),
            await read.rows(_RETURNS),
            events,
            only,
        )


async def shipment_rows(
    store: ReplicaStore, doc_id: str
) -> tuple[list[Any], list[tuple[str, str]]]:
    """One shipment's ``p_shipments`` row (none: no such shipment) and its
    ``(doc_id, event JSON)`` in fold order, in one read snapshot."""
    async with store.reading() as db:
        read = _Reader(db, [doc_id])
        events = await read.rows(_EVENTS, ("shipment",), " ORDER BY hlc, event_id")
        return await read.rows(_SHIPMENTS), [(r[0], r[1]) for r in events]


async def merchant_terms(store: ReplicaStore) -> list[tuple[str, int, int]]:
    """``(merchant id, fee percent in basis points, fixed fee)`` as head office set them."""
    rows = await store.query(
        "SELECT merchant_id, fee_percent_bp, fee_fixed_minor FROM merchant_terms"
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


async def party_names(store: ReplicaStore) -> list[tuple[str, str, str]]:
    """``(kind, id, name)``: couriers and depots as named at enrolment, merchants as
    head office named them."""
    rows = await store.query(
        "SELECT kind, id, name FROM party_names UNION ALL "
        "SELECT 'merchant', merchant_id, name FROM merchant_names WHERE name != ''"
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def audit_rows(store: ReplicaStore) -> list[tuple[int, int, str, str, str, str, str]]:
    """Every office audit entry, oldest first: ``(id, at, actor, action, subject, detail,
    reason)``."""
    rows = await store.query(
        "SELECT id, at, actor, action, subject, detail, reason FROM office_audit ORDER BY id"
    )
    return [
        (int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6])) for r in rows
    ]


async def courier_limits(store: ReplicaStore) -> dict[str, int]:
    """Cash-in-hand limit per courier as head office set them."""
    rows = await store.query("SELECT courier_id, cash_limit_minor FROM courier_limits")
    return {r[0]: int(r[1]) for r in rows}


async def save_terms(
    store: ReplicaStore,
    merchant_id: str,
    fee: tuple[int, int],
    name: str | None,
    now: int,
    actor: str,
) -> str:
    """Set a merchant's fee terms ``(percent in basis points, fixed)`` and, when
    given, its name, in one transaction; returns the name it has now."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT OR REPLACE INTO merchant_terms VALUES (?, ?, ?, ?, ?)",
            (merchant_id, *fee, now, actor),
        )
        if name is not None:
            await db.execute(
                "INSERT OR REPLACE INTO merchant_names VALUES (?, ?, ?, ?)",
                (merchant_id, name, now, actor),
            )
            return name
        rows = await db.execute_fetchall(
            "SELECT name FROM merchant_names WHERE merchant_id = ?", (merchant_id,)
        )
        return str(next(iter(rows))[0]) if rows else ""


async def save_cash_limit(
    store: ReplicaStore, courier_id: str, limit_minor: int, now: int, actor: str
) -> None:
    """Set (or replace) the cash a courier may hold."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT OR REPLACE INTO courier_limits VALUES (?, ?, ?, ?)",
            (courier_id, limit_minor, now, actor),
        )


async def stock_moves(
    store: ReplicaStore, merchant_id: str | None = None
) -> list[tuple[str, str, str, str | None]]:
    """``(merchant, event type, hlc, payload)`` of every restock, dispatch and move
    between stock states of a return's items (only ``merchant_id``'s, when given)."""
    sql = (
        "SELECT r.merchant_id, e.type, e.hlc, e.payload FROM p_events e "
        "JOIN p_returns r ON r.doc_id = e.doc_id "
        "WHERE e.doc_type = 'return' AND e.type IN ('restocked', 'dispatched', 'stock_moved')"
    )
    params: tuple[str, ...] = ()
    if merchant_id is not None:
        sql, params = sql + " AND r.merchant_id = ?", (merchant_id,)
    return [(r[0], r[1], r[2], r[3]) for r in await store.query(sql, params)]


async def tracking_place(store: ReplicaStore, doc_id: str) -> tuple[str, str, str, str]:
    """A shipment's city, delivery slot start and end, and route day ("" when unset)."""
    rows = await store.query(
        "SELECT city, slot_start, slot_end, route_day FROM p_shipments WHERE doc_id = ?",
        (doc_id,),
    )
    city, start, end, day = (str(v or "") for v in rows[0])
    return city, start, end, day
