"""The simulator's read models: every query it runs on a replica's projections.

The simulator checks each replica as a user would read it, through these and
the store's methods (:mod:`sync.ports`); nothing else in ``simulation/``
holds SQL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sync.store import ReplicaStore


async def _scalar(store: ReplicaStore, sql: str) -> int:
    rows = await store.query(sql)
    return int(rows[0][0] or 0)


async def event_ids(store: ReplicaStore) -> set[str]:
    """Ids of every event the replica holds."""
    return {r[0] for r in await store.query("SELECT event_id FROM p_events")}


async def event_count(store: ReplicaStore) -> int:
    """How many events the replica holds."""
    return await _scalar(store, "SELECT count(*) FROM p_events")


async def event_hlcs(store: ReplicaStore, doc_id: str) -> list[str]:
    """Timestamps of the events the replica holds for ``doc_id``."""
    rows = await store.query("SELECT hlc FROM p_events WHERE doc_id = ?", (doc_id,))
    return [r[0] for r in rows]


async def has_event(store: ReplicaStore, doc_id: str, event_id: str) -> bool:
    """True when the replica holds event ``event_id`` of ``doc_id``."""
    rows = await store.query(
        "SELECT 1 FROM p_events WHERE doc_id = ? AND event_id = ?", (doc_id, event_id)
    )
    return bool(rows)


async def shipment_statuses(store: ReplicaStore) -> dict[str, str]:
    """``doc_id -> status`` of every shipment held."""
    return {r[0]: r[1] for r in await store.query("SELECT doc_id, status FROM p_shipments")}


async def shipment_status(store: ReplicaStore, doc_id: str) -> str | None:
    """A shipment's status (None: not held)."""
    rows = await store.query("SELECT status FROM p_shipments WHERE doc_id = ?", (doc_id,))
    return str(rows[0][0]) if rows else None


async def shipment_count(store: ReplicaStore) -> int:
    """How many shipments the replica holds."""
    return await _scalar(store, "SELECT count(*) FROM p_shipments")


async def has_return(store: ReplicaStore, return_id: str) -> bool:
    """True when the replica holds the return ``return_id``."""
    return bool(await store.query("SELECT 1 FROM p_returns WHERE doc_id = ?", (return_id,)))


async def deposit_booked(store: ReplicaStore, batch_id: str) -> bool:
    """True when a cash book holds the deposit ``batch_id``."""
    rows = await store.query(
        "SELECT 1 FROM p_cash_entries WHERE kind = 'deposited' AND reference = ?", (batch_id,)
    )
    return bool(rows)


async def cash_sums(store: ReplicaStore) -> dict[str, list[int]]:
    """Per owner kind: collected, reversed, handed over, counted, deposited, remitted and
    in hand, summed over its cash books."""
    rows = await store.query(
        "SELECT owner_kind, sum(collected), sum(reversed), sum(handed_over), sum(counted), "
        "sum(deposited), sum(remitted), sum(in_hand) FROM p_cash_books GROUP BY owner_kind"
    )
    return {r[0]: [int(v or 0) for v in r[1:]] for r in rows}


async def handover_mismatches(store: ReplicaStore) -> int:
    """Handovers whose counted amount differs from the declared one."""
    rows = await store.query(
        "SELECT reference, sum(CASE kind WHEN 'handed_over' THEN amount ELSE 0 END), "
        "sum(CASE kind WHEN 'counted_at_depot' THEN amount ELSE 0 END) FROM p_cash_entries "
        "WHERE kind IN ('handed_over', 'counted_at_depot') GROUP BY reference"
    )
    return sum(1 for _, declared, counted in rows if declared != counted)


async def open_conflicts(store: ReplicaStore) -> Counter[str]:
    """Unresolved conflicts by kind."""
    rows = await store.query("SELECT kind FROM p_conflicts WHERE resolved = 0")
    return Counter(r[0] for r in rows)


async def cod_collected(store: ReplicaStore) -> int:
    """COD collected over every shipment."""
    return await _scalar(store, "SELECT sum(cod_collected) FROM p_shipments")


async def unbalanced_courier_books(store: ReplicaStore) -> int:
    """Courier books whose collections are not handed over or in hand."""
    return await _scalar(
        store,
        "SELECT count(*) FROM p_cash_books WHERE owner_kind = 'courier' "
        "AND collected - reversed != handed_over + in_hand",
    )


async def return_steps(store: ReplicaStore) -> Counter[str]:
    """How many returns were requested, received and inspected."""
    rows: list[tuple[Any, ...]] = await store.query(
        "SELECT type FROM p_events WHERE doc_type = 'return' "
        "AND type IN ('requested', 'received', 'inspected')"
    )
    return Counter(r[0] for r in rows)


async def units_restocked(store: ReplicaStore) -> int:
    """Units put back in stock over every depot."""
    return await _scalar(store, "SELECT sum(quantity) FROM p_stock")
