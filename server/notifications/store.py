"""The notification queue (``notification_queue``): every statement the sender and
the merchant's view of it run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync._sqlite import Step, run_steps
from sync.store import ReplicaStore


async def due_messages(store: ReplicaStore, now: int, limit: int = 100) -> list[Any]:
    """Messages due at ``now``, oldest due first: id, attempts, key, channel,
    recipient, subject, body."""
    return await store.query(
        "SELECT id, attempts, key, channel, recipient, subject, body FROM notification_queue "
        "WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT ?",
        (now, limit),
    )


async def next_due(store: ReplicaStore) -> int | None:
    """When the next pending message is due (None: none pending)."""
    rows = await store.query(
        "SELECT min(next_at) FROM notification_queue WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    return None if rows[0][0] is None else int(rows[0][0])


async def record_outcomes(
    store: ReplicaStore,
    done: Sequence[Sequence[Any]],
    retry: Sequence[Sequence[Any]],
    dead: Sequence[Sequence[Any]],
) -> None:
    """Mark messages sent ``(at, attempts, id)``, to retry ``(next, attempts, error,
    id)`` or failed ``(at, attempts, error, id)``, in one transaction."""
    steps: list[Step] = [
        ("UPDATE notification_queue SET sent_at = ?, attempts = ? WHERE id = ?", done),
        (
            "UPDATE notification_queue SET next_at = ?, attempts = ?, last_error = ? WHERE id = ?",
            retry,
        ),
        (
            "UPDATE notification_queue SET failed_at = ?, attempts = ?, last_error = ? "
            "WHERE id = ?",
            dead,
        ),
    ]
    await store.in_one_transaction(lambda connection: run_steps(connection, steps))


async def shipment_messages(store: ReplicaStore, shipment_id: str) -> list[tuple[Any, ...]]:
    """A shipment's messages, oldest first: channel, kind, recipient, subject, body,
    sent and failed times, attempts, last error, queued time."""
    return await store.query(
        "SELECT channel, kind, recipient, subject, body, sent_at, failed_at, attempts, "
        "last_error, created_at FROM notification_queue WHERE shipment_id = ? ORDER BY id",
        (shipment_id,),
    )
