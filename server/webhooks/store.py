"""The webhooks' tables (``webhooks``, ``webhook_queue``): every statement the
controllers and the delivery worker run on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync._sqlite import Step, run_steps
from sync.store import ReplicaStore


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


async def next_due(store: ReplicaStore) -> int | None:
    """When the next pending delivery is due (None: none pending)."""
    rows = await store.query(
        "SELECT min(next_at) FROM webhook_queue WHERE delivered_at IS NULL AND failed_at IS NULL"
    )
    return None if rows[0][0] is None else int(rows[0][0])


async def record_outcomes(
    store: ReplicaStore,
    done: Sequence[Sequence[Any]],
    retry: Sequence[Sequence[Any]],
    dead: Sequence[Sequence[Any]],
) -> None:
    """Mark deliveries delivered ``(at, attempts, id)``, to retry ``(next, attempts,
    error, id)`` or failed ``(at, attempts, error, id)``, in one transaction."""
    steps: list[Step] = [
        ("UPDATE webhook_queue SET delivered_at = ?, attempts = ? WHERE id = ?", done),
        (
            "UPDATE webhook_queue SET next_at = ?, attempts = ?, last_error = ? WHERE id = ?",
            retry,
        ),
        (
            "UPDATE webhook_queue SET failed_at = ?, attempts = ?, last_error = ? WHERE id = ?",
            dead,
        ),
    ]
    await store.in_one_transaction(lambda connection: run_steps(connection, steps))
