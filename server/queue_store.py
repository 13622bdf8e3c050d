"""The statements the outbound queues (``webhook_queue``, ``notification_queue``)
share: a row is pending until its ``done_column`` or ``failed_at`` is set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync._sqlite import Step, run_steps
from sync.store import ReplicaStore

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True, slots=True)
class OutboundQueue:
    table: str
    done_column: str  # set when a row went out (``sent_at``, ``delivered_at``)

    async def next_due(self, store: ReplicaStore) -> int | None:
        """When the next pending row is due (None: none pending)."""
        rows = await store.query(
            f"SELECT min(next_at) FROM {self.table} "
            f"WHERE {self.done_column} IS NULL AND failed_at IS NULL"
        )
        return None if rows[0][0] is None else int(rows[0][0])

    async def record_outcomes(self, store: ReplicaStore, outcomes: tuple[Rows, Rows, Rows]) -> None:
        """Mark rows done ``(at, attempts, id)``, to retry ``(next, attempts, error, id)``
        or failed ``(at, attempts, error, id)`` (:meth:`RetryPolicy.plan`'s three lists),
        in one transaction."""
        done, retry, dead = outcomes
        table = self.table
        steps: list[Step] = [
            (f"UPDATE {table} SET {self.done_column} = ?, attempts = ? WHERE id = ?", done),
            (f"UPDATE {table} SET next_at = ?, attempts = ?, last_error = ? WHERE id = ?", retry),
            (f"UPDATE {table} SET failed_at = ?, attempts = ?, last_error = ? WHERE id = ?", dead),
        ]
        await store.in_one_transaction(lambda connection: run_steps(connection, steps))
