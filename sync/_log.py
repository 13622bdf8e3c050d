"""Reading the update log: pages after a cursor, snapshots, compaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite
from pycrdt import merge_updates

from protocol.wire import Scope

from ._records import LogRow, ScopeKeys, StoredDoc
from ._sqlite import Database, on_sqlite_thread
from ._tails import with_tails
from .scopes import scope_sql


class LogReader(Database):
    """Log queries shared by every node that serves sync (central, depot)."""

    async def head(self) -> int:
        """The highest sequence number in the log (0 when empty)."""
        async with self._lock:
            row = await self._one("SELECT coalesce(max(seq), 0) FROM update_log")
        return int(row[0])

    async def log_floor(self) -> int:
        """Cursors below this were truncated away and must resync by snapshot."""
        async with self._lock:
            row = await self._one("SELECT value FROM meta WHERE key = 'log_floor'")
        return int(row[0]) if row else 0

    async def changed_since(self, since: int, head: int) -> list[str] | None:
        """Ids of the documents with log rows in ``(since, head]``; None when the log
        no longer goes back to ``since`` (or ``since`` is past ``head``)."""
        async with self.reading() as db:
            return await self.changed_in(db, since, head)

    @staticmethod
    async def changed_in(db: aiosqlite.Connection, since: int, head: int) -> list[str] | None:
        """:meth:`changed_since` inside a caller's read snapshot ``db`` (see :meth:`reading`)."""
        rows = await db.execute_fetchall(
            "SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'log_floor'"
        )
        if since > head or int(next(iter(rows))[0]) > since:
            return None
        return await LogReader.logged_in(db, since, head)

    @staticmethod
    async def logged_in(db: aiosqlite.Connection, after: int, up_to: int) -> list[str]:
        """Ids of the documents with log rows in ``(after, up_to]``, inside a caller's
        transaction or read snapshot ``db`` (a scanner's, which holds the log back)."""
        changed = await db.execute_fetchall(
            "SELECT DISTINCT doc_id FROM update_log WHERE seq > ? AND seq <= ? ORDER BY doc_id",
            (after, up_to),
        )
        return [r[0] for r in changed]

    @staticmethod
    async def states_in(db: aiosqlite.Connection, doc_ids: Sequence[str]) -> dict[str, bytes]:
        """``doc_id -> merged state`` (tail included) of the documents among ``doc_ids``,
        inside ``db``."""
        rows = await db.execute_fetchall(
            "SELECT doc_id, state FROM documents WHERE doc_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(doc_ids)),),
        )
        stored = {r[0]: bytes(r[1]) for r in rows}
        return await on_sqlite_thread(db, lambda c: with_tails(c, stored))

    async def scopes_logged(self, after: int, up_to: int) -> list[ScopeKeys]:
        """The distinct scope keys of the log rows in ``(after, up_to]``."""
        async with self._lock:
            rows = await self._all(
                "SELECT DISTINCT depot_id, courier_id, merchant_id FROM update_log "
                "WHERE seq > ? AND seq <= ?",
                (after, up_to),
            )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def log_updates(
        self, doc_ids: Sequence[str], after: int, up_to: int
    ) -> list[tuple[str, bytes, ScopeKeys]]:
        """The update rows of ``doc_ids`` in ``(after, up_to]``, in log order:
        ``(doc_id, update, scope keys)``."""
        async with self._lock:
            rows = await self._all(
                "SELECT doc_id, update_blob, depot_id, courier_id, merchant_id FROM update_log "
                "WHERE seq > ? AND seq <= ? AND kind = 'update' "
                "AND doc_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
                (after, up_to, json.dumps(list(doc_ids))),
            )
        return [(r[0], bytes(r[1]), (r[2], r[3], r[4])) for r in rows]

    @staticmethod
    async def head_in(db: aiosqlite.Connection) -> int:
        """:meth:`head` inside a caller's read snapshot ``db``."""
        rows = await db.execute_fetchall("SELECT coalesce(max(seq), 0) FROM update_log")
        return int(next(iter(rows))[0])

    async def log_rows_up_to(self, seq: int) -> int:
        """How many log rows have a sequence number up to ``seq``."""
        async with self._lock:
            row = await self._one("SELECT count(*) FROM update_log WHERE seq <= ?", (seq,))
        return int(row[0])

    async def read_log(
        self, cursor: int, scopes: Sequence[Scope], limit: int
    ) -> tuple[list[LogRow], int]:
        """Up to ``limit`` log rows after ``cursor`` in ``scopes``, and the head."""
        where, params = scope_sql(scopes)
        async with self._lock:  # one statement: one read snapshot, one thread hop
            rows = await self._all(
                "SELECT h.head, l.* FROM (SELECT coalesce(max(seq), 0) AS head FROM update_log) h "
                "LEFT JOIN (SELECT seq, doc_id, doc_type, kind, update_blob, depot_id, courier_id, "
                f"merchant_id FROM update_log WHERE seq > ? AND {where} ORDER BY seq LIMIT ?) l "
                "ON 1 = 1 ORDER BY l.seq",
                [cursor, *params, limit],
            )
        page = [
            LogRow(
                r[1],
                r[2],
                r[3],
                r[4],
                bytes(r[5]) if r[5] is not None else None,
                (r[6], r[7], r[8]),
            )
            for r in rows
            if r[1] is not None
        ]
        return page, int(rows[0][0])

    async def snapshot_page(
        self, scopes: Sequence[Scope], after_doc_id: str, limit: int
    ) -> tuple[list[StoredDoc], int]:
        """Whole documents in ``scopes`` with id after ``after_doc_id``, and the head."""
        where, params = scope_sql(scopes)
        async with self.reading():
            head_row = await self._one("SELECT coalesce(max(seq), 0) FROM update_log")
            rows = await self._all(
                "SELECT doc_id, doc_type, state, depot_id, courier_id, merchant_id "
                f"FROM documents WHERE doc_id > ? AND {where} ORDER BY doc_id LIMIT ?",
                [after_doc_id, *params, limit],
            )
            states = await on_sqlite_thread(
                self._db, lambda c: with_tails(c, {r[0]: bytes(r[2]) for r in rows})
            )
        docs = [StoredDoc(r[0], r[1], states[r[0]], (r[3], r[4], r[5])) for r in rows]
        return docs, int(head_row[0])

    async def scope_vectors(self, scopes: Sequence[Scope]) -> dict[str, bytes]:
        """``doc_id -> encoded state vector`` of every document in ``scopes``."""
        where, params = scope_sql(scopes)
        async with self._lock:
            rows = await self._all(
                f"SELECT doc_id, state_vector FROM documents WHERE {where}", params
            )
        return {r[0]: bytes(r[1]) for r in rows}

    async def seq_received_before(self, received_at_ms: int) -> int:
        """The highest log sequence received before ``received_at_ms`` (0: none).

        A scan of the log (``received_at`` has no index): for maintenance, not
        for a hot path.
        """
        async with self._lock:
            row = await self._one(
                "SELECT coalesce(max(seq), 0) FROM update_log WHERE received_at < ?",
                (received_at_ms,),
            )
        return int(row[0])

    async def compact_document(self, doc_id: str) -> int:
        """Merge a document's update rows into one at its latest seq.

        Any cursor stays valid: a client behind the merged row receives it
        whole, and re-receiving what it already has changes nothing.
        Returns how many rows were removed.
        """
        async with self.transaction() as db:
            rows = await self._all(
                "SELECT seq, update_blob FROM update_log WHERE doc_id = ? AND kind = 'update' "
                "ORDER BY seq",
                (doc_id,),
            )
            if len(rows) < 2:
                return 0
            merged = merge_updates(*(bytes(r[1]) for r in rows))
            last = rows[-1][0]
            await db.execute("UPDATE update_log SET update_blob = ? WHERE seq = ?", (merged, last))
            await db.executemany(
                "DELETE FROM update_log WHERE seq = ?", [(r[0],) for r in rows[:-1]]
            )
        return len(rows) - 1

    async def truncate_log(self, up_to_seq: int) -> int:
        """Drop log rows up to ``up_to_seq``; older cursors get snapshots. Returns rows dropped."""
        async with self.transaction() as db:
            cur = await db.execute("DELETE FROM update_log WHERE seq <= ?", (up_to_seq,))
            await db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('log_floor', ?)", (str(up_to_seq),)
            )
            return int(cur.rowcount)
