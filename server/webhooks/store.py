"""The webhooks' tables (``webhooks``, ``webhook_queue``): every statement the
controllers and the delivery worker run on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from sync._sqlite import run_in_one_trip
from sync.store import ReplicaStore

from ..queue_store import OutboundQueue

QUEUE = OutboundQueue("webhook_queue", "delivered_at")


async def live_hook(store: ReplicaStore, webhook_id: str) -> tuple[str, str, str] | None:
    """``(id, url, merchant)`` of a webhook not deleted (None: no such one)."""
    rows = await store.query(
        "SELECT webhook_id, url, merchant_id FROM webhooks WHERE webhook_id = ? "
        "AND disabled_at IS NULL",
        (webhook_id,),
    )
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


async def add_hook(
    store: ReplicaStore, webhook_id: str, merchant_id: str, url: str, secret: str, now: int
) -> None:
    """Register a webhook."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO webhooks (webhook_id, merchant_id, url, secret, created_at) "
            "VALUES (?,?,?,?,?)",
            (webhook_id, merchant_id, url, secret, now),
        )


async def live_hooks(store: ReplicaStore, merchant_id: str = "") -> list[tuple[str, str, str]]:
    """``(id, url, merchant)`` of the webhooks not deleted (only ``merchant_id``'s, when
    given), by id."""
    rows = await store.query(
        "SELECT webhook_id, url, merchant_id FROM webhooks WHERE disabled_at IS NULL "
        "AND (? = '' OR merchant_id = ?) ORDER BY webhook_id",
        (merchant_id, merchant_id),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def disable_hook(store: ReplicaStore, webhook_id: str, now: int) -> None:
    """Stop sending to a webhook."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE webhooks SET disabled_at = ? WHERE webhook_id = ?", (now, webhook_id)
        )


async def set_secret(store: ReplicaStore, webhook_id: str, secret: str) -> None:
    """Sign a webhook's deliveries with ``secret`` from now on."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE webhooks SET secret = ? WHERE webhook_id = ?", (secret, webhook_id)
        )


async def recent_deliveries(
    store: ReplicaStore, webhook_id: str, limit: int
) -> list[tuple[Any, ...]]:
    """A webhook's latest ``limit`` deliveries, newest first: id, event, attempts,
    created, next, delivered and failed times, last error."""
    return await store.query(
        "SELECT id, event, attempts, created_at, next_at, delivered_at, failed_at, "
        "last_error FROM webhook_queue WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
        (webhook_id, limit),
    )


async def due_deliveries(store: ReplicaStore, now: int, limit: int = 100) -> list[Any]:
    """Deliveries due at ``now`` to live webhooks, oldest due first: id, event, body,
    attempts, url, secret."""
    return await store.query(
        "SELECT q.id, q.event, q.body, q.attempts, w.url, w.secret FROM webhook_queue q "
        "JOIN webhooks w ON w.webhook_id = q.webhook_id WHERE q.delivered_at IS NULL "
        "AND w.disabled_at IS NULL "
        "AND q.failed_at IS NULL AND q.next_at <= ? ORDER BY q.next_at LIMIT ?",
        (now, limit),
    )


# ---- the scanner's reads and writes, in its one transaction ----------------------------

_CHANGED = "doc_id IN (SELECT value FROM json_each(?))"  # the ids of the span scanned
_SCANNED = "SELECT coalesce(max(value), 0) FROM webhook_scan"


async def _rows(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return list(await db.execute_fetchall(sql, params))


async def status_changes(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT s.doc_id, s.merchant_id, s.tracking_number, s.order_ref, s.status, w.status "
        "FROM p_shipments s LEFT JOIN webhook_status w ON w.doc_id = s.doc_id "
        f"WHERE s.{_CHANGED} AND (w.status IS NULL OR w.status != s.status)",
        span,
    )


async def gradings(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT r.doc_id, r.merchant_id, r.shipment_id, json_group_array(json_object("
        "'sku', i.sku, 'grade', i.grade, 'disposition', i.disposition, 'quantity', i.quantity)) "
        "FROM p_returns r JOIN p_return_items i ON i.doc_id = r.doc_id "
        f"WHERE r.{_CHANGED} AND 'graded:' || r.doc_id NOT IN (SELECT key FROM webhook_seen) "
        "GROUP BY r.doc_id",
        span,
    )


async def remittances(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT doc_id, event_id, payload FROM p_events WHERE doc_type = 'cashbook' "
        f"AND type = 'remitted' AND {_CHANGED} "
        "AND 'remitted:' || event_id NOT IN (SELECT key FROM webhook_seen)",
        span,
    )


async def refund_approvals(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    """Returns received and graded, not yet announced, with their document state."""
    rows = await _rows(
        db,
        "SELECT r.doc_id, r.merchant_id, s.order_ref FROM p_returns r "
        "LEFT JOIN p_shipments s ON s.doc_id = r.shipment_id "
        f"WHERE r.{_CHANGED} "
        "AND EXISTS (SELECT 1 FROM p_return_items i WHERE i.doc_id = r.doc_id) "
        "AND EXISTS (SELECT 1 FROM p_events e WHERE e.doc_id = r.doc_id AND e.type = 'received') "
        "AND 'refund:' || r.doc_id NOT IN (SELECT key FROM webhook_seen)",
        span,
    )
    states = await ReplicaStore.states_in(db, [r[0] for r in rows])
    return [(*r, states[r[0]]) for r in rows]


async def scanned_up_to(store: ReplicaStore) -> int:
    """The log sequence the scanner has read up to: rows above it are still to scan
    (and must stay in the log until it has)."""
    (row,) = await store.query(_SCANNED)
    return int(row[0])


async def scan_cursor(db: aiosqlite.Connection) -> int:
    """The log sequence scanned so far, inside the scan's transaction ``db``."""
    (cursor,) = (await _rows(db, _SCANNED))[0]
    return int(cursor)


async def hooks_by_merchant(db: aiosqlite.Connection) -> dict[str, list[str]]:
    """``merchant -> ids of its live webhooks``, inside ``db``."""
    hooks: dict[str, list[str]] = {}
    for hook_id, merchant in await _rows(
        db, "SELECT webhook_id, merchant_id FROM webhooks WHERE disabled_at IS NULL"
    ):
        hooks.setdefault(merchant, []).append(hook_id)
    return hooks


async def queue_deliveries(
    db: aiosqlite.Connection,
    queued: Sequence[Sequence[Any]],
    statuses: Sequence[tuple[str, str]],
    seen: Sequence[tuple[str]],
    head: int,
) -> None:
    """Queue ``(webhook, event, body, next_at, created_at)`` deliveries, keep each
    shipment's announced status and the events announced once, and move the cursor
    to ``head``: one trip, inside the scan's transaction ``db``."""
    await run_in_one_trip(
        db,
        [
            (
                "INSERT INTO webhook_queue (webhook_id, event, body, next_at, created_at) "
                "VALUES (?,?,?,?,?)",
                queued,
            ),
            ("INSERT OR REPLACE INTO webhook_status VALUES (?, ?)", statuses),
            ("INSERT OR IGNORE INTO webhook_seen VALUES (?)", seen),
            ("INSERT OR REPLACE INTO webhook_scan VALUES ('log_seq', ?)", [(head,)]),
        ],
    )
