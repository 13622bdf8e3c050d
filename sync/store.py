"""The SQLite replica store every node uses (aiosqlite, WAL, one writer).

One file per node holds documents (merged state + state vector + scope keys),
the update log (monotonic ``seq``), the outbox, quarantine, cursors and the
projections. Every write is one transaction over a whole batch, issued with
``executemany``: no await per row on a hot path.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import aiosqlite

from protocol.wire import Scope

from ._health import HealthStore
from ._log import LogReader
from ._outbox import OutboxQueue
from ._records import DocHead, DocWrite, ScopeKeys, StoredDoc, now_ms
from ._sqlite import Statement, Step, on_sqlite_thread, run_in_one_trip, run_steps
from ._tails import chunks as _chunks
from ._tails import drop_tails, tail_sizes, with_tails
from ._writes import lacks, rebase
from .devices import DeviceRegistry
from .documents import doc_type_of, load, read_content
from .projection import (
    EVENT_KEYED,
    PROJECTION_DDL,
    PROJECTION_TABLES,
    TABLES_OF,
    Projection,
    Row,
    project,
)
from .schema import MIGRATIONS
from .scopes import scope_sql

REPLICA_KEY = "replica.id"
CLIENT_ID_KEY = "client_id"


async def whole_states(db: aiosqlite.Connection, states: dict[str, bytes]) -> dict[str, bytes]:
    """``states`` read from ``documents.state`` (doc id -> bytes) with the tail each
    document keeps beside it merged in (see :mod:`._tails`), on ``db`` inside the
    caller's transaction: what a query joining ``documents`` must do with ``state``."""
    return await on_sqlite_thread(db, lambda connection: with_tails(connection, states))


