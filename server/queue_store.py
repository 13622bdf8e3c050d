"""The statements the outbound queues (``webhook_queue``, ``notification_queue``)
share: a row is pending until its ``done_column`` or ``failed_at`` is set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync._sqlite import Step, run_steps
from sync.store import ReplicaStore


async def next_due(store: ReplicaStore, table: str, done_column: str) -> int | None:
    """When the next pending row of ``table`` is due (None: none pending)."""
    rows = await store.query(
        f"SELECT min(next_at) FROM {table} WHERE {done_column} IS NULL AND failed_at IS NULL"
    )
    return None if rows[0][0] is None else int(rows[0][0])


async def record_outcomes(
    store: ReplicaStore,
    table: str,
    done_column: str,
    outcomes: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Any]], Sequence[Sequence[Any]]],
) -> None:
    """Mark rows of ``table`` done ``(at, attempts, id)``, to retry ``(next, attempts,
    error, id)`` or failed ``(at, attempts, error, id)``, in one transaction."""
    done, retry, dead = outcomes
    steps: list[Step] = [
        (f"UPDATE {table} SET {done_column} = ?, attempts = ? WHERE id = ?", done),
        (f"UPDATE {table} SET next_at = ?, attempts = ?, last_error = ? WHERE id = ?", retry),
        (f"UPDATE {table} SET failed_at = ?, attempts = ?, last_error = ? WHERE id = ?", dead),
    ]
    await store.in_one_transaction(lambda connection: run_steps(connection, steps))
