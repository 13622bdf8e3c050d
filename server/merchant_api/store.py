"""The merchant API's queries: every SQL statement the merchant API runs.

Shipments, events, order reservations and stock are read from the projections and
the API's own tables (``merchant_orders``, ``merchant_names``); the SQL is
SQLite's, portable to PostgreSQL through :mod:`sync._pg_dialect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from sync.store import ReplicaStore

from .schemas import EventOut

SHIPMENT_COLUMNS = (
    "doc_id, tracking_number, merchant_id, order_ref, status, depot_id, courier_id, attempts, "
    "cod_amount, cod_collected, currency, delivered_at, last_hlc, open_conflicts"
)
Key = Literal["doc_id", "tracking_number"]
_CHUNK = 500  # order refs per IN (...) list


async def shipment_row(store: ReplicaStore, where: Key, value: str) -> tuple[Any, ...] | None:
    """One projected shipment (``SHIPMENT_COLUMNS``) by ``doc_id`` or ``tracking_number``."""
    rows = await store.query(
        f"SELECT {SHIPMENT_COLUMNS} FROM p_shipments WHERE {where} = ? LIMIT 1", (value,)
    )
    return rows[0] if rows else None


async def shipment_events(store: ReplicaStore, doc_id: str) -> list[EventOut]:
    """A document's events in fold order."""
    rows = await store.query(
        "SELECT event_id, type, hlc, actor, payload FROM p_events WHERE doc_id = ? "
        "ORDER BY hlc, event_id",
        (doc_id,),
    )
    return [EventOut(r[0], r[1], r[2], r[3], msgspec.json.decode(r[4] or "{}")) for r in rows]


async def shipment_page_rows(
    store: ReplicaStore,
    cursor: str,
    limit: int,
    merchant_id: str | None = None,
    status: str | None = None,
    since_hlc: str | None = None,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` shipments after ``cursor`` in id order, each filter when given."""
    where, params = ["doc_id > ?"], [cursor]
    for column, op, value in (
        ("merchant_id", "=", merchant_id),
        ("status", "=", status),
        ("last_hlc", ">=", since_hlc),
    ):
        if value is not None:
            where.append(f"{column} {op} ?")
            params.append(value)
    return await store.query(
        f"SELECT {SHIPMENT_COLUMNS} FROM p_shipments WHERE {' AND '.join(where)} "
        "ORDER BY doc_id LIMIT ?",
        (*params, limit),
    )


async def reserved_orders(
    store: ReplicaStore, merchant_id: str, refs: Sequence[str]
) -> list[tuple[str, str, str, bool]]:
    """``(order_ref, shipment_id, tracking_number, stored)`` of the merchant's reserved
    ``refs``; ``stored`` once the shipment's document is projected."""
    found: list[tuple[str, str, str, bool]] = []
    unique = list(dict.fromkeys(refs))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = await store.query(
            "SELECT m.order_ref, m.shipment_id, m.tracking_number, s.doc_id IS NOT NULL "
            "FROM merchant_orders m LEFT JOIN p_shipments s ON s.doc_id = m.shipment_id "
            f"WHERE m.merchant_id = ? AND m.order_ref IN ({','.join('?' * len(chunk))})",
            (merchant_id, *chunk),
        )
        found.extend((str(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows)
    return found


async def reserve_orders(
    store: ReplicaStore, merchant_id: str, drawn: Sequence[tuple[str, str, str]]
) -> None:
    """Reserve ``(order_ref, shipment_id, tracking_number)`` each, in one transaction,
    unless the ref is reserved already or the number is any shipment's."""
    async with store.transaction() as db:
        await db.executemany(
            "INSERT OR IGNORE INTO merchant_orders SELECT ?, ?, ?, ?, "
            "strftime('%s','now') * 1000 WHERE NOT EXISTS "
            "(SELECT 1 FROM p_shipments WHERE tracking_number = ?)",
            [(merchant_id, ref, sid, number, number) for ref, sid, number in drawn],
        )


async def merchant_name(store: ReplicaStore, merchant_id: str) -> str:
    """The merchant's display name, ``""`` when none is set."""
    rows = await store.query(
        "SELECT name FROM merchant_names WHERE merchant_id = ?", (merchant_id,)
    )
    return str(rows[0][0]) if rows else ""


async def stock_rows(store: ReplicaStore, merchant_id: str) -> list[tuple[str, str, str, int]]:
    """``(sku, depot, state, units)`` of the merchant's returns, summed per key."""
    rows = await store.query(
        "SELECT s.sku, s.depot_id, s.state, sum(s.quantity) FROM p_stock_states s "
        "JOIN p_returns r ON r.doc_id = s.doc_id WHERE r.merchant_id = ? "
        "GROUP BY s.sku, s.depot_id, s.state ORDER BY s.sku, s.depot_id",
        (merchant_id,),
    )
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0)) for r in rows]
