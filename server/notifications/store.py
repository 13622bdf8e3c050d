"""The notification queue (``notification_queue``): every statement the sender and
the merchant's view of it run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from sync._sqlite import run_in_one_trip
from sync.store import ReplicaStore

from ..queue_store import OutboundQueue

QUEUE = OutboundQueue("notification_queue", "sent_at")

_SCANNED = "SELECT value FROM notification_scan WHERE key = 'log_seq'"
# Of the shipments among some ids, those with an event a recipient is told about.
_TOLD = (
    "SELECT s.doc_id FROM p_shipments s WHERE s.doc_id IN (SELECT value FROM json_each(?)) "
    "AND EXISTS (SELECT 1 FROM p_events e WHERE e.doc_id = s.doc_id "
    "AND e.type IN ('out_for_delivery', 'delivered', 'attempt_failed')) ORDER BY s.doc_id"
)


async def due_messages(store: ReplicaStore, now: int, limit: int = 100) -> list[Any]:
    """Messages due at ``now``, oldest due first: id, attempts, key, channel,
    recipient, subject, body."""
    return await store.query(
        "SELECT id, attempts, key, channel, recipient, subject, body FROM notification_queue "
        "WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT ?",
        (now, limit),
    )


async def shipment_messages(store: ReplicaStore, shipment_id: str) -> list[tuple[Any, ...]]:
    """A shipment's messages, oldest first: channel, kind, recipient, subject, body,
    sent and failed times, attempts, last error, queued time."""
    return await store.query(
        "SELECT channel, kind, recipient, subject, body, sent_at, failed_at, attempts, "
        "last_error, created_at FROM notification_queue WHERE shipment_id = ? ORDER BY id",
        (shipment_id,),
    )


async def notices_scanned_up_to(store: ReplicaStore) -> int | None:
    """The log sequence the scanner read so far (None before the first scan)."""
    rows = await store.query(_SCANNED)
    return int(rows[0][0]) if rows else None


async def scan_cursor(db: aiosqlite.Connection) -> int | None:
    """:func:`notices_scanned_up_to` inside the scan's transaction ``db``."""
    rows = list(await db.execute_fetchall(_SCANNED))
    return int(rows[0][0]) if rows else None


async def told_shipments(db: aiosqlite.Connection, doc_ids: list[str]) -> list[str]:
    """The shipments among ``doc_ids`` with an event a recipient is told about, by id."""
    return [r[0] for r in await db.execute_fetchall(_TOLD, (json.dumps(doc_ids),))]


async def queue_messages(
    db: aiosqlite.Connection, queued: Sequence[Sequence[Any]], head: int
) -> None:
    """Queue ``(key, channel, recipient, shipment, kind, subject, body, next_at,
    created_at)`` rows (a key already queued is skipped) and move the cursor to
    ``head``, inside the scan's transaction ``db``."""
    await run_in_one_trip(
        db,
        [
            (
                "INSERT OR IGNORE INTO notification_queue (key, channel, recipient, "
                "shipment_id, kind, subject, body, next_at, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                queued,
            ),
            ("INSERT OR REPLACE INTO notification_scan VALUES ('log_seq', ?)", [(head,)]),
        ],
    )
