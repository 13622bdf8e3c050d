"""The edge replica file: a :class:`sync.ReplicaStore` with the edge's own tables.

A handheld's sync loop and a one-shot CLI command (another process) may both
change the same document; like every replica store, it rebases each document
write on the state stored inside the write transaction, so neither is lost.

The edge's own tables are versioned apart from the core schema:
attachments (signature and photo files whose bytes sync later), recorded from
the ``attachments`` argument of the commands being written, in the same
transaction as the document write; v2 keeps why the upstream refused a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from protocol.commands import command_decoder
from protocol.wire import Scope
from sync import ReplicaStore
from sync._records import DocWrite, OutboxEntry, now_ms
from sync._sqlite import Step

EDGE_SCHEMA = (
    """
CREATE TABLE edge_attachments (
    sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, doc_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, uploaded_at INTEGER);
""",
    """
ALTER TABLE edge_attachments ADD COLUMN refused TEXT NOT NULL DEFAULT '';
""",
)


def _attachments(entry: OutboxEntry) -> list[dict[str, str]]:
    """The files a local command attached (a relayed update carries no command)."""
    if not entry.command:
        return []
    attached: list[dict[str, str]] = command_decoder.decode(entry.command).args.get(
        "attachments", []
    )
    return attached


class PendingFile(NamedTuple):
    """A proof file recorded by a command and not yet held upstream."""

    sha256: str
    kind: str
    path: str
    doc_id: str


class EdgeStore(ReplicaStore):
    """A replica store that also records the attachments of local commands."""

    extra_schemas = {"edge": EDGE_SCHEMA}

    def write_steps(self, docs: Sequence[DocWrite]) -> list[Step]:
        """Record the attachments of the commands being written, in the same transaction."""
        now = now_ms()
        rows = [
            (a["sha256"], a["kind"], a["path"], entry.doc_id, now)
            for d in docs
            for entry in d.outbox
            for a in _attachments(entry)
        ]
        return [
            (
                "INSERT OR IGNORE INTO edge_attachments "
                "(sha256, kind, path, doc_id, created_at) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        ]

    async def attachment_known(self, sha256: str) -> bool:
        """True when a recorded command refers to the file ``sha256``."""
        rows = await self.query("SELECT 1 FROM edge_attachments WHERE sha256 = ?", (sha256,))
        return bool(rows)

    async def pending_attachments(self, limit: int = 20) -> list[PendingFile]:
        """Files not yet uploaded upstream, oldest first."""
        rows = await self.query(
            "SELECT sha256, kind, path, doc_id FROM edge_attachments "
            "WHERE uploaded_at IS NULL AND refused = '' ORDER BY created_at, sha256 LIMIT ?",
            (limit,),
        )
        return [PendingFile(*row) for row in rows]

    async def attachments_waiting(self) -> int:
        """How many proof files wait for their upload."""
        rows = await self.query(
            "SELECT count(*) FROM edge_attachments WHERE uploaded_at IS NULL AND refused = ''"
        )
        return int(rows[0][0])

    async def refused_attachments(self) -> list[tuple[str, str, str]]:
        """``(kind, doc_id, reason)`` of the files the upstream will never take."""
        rows = await self.query(
            "SELECT kind, doc_id, refused FROM edge_attachments WHERE refused != '' "
            "ORDER BY created_at, sha256"
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def refuse_attachment(self, sha256: str, reason: str) -> None:
        """The upstream refused the file for good: stop trying, keep the reason."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE edge_attachments SET refused = ? WHERE sha256 = ?", (reason, sha256)
            )

    async def record_attachment(self, item: PendingFile, at_ms: int) -> None:
        """Keep a file a handheld uploaded here, to forward it upstream."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO edge_attachments (sha256, kind, path, doc_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (*item, at_ms),
            )

    async def route_records(self, depot_id: str) -> dict[str, list[tuple[str, str]]]:
        """``doc_id -> [(actor, hlc)]`` of the route assignments of a depot's shipments,
        oldest first."""
        rows = await self.query(
            "SELECT e.doc_id, e.actor, e.hlc FROM p_events e JOIN p_shipments s USING (doc_id) "
            "WHERE s.depot_id = ? AND e.type = 'reassigned' ORDER BY e.hlc, e.event_id",
            (depot_id,),
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for doc_id, actor, hlc in rows:
            found.setdefault(str(doc_id), []).append((str(actor or ""), str(hlc)))
        return found

    async def mark_uploaded(self, sha256: str, at_ms: int) -> None:
        """Upstream holds the file ``sha256`` now."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE edge_attachments SET uploaded_at = ? WHERE sha256 = ?", (at_ms, sha256)
            )

    async def stock_levels(self, depot_id: str) -> list[tuple[str, str, int]]:
        """``(sku, state, units)`` at ``depot_id`` over every return, states with units only."""
        rows = await self.query(
            "SELECT sku, state, sum(quantity) FROM p_stock_states WHERE depot_id = ? "
            "GROUP BY sku, state HAVING sum(quantity) != 0 ORDER BY sku, state",
            (depot_id,),
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def returns_at(self, depot_id: str) -> list[str]:
        """Ids of the returns (RMAs) of ``depot_id`` held here."""
        rows = await self.query(
            "SELECT doc_id FROM p_returns WHERE depot_id = ? ORDER BY doc_id", (depot_id,)
        )
        return [str(r[0]) for r in rows]

    async def returns_of_courier(self, courier_id: str) -> list[str]:
        """Ids of the returns held here that are routed to ``courier_id``."""
        return sorted(await self.scope_doc_ids([Scope("courier", courier_id)], "return"))
