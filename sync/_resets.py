"""Resets: documents a device must rebuild because an update it holds was refused upstream.

A relay (a depot) whose upstream refuses an update keeps, in the same
transaction as the quarantine entry, a notice for the device that wrote it
when it was relayed (the upstream's code and message, the update) and a reset
of the document for every other device enrolled here, as any of them may
have pulled it; this holds for the relay's own refused writes too. A
device gets its pending resets with every pull answer and acknowledges them
by id in a later pull request (``PullRequest.reset_ack``); only then are they
deleted, so a lost answer loses nothing. The client side takes them in one
transaction: the document is fetched whole on its next pull request (its
unsent entries held for replay), each notice becomes a quarantine entry, and
the acknowledged id advances.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import takewhile

import aiosqlite

from protocol.wire import DocReset

from ._records import now_ms
from ._sqlite import Database

_INSERT = (
    "INSERT INTO device_resets (device_id, doc_id, doc_type, code, message, update_blob, "
    "created_at) "
)


class ResetQueue(Database):
    """Resets owed to the devices below this node, and those taken from its upstream."""

    async def _reset_devices_below(
        self, db: aiosqlite.Connection, rows: Sequence[tuple[int, str, str]], now: int
    ) -> None:
        """For each outbox entry being quarantined (``(id, code, message)``): a notice
        for its writer when it was relayed, and a reset for every other device
        enrolled here (the devices that sync with this node)."""
        await db.executemany(
            _INSERT + "SELECT origin_device, doc_id, doc_type, ?, ?, update_blob, ? FROM outbox "
            "WHERE id = ? AND origin_device IS NOT NULL",
            [(code, message, now, entry_id) for entry_id, code, message in rows],
        )
        # this node's own refused writes too: its devices may have pulled them
        await db.executemany(
            _INSERT + "SELECT d.device_id, o.doc_id, o.doc_type, '', '', NULL, ? "
            "FROM outbox o JOIN devices d "
            "ON (o.origin_device IS NULL OR d.device_id != o.origin_device) "
            "AND d.revoked_at IS NULL WHERE o.id = ? "
            "AND NOT EXISTS (SELECT 1 FROM device_resets r WHERE r.device_id = d.device_id "
            "AND r.doc_id = o.doc_id AND r.code = '')",
            [(now, entry_id) for entry_id, _, _ in rows],
        )

    async def pending_resets(self, device_id: str, acked: int, limit: int = 500) -> list[DocReset]:
        """The resets ``device_id`` has not acknowledged; those up to ``acked`` are deleted.

        A document this node is still to rebuild is held back, and every later reset
        with it (the acknowledgement covers all ids up to it): fetched whole now, the
        document would still carry the refused update.
        """
        async with self._lock:
            rows = await self._all(
                "SELECT id, doc_id, doc_type, code, message, update_blob, "
                "doc_id IN (SELECT doc_id FROM resync) FROM device_resets "
                "WHERE device_id = ? AND id > ? ORDER BY id LIMIT ?",
                (device_id, acked, limit),
            )
            done = acked > 0 and await self._one(
                "SELECT 1 FROM device_resets WHERE device_id = ? AND id <= ? LIMIT 1",
                (device_id, acked),
            )
        if done:
            async with self.transaction() as db:
                await db.execute(
                    "DELETE FROM device_resets WHERE device_id = ? AND id <= ?", (device_id, acked)
                )
        ready = takewhile(lambda r: not r[6], rows)
        return [DocReset(r[0], r[1], r[2], r[3], r[4], bytes(r[5] or b"")) for r in ready]

    async def reset_ack(self, upstream: str) -> int:
        """The id of the last reset taken from ``upstream`` (0: none yet)."""
        async with self._lock:
            row = await self._one("SELECT acked FROM reset_acks WHERE upstream = ?", (upstream,))
        return int(row[0]) if row else 0

    async def forget_reset_ack(self, upstream: str) -> None:
        """Another replica file answers for ``upstream``: none of its resets is taken yet."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM reset_acks WHERE upstream = ?", (upstream,))

    async def take_resets(self, upstream: str, resets: Sequence[DocReset]) -> None:
        """Record an upstream's resets, in one transaction: each document is wanted
        whole (its unsent entries held for replay), each refusal is quarantined
        with the upstream's reason, and the acknowledged id advances."""
        docs = [(d,) for d in sorted({r.doc_id for r in resets})]
        now = now_ms()
        async with self.transaction() as db:
            await db.executemany("INSERT OR IGNORE INTO resync VALUES (?)", docs)
            await db.executemany("UPDATE outbox SET held = 1 WHERE doc_id = ?", docs)
            # negative ids: a notice never takes an id a local outbox entry may quarantine under
            await db.executemany(
                "INSERT INTO quarantine (id, doc_id, doc_type, update_blob, command, "
                "origin_device, code, message, created_at) SELECT min(0, coalesce(min(id), 0)) "
                "- 1, ?, ?, ?, ?, NULL, ?, ?, ? FROM quarantine",
                [
                    (r.doc_id, r.doc_type, r.update, b"", r.code, r.message, now)
                    for r in resets
                    if r.code
                ],
            )
            await db.execute(
                "INSERT OR REPLACE INTO reset_acks VALUES (?, ?)",
                (upstream, max(r.id for r in resets)),
            )