class ReplicaStore(LogReader, OutboxQueue, DeviceRegistry, HealthStore):
    """A node's replica file. Open with ``await ReplicaStore.open(path)``.

    Implements every part of :class:`.ports.SyncStore`."""

    migrations = MIGRATIONS
    _replica_id = ""

    # ---- meta ------------------------------------------------------------------

    async def meta(self, key: str, default: str | None = None) -> str | None:
        """A value from the node's key/value metadata."""
        async with self._lock:
            row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else default

    async def replica_id(self) -> str:
        """This replica file's random id (made when its schema was created)."""
        if not self._replica_id:
            self._replica_id = await self.meta(REPLICA_KEY) or ""
        return self._replica_id

    async def set_meta(self, key: str, value: str, *, scrub: bool = False) -> None:
        """Store a metadata value; ``scrub`` overwrites the bytes of the value it replaces
        (``secure_delete``), for one that held a secret."""
        async with self.transaction() as db:
            await self._scrubbing(
                db, scrub, "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value)
            )

    async def forget_meta(self, key: str) -> None:
        """Delete a metadata value, overwriting its bytes: for a secret moved out of the file."""
        async with self.transaction() as db:
            await self._scrubbing(db, True, "DELETE FROM meta WHERE key = ?", (key,))

    @staticmethod
    async def _scrubbing(
        db: aiosqlite.Connection, scrub: bool, sql: str, params: tuple[str, ...]
    ) -> None:
        if not scrub:
            await db.execute(sql, params)
            return
        await db.execute("PRAGMA secure_delete = ON")
        try:
            await db.execute(sql, params)
        finally:
            await db.execute("PRAGMA secure_delete = OFF")

    async def metas(self, keys: Sequence[str]) -> dict[str, str]:
        """The metadata values of those of ``keys`` that are set, in one trip."""
        marks = ",".join("?" * len(keys))
        async with self._lock:
            rows = await self._all(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)
        return {str(r[0]): str(r[1]) for r in rows}

    async def set_metas(self, values: dict[str, str]) -> None:
        """Store several metadata values in one transaction and one trip."""
        await self.in_one_transaction(lambda c: run_steps(c, [meta_step(values)]))

    async def client_id(self) -> int:
        """This node's Yjs client id (created on first use)."""
        value = await self.meta(CLIENT_ID_KEY)
        if value is None:
            return await self.rotate_client_id()
        return int(value)

    async def rotate_client_id(self) -> int:
        """A fresh Yjs client id, used after a rejected update left a clock hole."""
        new = _fresh_client_id()
        await self.set_meta(CLIENT_ID_KEY, str(new))
        return new

    # ---- documents ------------------------------------------------------------

    async def load(self, doc_ids: Iterable[str]) -> dict[str, StoredDoc]:
        """Stored state of the documents among ``doc_ids`` this node holds (tails merged)."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        async with self._lock:
            return await on_sqlite_thread(self._db, lambda c: load_stored(c, ids))

    async def load_heads(
        self, doc_ids: Iterable[str], known: Mapping[str, tuple[int, bytes]] | None = None
    ) -> dict[str, DocHead]:
        """The stored documents among ``doc_ids``, with their whole states except for
        those whose version is the one in ``known`` (a caller's cached copies)."""
        ids = list(dict.fromkeys(doc_ids))
        known = known or {}

        def read(connection: sqlite3.Connection) -> dict[str, DocHead]:
            rows = []
            for chunk in _chunks(ids):
                rows += connection.execute(
                    "SELECT doc_id, doc_type, depot_id, courier_id, merchant_id, updated_seq, "
                    "state_vector, length(state) FROM documents "
                    f"WHERE doc_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            tails = tail_sizes(connection, [r[0] for r in rows])
            wanted = [r[0] for r in rows if known.get(r[0]) != (r[5], bytes(r[6]))]
            states = with_tails(connection, _states(connection, wanted))
            return {
                r[0]: DocHead(
                    r[0],
                    r[1],
                    (r[2], r[3], r[4]),
                    (r[5], bytes(r[6])),
                    r[7],
                    tails.get(r[0], (0, 0)),
                    states.get(r[0]),
                )
                for r in rows
            }

        async with self._lock:
            return await on_sqlite_thread(self._db, read)

    async def returns_of(self, shipment_id: str) -> list[str]:
        """Ids of the returns (RMAs) held here that were made for ``shipment_id``."""
        rows = await self.query(
            "SELECT doc_id FROM p_returns WHERE shipment_id = ? ORDER BY doc_id", (shipment_id,)
        )
        return [str(r[0]) for r in rows]

    async def document_ids(self) -> list[str]:
        """Ids of every document held, sorted."""
        async with self._lock:
            rows = await self._all("SELECT doc_id FROM documents ORDER BY doc_id")
        return [r[0] for r in rows]

    async def document_count(self) -> int:
        """How many documents are held."""
        async with self._lock:
            row = await self._one("SELECT count(*) FROM documents")
        return int(row[0])

    async def scope_doc_ids(self, scopes: Sequence[Scope], doc_type: str | None = None) -> set[str]:
        """Ids of the documents in ``scopes`` (only those of ``doc_type``, when given),
        read through the scope indexes."""
        clause, params = scope_sql(scopes)
        if doc_type is not None:
            clause, params = f"doc_type = ? AND {clause}", [doc_type, *params]
        async with self._lock:
            rows = await self._all(f"SELECT doc_id FROM documents WHERE {clause}", params)
        return {r[0] for r in rows}

    async def projection_rows(
        self, table: str, scopes: Sequence[Scope] | None = None
    ) -> list[tuple[Any, ...]]:
        """Every row of the projection ``table`` (only the documents in ``scopes``, when
        given, read through the scope indexes)."""
        if table not in PROJECTION_TABLES:
            raise ValueError(f"no projection table {table!r}")
        where, params = "", list[str]()
        if scopes is not None:
            clause, params = scope_sql(scopes)
            where = f" WHERE doc_id IN (SELECT doc_id FROM documents WHERE {clause})"
        async with self._lock:
            return [tuple(r) for r in await self._all(f"SELECT * FROM {table}{where}", params)]

    async def events_of(
        self, doc_id: str, *event_types: str
    ) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """A document's events of any of ``event_types`` in fold order: id, hlc, device,
        actor and payload JSON."""
        marks = ", ".join("?" * len(event_types))
        async with self._lock:
            rows = await self._all(
                "SELECT event_id, hlc, device, actor, payload FROM p_events "
                f"WHERE doc_id = ? AND type IN ({marks}) ORDER BY hlc, event_id",
                (doc_id, *event_types),
            )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def document_depot(self, doc_id: str) -> str | None:
        """The depot of a shipment or return held here (None: no such document)."""
        async with self._lock:
            row = await self._one(
                "SELECT depot_id FROM p_shipments WHERE doc_id = ? "
                "UNION ALL SELECT depot_id FROM p_returns WHERE doc_id = ?",
                (doc_id, doc_id),
            )
        return None if row is None else str(row[0] or "")

    async def manifest_rows(
        self, depot_id: str, courier_id: str, day: str
    ) -> list[tuple[str, int | None, str]]:
        """``(id, route seq, status)`` of a courier's stops at a depot on ``day``, in order."""
        async with self._lock:
            rows = await self._all(
                "SELECT doc_id, route_seq, status FROM p_shipments "
                "WHERE depot_id = ? AND courier_id = ? AND route_day = ? "
                "ORDER BY route_seq, tracking_number",
                (depot_id, courier_id, day),
            )
        return [(r[0], r[1], r[2]) for r in rows]

    async def state_vectors(self) -> dict[str, bytes]:
        """``doc_id -> encoded state vector`` for every document."""
        async with self._lock:
            rows = await self._all("SELECT doc_id, state_vector FROM documents")
        return {r[0]: bytes(r[1]) for r in rows}

    async def write(
        self,
        docs: Sequence[DocWrite],
        *,
        cursor: tuple[str, int, str] | None = None,
        evict: Sequence[str] = (),
        release_held: Sequence[str] = (),
        also: Sequence[Step] = (),
    ) -> int:
        """Persist a batch in one transaction; returns the log head after it.

        ``cursor``: ``(upstream, cursor, upstream replica id)`` to keep with it.
        ``also``: more steps of the caller's, run last in the same transaction.
        ``release_held``: rebuilt documents whose held outbox entries ``docs``
        replay; they go in the same transaction, so a crash cannot replay twice.
        """
        return await self.write_built(
            lambda _: docs, cursor=cursor, evict=evict, release_held=release_held, also=also
        )

    async def write_built(
        self,
        build: Callable[[sqlite3.Connection], Sequence[DocWrite]],
        *,
        cursor: tuple[str, int, str] | None = None,
        evict: Sequence[str] = (),
        release_held: Sequence[str] = (),
        also: Sequence[Step] = (),
    ) -> int:
        """:meth:`write` of the documents ``build(connection)`` makes from what it
        reads inside the transaction (:func:`load_stored`, :func:`client_id_in`):
        read, change and write in one trip to SQLite's thread and one commit."""
        now = now_ms()

        def work(connection: sqlite3.Connection) -> int:
            docs = build(connection)
            stored = self._rebase(connection, docs)
            steps = [
                *self.write_steps(docs),
                *self._doc_steps(docs, now, stored, frozenset(release_held)),
            ]
            if cursor is not None:
                steps.append(
                    (
                        "INSERT OR REPLACE INTO cursors (upstream, cursor, replica, synced_at) "
                        "VALUES (?, ?, ?, ?)",
                        [(*cursor, now)],
                    )
                )
            if release_held:
                steps.extend(self._release_held(release_held))
            run_steps(connection, [*steps, *also])
            if evict:
                _evict(connection, evict, now)
            return int(
                connection.execute("SELECT coalesce(max(seq), 0) FROM update_log").fetchone()[0]
            )

        return await self.in_one_transaction(work)

    def write_steps(self, docs: Sequence[DocWrite]) -> list[Step]:
        """Hook: steps of a subclass's own, run in :meth:`write`'s transaction
        before ``docs`` are stored, for rows that must commit with them (the writes
        are already rebased on the stored state). None here."""
        return []

    def _rebase(self, connection: sqlite3.Connection, docs: Sequence[DocWrite]) -> dict[str, str]:
        """Rebase each write on the state stored now (see :func:`._writes.rebase`);
        returns ``doc_id -> doc_type`` of the documents already stored.

        The stored scope becomes each write's previous scope (so a scope move is
        logged against what is really stored). A write that rebuilds a document
        from the upstream's state (``DocWrite.replaces``) is not rebased. A partial
        projection (:func:`.projection.project`) of a document no longer stored is
        made whole.
        """
        found: dict[str, tuple[str, bytes, ScopeKeys]] = {}
        ids = list(dict.fromkeys(d.doc_id for d in docs))
        for chunk in _chunks(ids):
            rows = connection.execute(
                "SELECT doc_id, doc_type, state_vector, depot_id, courier_id, merchant_id "
                f"FROM documents WHERE doc_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({r[0]: (r[1], bytes(r[2]), (r[3], r[4], r[5])) for r in rows})
        behind: list[DocWrite] = []
        writes = Counter(d.doc_id for d in docs)
        for d in docs:
            if d.replaces:
                d.whole()
            if d.doc_id in found and not d.replaces:
                d.previous_scope = found[d.doc_id][2]
                if lacks(d, found[d.doc_id][1]):
                    behind.append(d)
                elif writes[d.doc_id] > 1 or d.previous_scope != d.scope:
                    d.whole()  # appended only to a document kept in place, once a batch
            elif d.doc_id not in found and (d.projection.partial or d.tail is not None):
                d.whole()
                rebase(d, None)  # dropped since it was read: its rows went with it
        for batch in _chunks(behind):
            rows = connection.execute(
                "SELECT doc_id, state FROM documents WHERE doc_id IN "
                f"({','.join('?' * len(batch))})",
                [w.doc_id for w in batch],
            )
            states = with_tails(connection, {r[0]: bytes(r[1]) for r in rows})
            for w in batch:
                w.whole()
                rebase(w, states[w.doc_id])
        return {doc_id: f[0] for doc_id, f in found.items()}

    def _doc_steps(
        self,
        docs: Sequence[DocWrite],
        now: int,
        stored: dict[str, str],
        replaying: frozenset[str],
    ) -> list[Step]:
        """The steps that log, store and project ``docs`` (``stored``: type of
        those already stored), in the order they must run: the documents row takes
        its ``updated_seq`` from the log rows before it.

        An outbox entry of a document waiting for its rebuild (in ``resync``) is
        held, to be replayed on the rebuilt document: sent now it would build on
        the refused update. ``replaying``: the documents whose held entries these
        writes replay (their entries go out).
        """
        log: list[tuple[Any, ...]] = []
        for d in docs:
            if d.previous_scope is not None and d.previous_scope != d.scope:
                log.append(
                    (d.doc_id, d.doc_type, "leave", *d.previous_scope, None, d.origin_device, now)
                )
                log.append((d.doc_id, d.doc_type, "enter", *d.scope, None, d.origin_device, now))
            log.extend(
                (d.doc_id, d.doc_type, "update", *d.scope, u, origin, now)
                for u, origin in zip(d.updates, d.origins(), strict=True)
            )
        # A stored document keeping its scope is updated without naming the scope
        # columns: setting an indexed column rewrites its index entries even to the
        # same value, which tripled the commit of a one-document push. A document
        # written twice in one batch goes through the upsert, in order.
        writes = Counter(d.doc_id for d in docs)
        in_place = {
            d.doc_id
            for d in docs
            if writes[d.doc_id] == 1
            and d.doc_id in stored
            and not d.replaces
            and d.previous_scope == d.scope
        }
        outbox = [
            (
                *(o.doc_id, o.doc_type, o.update, o.command, o.origin_device, now),
                None if d.doc_id in replaying else d.doc_id,  # held while it is in resync
            )
            for d in docs
            for o in d.outbox
        ]
        return [
            (
                "INSERT INTO update_log (doc_id, doc_type, kind, depot_id, courier_id, "
                "merchant_id, update_blob, origin_device, received_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                log,
            ),
            (
                "UPDATE documents SET doc_type = ?, state = ?, state_vector = ?, "
                "updated_seq = (SELECT coalesce(max(seq), 0) FROM update_log) WHERE doc_id = ?",
                [
                    (d.doc_type, d.state, d.state_vector, d.doc_id)
                    for d in docs
                    if d.doc_id in in_place and d.tail is None
                ],
            ),
            (  # an append: the state stays, its vector and version move
                "UPDATE documents SET state_vector = ?, "
                "updated_seq = (SELECT coalesce(max(seq), 0) FROM update_log) WHERE doc_id = ?",
                [(d.state_vector, d.doc_id) for d in docs if d.tail is not None],
            ),
            (
                "INSERT INTO doc_tail (doc_id, update_blob) VALUES (?, ?)",
                [(d.doc_id, u) for d in docs if d.tail is not None for u in d.updates],
            ),
            lambda c: drop_tails(
                c, [d.doc_id for d in docs if d.tail is None and d.doc_id in stored]
            ),
            (
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,"
                "(SELECT coalesce(max(seq), 0) FROM update_log)) ON CONFLICT (doc_id) DO UPDATE "
                "SET doc_type = excluded.doc_type, depot_id = excluded.depot_id, "
                "courier_id = excluded.courier_id, merchant_id = excluded.merchant_id, "
                "state = excluded.state, state_vector = excluded.state_vector, "
                "updated_seq = excluded.updated_seq",
                [
                    (d.doc_id, d.doc_type, *d.scope, d.state, d.state_vector)
                    for d in docs
                    if d.doc_id not in in_place
                ],
            ),
            *_projection_steps([d.projection for d in docs], stored),
            (
                "INSERT INTO outbox (doc_id, doc_type, update_blob, command, origin_device, "
                "created_at, held) VALUES (?,?,?,?,?,?, "
                "(SELECT count(*) FROM resync WHERE doc_id = ?))",
                outbox,
            ),
        ]

    async def forget_all(self) -> None:
        """Wipe every document, log row, outbox item and cursor (re-enrolment)."""
        async with self.transaction() as db:
            for table in (
                "documents",
                "update_log",
                "outbox",
                "quarantine",
                "cursors",
                "resync",
                "evictions",
                "doc_tail",
                "device_resets",
                "reset_acks",
                *PROJECTION_TABLES,
            ):
                await db.execute(f"DELETE FROM {table}")

    async def rebuild_projections(self) -> int:
        """Drop every projection row and rebuild all from the documents; returns docs."""
        rows = await self.query("SELECT doc_id, doc_type FROM documents")
        states = await self.load(r[0] for r in rows)
        projections = [
            project(doc_id, doc_type_of(doc_type), read_content(load(states[doc_id].state)))
            for doc_id, doc_type in rows
        ]
        async with self.transaction() as db:
            for table in PROJECTION_TABLES:
                await db.execute(f"DELETE FROM {table}")
            await run_in_one_trip(db, _projection_steps(projections, {}))
        return len(projections)


@dataclass(frozen=True, slots=True)
class _Shape:
    """A projection table as its DDL creates it."""

    columns: list[str]
    indexed: list[str]  # columns of its secondary indexes
    one_per_doc: bool  # keyed by ``doc_id`` alone


def _states(connection: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, bytes]:
    """The stored ``documents.state`` of ``doc_ids`` (without their tails)."""
    states: dict[str, bytes] = {}
    for chunk in _chunks(doc_ids):
        rows = connection.execute(
            f"SELECT doc_id, state FROM documents WHERE doc_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        states.update({r[0]: bytes(r[1]) for r in rows})
    return states


def _projection_shapes() -> dict[str, _Shape]:
    """Each projection table's shape, read off its DDL."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.executescript(PROJECTION_DDL)
        shapes = {}
        for table in PROJECTION_TABLES:
            info = db.execute(f"PRAGMA table_info({table})").fetchall()
            indexed = {
                column[2]
                for index in db.execute(f"PRAGMA index_list({table})")
                if index[3] == "c"  # made by CREATE INDEX, not by the primary key
                for column in db.execute(f"PRAGMA index_info({index[1]})")
            }
            columns = [row[1] for row in info]
            keys = [row[1] for row in info if row[5]]
            shapes[table] = _Shape(
                columns, [c for c in columns if c in indexed], keys == ["doc_id"]
            )
        return shapes


_SHAPES = _projection_shapes()


def _replace(table: str, rows: list[Row]) -> Statement:
    """Rows written over any stored row of the same key."""
    return (f"INSERT OR REPLACE INTO {table} VALUES ({_marks(table)})", rows)


def _insert(table: str, rows: list[Row]) -> Statement:
    """New rows of a projection table."""
    return (f"INSERT INTO {table} VALUES ({_marks(table)})", rows)


def _marks(table: str) -> str:
    return ",".join("?" * len(_SHAPES[table].columns))


def _row_in_place(table: str, had_rows: list[str], rows: list[Row]) -> Step:
    """A step leaving exactly ``rows`` as the rows of their documents in a table
    of one row per document, where ``had_rows`` have one already.

    A stored row whose indexed columns keep their values is updated in place,
    without naming them: setting an indexed column rewrites its index entries
    even to the same value, and deleting and inserting the row moves it and
    every index entry (six pages written of a one-update push's eighteen). Any
    other row is deleted and inserted.
    """
    shape = _SHAPES[table]
    plain = [c for c in shape.columns[1:] if c not in shape.indexed]
    assignments = ", ".join(f"{c} = ?" for c in plain)
    unchanged = "".join(f" AND {c} IS ?" for c in shape.indexed)
    update = f"UPDATE {table} SET {assignments} WHERE doc_id = ?{unchanged}"
    at = [shape.columns.index(c) for c in [*plain, "doc_id", *shape.indexed]]

    def step(connection: sqlite3.Connection) -> None:
        held = set(had_rows)
        kept = {
            row[0]
            for row in rows
            if row[0] in held and connection.execute(update, [row[i] for i in at]).rowcount
        }
        connection.executemany(
            f"DELETE FROM {table} WHERE doc_id = ?", [(d,) for d in had_rows if d not in kept]
        )
        connection.executemany(*_insert(table, [row for row in rows if row[0] not in kept]))

    return step


def _keep_in_place(table: str, doc_ids: list[str], rows: list[Row]) -> Step:
    """A step leaving exactly ``rows`` as the rows of ``doc_ids`` in an
    :data:`.projection.EVENT_KEYED` table: it reads the stored rows, writes only
    the new or changed ones and deletes those of events gone. Reading a row back
    costs far less than writing it again."""
    key = EVENT_KEYED[table]
    at = _SHAPES[table].columns.index(key)

    def step(connection: sqlite3.Connection) -> None:
        stored: dict[tuple[Any, Any], tuple[Any, ...]] = {}
        for chunk in _chunks(doc_ids):
            marks = ",".join("?" * len(chunk))
            for row in connection.execute(
                f"SELECT * FROM {table} WHERE doc_id IN ({marks})", chunk
            ):
                stored[row[0], row[at]] = tuple(row)
        wanted = {(row[0], row[at]): row for row in rows}
        connection.executemany(
            f"DELETE FROM {table} WHERE doc_id = ? AND {key} = ?",
            [k for k in stored if k not in wanted],
        )
        connection.executemany(
            *_replace(table, [r for k, r in wanted.items() if stored.get(k) != r])
        )

    return step


def _projection_steps(projections: Sequence[Projection], stored: dict[str, str]) -> list[Step]:
    """Steps making the rows of ``projections``' documents exactly theirs; only
    the documents in ``stored`` (``doc_id -> doc_type``) can have rows already, in
    their type's tables. Rows of :data:`.projection.EVENT_KEYED` tables are kept in
    place, or only added for a partial projection; a document's rows in any other
    table are replaced."""
    held = {
        doc_id: TABLES_OF.get(doc_type, PROJECTION_TABLES) for doc_id, doc_type in stored.items()
    }
    whole = [p for p in projections if not p.partial]
    steps: list[Step] = []
    for table in PROJECTION_TABLES:
        if table in EVENT_KEYED:
            had_rows = [p.doc_id for p in whole if table in held.get(p.doc_id, ())]
            steps.append(_keep_in_place(table, had_rows, _rows_of(whole, table)))
            added = _rows_of([p for p in projections if p.partial], table)
            steps.append(_replace(table, added))
            continue
        had_rows = [p.doc_id for p in projections if table in held.get(p.doc_id, ())]
        rows = _rows_of(projections, table)
        if _SHAPES[table].one_per_doc:
            steps.append(_row_in_place(table, had_rows, rows))
            continue
        steps.append((f"DELETE FROM {table} WHERE doc_id = ?", [(d,) for d in had_rows]))
        steps.append(_insert(table, rows))
    return steps


def _rows_of(projections: Sequence[Projection], table: str) -> list[Row]:
    return [row for p in projections for row in p.rows.get(table, [])]


def _evict(connection: sqlite3.Connection, doc_ids: Sequence[str], now: int) -> None:
    """Drop ``doc_ids`` (they left this node's scope), or mark for later those
    with outbox entries still to send."""
    pending = {
        r[0]
        for r in connection.execute(
            f"SELECT DISTINCT doc_id FROM outbox WHERE doc_id IN ({','.join('?' * len(doc_ids))})",
            list(doc_ids),
        )
    }
    connection.executemany(
        "INSERT OR IGNORE INTO evictions VALUES (?)", [(d,) for d in doc_ids if d in pending]
    )
    _drop(connection, [d for d in doc_ids if d not in pending], now)


def _drop(connection: sqlite3.Connection, doc_ids: Sequence[str], now: int) -> None:
    """Remove documents with their rows, logging that they left."""
    ids = [(d,) for d in doc_ids]
    connection.executemany(
        "INSERT INTO update_log (doc_id, doc_type, kind, depot_id, courier_id, merchant_id, "
        "update_blob, origin_device, received_at) SELECT doc_id, doc_type, 'leave', depot_id, "
        f"courier_id, merchant_id, NULL, '', {now} FROM documents WHERE doc_id = ?",
        ids,
    )
    connection.executemany("DELETE FROM documents WHERE doc_id = ?", ids)
    connection.executemany("DELETE FROM evictions WHERE doc_id = ?", ids)
    drop_tails(connection, doc_ids)
    for table in PROJECTION_TABLES:
        connection.executemany(f"DELETE FROM {table} WHERE doc_id = ?", ids)


def load_stored(connection: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, StoredDoc]:
    """Stored state of the documents among ``doc_ids`` (distinct) held, tails merged, read
    on ``connection``."""
    found: dict[str, tuple[str, bytes, ScopeKeys]] = {}
    for chunk in _chunks(doc_ids):
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(
            "SELECT doc_id, doc_type, state, depot_id, courier_id, merchant_id "
            f"FROM documents WHERE doc_id IN ({marks})",
            chunk,
        )
        found.update({r[0]: (r[1], bytes(r[2]), (r[3], r[4], r[5])) for r in rows})
    states = with_tails(connection, {d: f[1] for d, f in found.items()})
    return {d: StoredDoc(d, f[0], states[d], f[2]) for d, f in found.items()}


def client_id_in(connection: sqlite3.Connection) -> int:
    """The node's Yjs client id, read (or made, on first use) inside a write transaction."""
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (CLIENT_ID_KEY,)).fetchone()
    if row is not None:
        return int(row[0])
    new = _fresh_client_id()
    run_steps(connection, [meta_step({CLIENT_ID_KEY: str(new)})])
    return new


def meta_step(values: dict[str, str]) -> Statement:
    """A step storing metadata values, to run in a caller's transaction."""
    return ("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))


def _fresh_client_id() -> int:
    return random.SystemRandom().randrange(1, 2**32)
