"""The edge side of the store: outbox, quarantine, cursors, resync requests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from ._records import OutboxEntry, now_ms
from ._resets import ResetQueue
from ._sqlite import Statement, on_sqlite_thread, run_in_one_trip, run_steps


@dataclass(frozen=True, slots=True)
class OutboxStats:
    waiting: int
    oldest_created_at: int | None
    quarantined: int
    bytes: int = 0  # of the updates waiting


@dataclass(frozen=True, slots=True)
class Quarantined:
    id: int
    doc_id: str
    doc_type: str
    code: str
    message: str
    command: bytes
    created_at: int


@dataclass(frozen=True, slots=True)
class PullState:
    """Where a pull starts: the cursor (when it was last written, of which upstream
    file), the documents wanted whole, the last reset taken, and the documents that
    left scope whose outbox has drained (to drop now)."""

    cursor: int
    synced_at: int | None
    replica: str
    resync: list[str]
    reset_ack: int
    drained: list[str]


_CURSOR = "SELECT cursor, synced_at, replica FROM cursors WHERE upstream = ?"
_DRAINED = "SELECT doc_id FROM evictions WHERE doc_id NOT IN (SELECT doc_id FROM outbox)"
_OUTBOX_COLUMNS = "id, doc_id, doc_type, update_blob, command, origin_device, created_at"


def _entry(r: Sequence[Any]) -> OutboxEntry:
    return OutboxEntry(str(r[1]), str(r[2]), bytes(r[3]), bytes(r[4]), r[5], int(r[0]), int(r[6]))


class OutboxQueue(ResetQueue):
    """Local updates waiting for the upstream's acknowledgement."""

    async def outbox_pending(self, limit: int) -> list[OutboxEntry]:
        """The oldest ``limit`` sendable outbox entries (held ones excluded)."""
        async with self._lock:
            rows = await self._all(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE held = 0 ORDER BY id LIMIT ?",
                (limit,),
            )
        return [_entry(r) for r in rows]

    async def settle_outbox(
        self, acked: Sequence[int], rejected: Sequence[tuple[int, str, str]] = ()
    ) -> None:
        """Clear acknowledged entries; quarantine rejected ones with the reason.

        A rejected document is asked for whole on the next pull, and its other
        entries are held (kept, not sent) until it was rebuilt from the upstream
        and they are replayed. The resets this node owes its own devices for it
        wait for that rebuild too (see ``pending_resets``).
        """
        if not rejected:  # the usual answer: one trip
            deleted: Statement = ("DELETE FROM outbox WHERE id = ?", [(i,) for i in acked])
            await self.in_one_transaction(lambda c: run_steps(c, [deleted]))
            return
        async with self.transaction() as db:
            await db.executemany(
                "INSERT OR IGNORE INTO resync SELECT doc_id FROM outbox WHERE id = ?",
                [(r[0],) for r in rejected],
            )
            await db.executemany(
                "UPDATE outbox SET held = 1 WHERE doc_id = (SELECT doc_id FROM outbox "
                "WHERE id = ?)",
                [(r[0],) for r in rejected],
            )
            await self._quarantine(db, rejected)
            await db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in acked])

    async def _quarantine(
        self, db: aiosqlite.Connection, rows: Sequence[tuple[int, str, str]]
    ) -> None:
        now = now_ms()
        await self._reset_devices_below(db, rows, now)
        await db.executemany(
            "INSERT OR REPLACE INTO quarantine (id, doc_id, doc_type, update_blob, command, "
            "origin_device, code, message, created_at) SELECT id, doc_id, doc_type, "
            "update_blob, command, origin_device, ?, ?, ? FROM outbox WHERE id = ?",
            [(code, message, now, entry_id) for entry_id, code, message in rows],
        )
        await db.executemany("DELETE FROM outbox WHERE id = ?", [(r[0],) for r in rows])

    async def held_entries(self, doc_id: str) -> list[OutboxEntry]:
        """Entries of a document waiting to be replayed after its rebuild."""
        async with self._lock:
            rows = await self._all(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE held = 1 AND doc_id = ? ORDER BY id",
                (doc_id,),
            )
        return [_entry(r) for r in rows]

    async def drop_held(self, doc_id: str, quarantine_reason: tuple[str, str] | None) -> None:
        """Remove a document's held entries (replayed), or quarantine them with a reason.

        Without a reason, relayed entries (other devices' updates, which this node
        cannot replay) are released to be sent again: the upstream answers each.
        """
        async with self.transaction() as db:
            if quarantine_reason:
                rows = await self._all(
                    "SELECT id FROM outbox WHERE held = 1 AND doc_id = ?", (doc_id,)
                )
                await self._quarantine(db, [(r[0], *quarantine_reason) for r in rows])
            else:
                await run_in_one_trip(db, self._release_held([doc_id]))

    @staticmethod
    def _release_held(doc_ids: Sequence[str]) -> list[Statement]:
        """Held entries of rebuilt documents: relayed ones are sent again (the upstream
        answers each), this node's own are gone (replayed, or quarantined)."""
        ids = [(d,) for d in doc_ids]
        return [
            (
                "UPDATE outbox SET held = 0 "
                "WHERE held = 1 AND doc_id = ? AND origin_device IS NOT NULL",
                ids,
            ),
            ("DELETE FROM outbox WHERE held = 1 AND doc_id = ?", ids),
        ]

    async def quarantined(self) -> list[Quarantined]:
        """Entries the upstream refused, with its reason."""
        async with self._lock:
            rows = await self._all(
                "SELECT id, doc_id, doc_type, code, message, command, created_at "
                "FROM quarantine ORDER BY id"
            )
        return [Quarantined(r[0], r[1], r[2], r[3], r[4], bytes(r[5]), r[6]) for r in rows]

    async def outbox_stats(self) -> OutboxStats:
        """How much is waiting, since when, and how much is quarantined."""
        async with self._lock:
            waiting = await self._one(
                "SELECT count(*), min(created_at), coalesce(sum(length(update_blob)), 0) "
                "FROM outbox"
            )
            quarantined = await self._one("SELECT count(*) FROM quarantine")
        return OutboxStats(int(waiting[0]), waiting[1], int(quarantined[0]), int(waiting[2]))

    async def pull_state(self, upstream: str) -> PullState:
        """What a pull from ``upstream`` starts from, read in one trip."""

        def read(connection: sqlite3.Connection) -> PullState:
            row = connection.execute(_CURSOR, (upstream,)).fetchone()
            ack = connection.execute(
                "SELECT acked FROM reset_acks WHERE upstream = ?", (upstream,)
            ).fetchone()
            return PullState(
                int(row[0]) if row else 0,
                int(row[1]) if row else None,
                str(row[2]) if row else "",
                [r[0] for r in connection.execute("SELECT doc_id FROM resync ORDER BY doc_id")],
                int(ack[0]) if ack else 0,
                [r[0] for r in connection.execute(_DRAINED)],
            )

        async with self._lock:
            return await on_sqlite_thread(self._db, read)

    async def cursor(self, upstream: str) -> tuple[int, int | None]:
        """``(cursor, last synced ms)`` for an upstream; ``(0, None)`` if never synced."""
        cursor, synced, _ = await self.cursor_of(upstream)
        return cursor, synced

    async def cursor_of(self, upstream: str) -> tuple[int, int | None, str]:
        """``(cursor, last synced ms, upstream replica id)``; ``(0, None, "")`` if never synced."""
        async with self._lock:
            row = await self._one(_CURSOR, (upstream,))
        return (int(row[0]), int(row[1]), str(row[2])) if row else (0, None, "")

    async def resync_wanted(self) -> list[str]:
        """Documents waiting to be fetched whole."""
        async with self._lock:
            rows = await self._all("SELECT doc_id FROM resync ORDER BY doc_id")
        return [r[0] for r in rows]

    async def pending_evictions(self) -> list[str]:
        """Documents that left scope and wait for their outbox to drain."""
        async with self._lock:
            rows = await self._all(_DRAINED)
        return [r[0] for r in rows]

    async def clear_resync(self, doc_ids: Sequence[str]) -> None:
        """Forget resync requests that were answered."""
        async with self.transaction() as db:
            await db.executemany("DELETE FROM resync WHERE doc_id = ?", [(d,) for d in doc_ids])

    async def docs_with_outbox(self) -> set[str]:
        """Documents that still have updates waiting for the upstream."""
        async with self._lock:
            rows = await self._all("SELECT DISTINCT doc_id FROM outbox")
        return {r[0] for r in rows}
