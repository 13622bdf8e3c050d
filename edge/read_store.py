"""The edge's read models: every query the commands and pages run on the projections.

Commands and pages ask here (or the store's methods, :mod:`sync.ports`) and
hold no SQL of their own.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sync.store import ReplicaStore


async def _ids(store: ReplicaStore, sql: str, params: tuple[Any, ...] = ()) -> list[str]:
    return [r[0] for r in await store.query(sql, params)]


async def shipment_ids(store: ReplicaStore, tracking_number: str | None = None) -> list[str]:
    """Ids of the shipments held (only the one with ``tracking_number``, when given)."""
    if tracking_number is None:
        return await _ids(store, "SELECT doc_id FROM p_shipments")
    return await _ids(
        store, "SELECT doc_id FROM p_shipments WHERE tracking_number = ?", (tracking_number,)
    )


async def cash_book_ids(
    store: ReplicaStore,
    *,
    depot_id: str | None = None,
    owner_kind: str | None = None,
    owner_id: str | None = None,
) -> list[str]:
    """Ids of the cash books matching every filter given."""
    filters = {"depot_id": depot_id, "owner_kind": owner_kind, "owner_id": owner_id}
    given = {k: v for k, v in filters.items() if v is not None}
    where = " AND ".join(f"{column} = ?" for column in given) or "1 = 1"
    return await _ids(store, f"SELECT doc_id FROM p_cash_books WHERE {where}", (*given.values(),))


async def handover_book_ids(store: ReplicaStore, handover_id: str) -> list[str]:
    """Ids of the cash books holding the handover ``handover_id``."""
    return await _ids(
        store,
        "SELECT doc_id FROM p_cash_entries WHERE kind = 'handed_over' AND reference = ?",
        (handover_id,),
    )


async def route_rows(store: ReplicaStore, courier_id: str, day: str) -> list[tuple[Any, ...]]:
    """A courier's stops on ``day`` in route order: route seq, id, tracking number,
    recipient, city, status, attempts, COD amount, currency, slot start and end."""
    return await store.query(
        "SELECT route_seq, doc_id, tracking_number, recipient_name, city, status, attempts, "
        "cod_amount, currency, slot_start, slot_end FROM p_shipments "
        "WHERE courier_id = ? AND route_day = ? ORDER BY route_seq, tracking_number",
        (courier_id, day),
    )


async def open_shipment_rows(
    store: ReplicaStore, depot_id: str, done: Collection[str]
) -> list[tuple[Any, ...]]:
    """A depot's shipments not in a ``done`` status: id, tracking number, recipient,
    city, status, courier, route day and seq, by courier and route."""
    statuses = tuple(done)
    marks = ",".join("?" * len(statuses))
    return await store.query(
        "SELECT doc_id, tracking_number, recipient_name, city, status, courier_id, route_day, "
        f"route_seq FROM p_shipments WHERE depot_id = ? AND status NOT IN ({marks}) "
        "ORDER BY courier_id, route_day, route_seq, tracking_number",
        (depot_id, *statuses),
    )


async def depot_returns(store: ReplicaStore, depot_id: str) -> list[tuple[str, str, str]]:
    """``(id, shipment id, status)`` of a depot's returns, those still to handle first."""
    rows = await store.query(
        "SELECT doc_id, shipment_id, status FROM p_returns WHERE depot_id = ? "
        "ORDER BY status = 'completed', doc_id",
        (depot_id,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def change_requested_ids(store: ReplicaStore, depot_id: str) -> list[str]:
    """Ids of a depot's shipments with a change requested (answered or not), by id."""
    rows = await store.query(
        "SELECT DISTINCT e.doc_id FROM p_events e JOIN p_shipments s ON s.doc_id = e.doc_id "
        "WHERE e.type = 'change_requested' AND s.depot_id = ? ORDER BY e.doc_id",
        (depot_id,),
    )
    return [str(r[0]) for r in rows]
