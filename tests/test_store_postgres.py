"""The replica store on PostgreSQL: the same answers as on SQLite, and a log cursor
that never passes a row still to commit while several processes write."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from protocol.wire import Scope
from simulation import actions
from simulation.digest import projection_rows, state_vectors
from sync import InMemoryChannel, ReplicaStore, SyncClient, SyncServer, commit_commands
from sync._postgres import WRITE_LOCK
from sync.errors import StoreError
from sync.faults import storage_fault
from tests.core_helpers import COURIER, DAY, OFFICE, actor, lookup, seeded_central
from tests.pg import STORE_KINDS, needs_pg, open_test_store, pg_url, store_path

EVERYTHING = [Scope("all")]


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_a_courier_pulls_its_route_and_compaction_keeps_it_whole(kind, tmp_path):
    central, ids = await seeded_central(store_path(kind, tmp_path), shipments=4)  # type: ignore[arg-type]
    edge = await ReplicaStore.open(tmp_path / "e.db")
    try:
        channel = InMemoryChannel(SyncServer(central, lookup), COURIER)
        client = SyncClient(edge, channel, device_id=COURIER.id)
        await client.sync()
        assert await edge.document_ids() == sorted(ids)
        assert await central.compact_document(ids[0]) == 0  # one row each: nothing to merge
        assert await state_vectors(edge) == await state_vectors(central)
        written = await projection_rows(central)
        assert await central.rebuild_projections() == 4
        assert await projection_rows(central) == written
    finally:
        await edge.close()
        await central.close()


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_meta_upserts_and_the_log_pages_after_a_cursor(kind, tmp_path):
    store = await open_test_store(kind, tmp_path)
    try:
        await store.set_meta("k", "one")
        await store.set_meta("k", "two", scrub=True)
        assert await store.meta("k") == "two"
        await store.forget_meta("k")
        assert await store.meta("k", "gone") == "gone"
        office = actor(OFFICE)
        made = [actions.create_shipment(office, n, "D1", "C1", 100, DAY) for n in range(5)]
        await commit_commands(store, made, device_id=OFFICE.id, queue=False)
        first, head = await store.read_log(0, EVERYTHING, 2)
        rest, _ = await store.read_log(first[-1].seq, EVERYTHING, 10)
        assert [r.doc_id for r in first + rest] == [doc_id for doc_id, _ in made]
        assert head == rest[-1].seq
        assert len(await store.replica_id()) == 32
    finally:
        await store.close()


@needs_pg
async def test_a_store_newer_than_the_program_is_refused(tmp_path):
    url = pg_url("newer")
    store = await ReplicaStore.open(url)
    async with store.transaction() as db:
        await db.execute("UPDATE schema_versions SET version = 99 WHERE name = ''")
    await store.close()
    with pytest.raises(StoreError, match="newer"):
        await ReplicaStore.open(url)


async def _waiting_for_the_write_lock(store: ReplicaStore, key: int) -> None:
    """Until some transaction waits for the store's write lock (polled: the wait is in
    another connection, nothing here can be told)."""
    waiting = 0
    while not waiting:
        await asyncio.sleep(0.01)
        rows = await store.query(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = ? AND objid = ?",
            (WRITE_LOCK, key & 0xFFFFFFFF),
        )
        waiting = rows[0][0]


@needs_pg
async def test_a_cursor_never_passes_a_row_still_to_commit():
    """One process's write holds its log row uncommitted while another's commits:
    a plain sequence would let the second row (a higher seq) be read first, and
    the reader's cursor would pass the first for good. The second waits instead."""
    url = pg_url("cursor")
    slow, fast, reader = [await ReplicaStore.open(url) for _ in range(3)]
    inside, release = threading.Event(), threading.Event()

    def held_open(connection):
        connection.execute(
            "INSERT INTO update_log (doc_id, doc_type, kind, depot_id, courier_id, merchant_id, "
            "update_blob, origin_device, received_at) "
            "VALUES ('held', 'shipment', 'leave', 'D1', 'C1', 'm', NULL, 'x', 0)"
        )
        inside.set()
        release.wait(30)

    try:
        first = asyncio.ensure_future(slow.in_one_transaction(held_open))
        await asyncio.to_thread(inside.wait, 30)
        made = [actions.create_shipment(actor(OFFICE), 1, "D1", "C1", 100, DAY)]
        second = asyncio.ensure_future(
            commit_commands(fast, made, device_id=OFFICE.id, queue=False)
        )
        key = slow._db._conn.lock_key  # type: ignore[attr-defined]
        await asyncio.wait_for(_waiting_for_the_write_lock(reader, key), 30)
        assert await reader.read_log(0, EVERYTHING, 10) == ([], 0)
        release.set()
        await first
        await second
        rows, head = await reader.read_log(0, EVERYTHING, 10)
        assert [r.doc_id for r in rows] == ["held", made[0][0]]
        assert head == rows[-1].seq
    finally:
        release.set()
        for store in (slow, fast, reader):
            await store.close()


@needs_pg
async def test_readers_following_concurrent_writers_miss_no_row():
    """Three stores (as three processes) commit at once while a reader pages
    through the log after its cursor: it reads every row exactly once, in order."""
    url = pg_url("writers")
    writers = [await ReplicaStore.open(url) for _ in range(3)]
    reader = await ReplicaStore.open(url)
    done = asyncio.Event()

    async def write(n: int, store: ReplicaStore) -> None:
        office = actor(OFFICE, seed=n)
        for serial in range(12):
            made = [actions.create_shipment(office, 100 * n + serial, "D1", "C1", 100, DAY)]
            await commit_commands(store, made, device_id=OFFICE.id, queue=False)

    async def follow() -> list[int]:
        cursor, seen = 0, []
        while True:
            finished = done.is_set()
            rows, _ = await reader.read_log(cursor, EVERYTHING, 3)
            seen += [r.seq for r in rows]
            cursor = rows[-1].seq if rows else cursor
            if finished and not rows:
                return seen
            await asyncio.sleep(0)

    try:
        following = asyncio.ensure_future(follow())
        await asyncio.gather(*(write(n, s) for n, s in enumerate(writers)))
        done.set()
        seen = await following
        every = [r[0] for r in await reader.query("SELECT seq FROM update_log ORDER BY seq")]
        assert seen == every
        assert len(every) == 36
    finally:
        for store in (*writers, reader):
            await store.close()


def test_the_store_factory_knows_only_its_kinds(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown store kind"):
        store_path("mysql", tmp_path)


@needs_pg
async def test_a_lost_connection_is_a_storage_fault_and_the_next_write_connects_again():
    url = pg_url("lost")
    store, other = await ReplicaStore.open(url), await ReplicaStore.open(url)
    try:
        (pid,) = (await store.query("SELECT pg_backend_pid()"))[0]
        await other.query("SELECT pg_terminate_backend(?)", (pid,))
        with pytest.raises(sqlite3.Error) as lost:
            await store.set_meta("k", "v")
        assert (storage_fault(lost.value) or "").startswith("the database server failed")
        await store.set_meta("k", "v")
        assert await other.meta("k") == "v"
    finally:
        await store.close()
        await other.close()
