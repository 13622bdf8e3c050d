"""The edge replica file: a :class:`sync.ReplicaStore` safe for several writers.

A handheld's sync loop and a one-shot CLI command (another process) may both
change the same document: each read the state, changed it, and writes it back.
:class:`EdgeStore` rebases every document write on the state actually stored
inside the write transaction (a CRDT merge, so nothing either side wrote is
lost) and recomputes the projection when the stored state had more.

It also holds the edge's own tables, versioned apart from the core schema:
attachments (signature and photo files whose bytes sync later), recorded from
the ``attachments`` argument of the commands being written, in the same
transaction as the document write.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite
from pycrdt import get_state, merge_updates

from protocol.commands import command_decoder
from sync import ReplicaStore
from sync._records import DocWrite, OutboxEntry, now_ms
from sync.documents import load
from sync.ingest import doc_write
from sync.yencoding import covers, decode_state_vector

EDGE_SCHEMA = (
    """
CREATE TABLE edge_attachments (
    sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL, doc_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, uploaded_at INTEGER);
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


class EdgeStore(ReplicaStore):
    """A replica store whose document writes never overwrite a concurrent write."""

    extra_schemas = {"edge": EDGE_SCHEMA}

    async def before_write(self, db: aiosqlite.Connection, docs: Sequence[DocWrite]) -> None:
        """Rebase each write on the stored state; record the commands' attachments."""
        await self._rebase(docs)
        now = now_ms()
        await db.executemany(
            "INSERT OR IGNORE INTO edge_attachments VALUES (?, ?, ?, ?, ?, NULL)",
            [
                (a["sha256"], a["kind"], a["path"], entry.doc_id, now)
                for d in docs
                for entry in d.outbox
                for a in _attachments(entry)
            ],
        )

    async def _rebase(self, docs: Sequence[DocWrite]) -> None:
        """Merge each write with the stored state when that has something it lacks.

        A document being rebuilt after a rejection (listed in ``resync``) is
        replaced on purpose and is left alone.
        """
        stored: dict[str, tuple[bytes, tuple[str, str, str]]] = {}
        rebuilt: set[str] = set()
        ids = [d.doc_id for d in docs]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = await self._all(
                "SELECT doc_id, state, depot_id, courier_id, merchant_id FROM documents "
                f"WHERE doc_id IN ({marks})",
                chunk,
            )
            stored.update({r[0]: (bytes(r[1]), (r[2], r[3], r[4])) for r in rows})
            rows = await self._all(f"SELECT doc_id FROM resync WHERE doc_id IN ({marks})", chunk)
            rebuilt.update(r[0] for r in rows)
        for d in docs:
            if d.doc_id not in stored or d.doc_id in rebuilt:
                continue
            state, scope = stored[d.doc_id]
            d.previous_scope = scope
            if covers(decode_state_vector(d.state_vector), decode_state_vector(get_state(state))):
                continue
            merged = doc_write(
                d.doc_id, d.doc_type, load(merge_updates(state, d.state)), scope, [], ""
            )
            d.state, d.state_vector = merged.state, merged.state_vector
            d.scope, d.projection = merged.scope, merged.projection
