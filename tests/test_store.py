"""Replica store: crash safety, projection rebuild, compaction, paging, bad input."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import sync.store
from protocol.commands import DocCommand
from protocol.errors import InvalidEvent, UnsupportedVersion
from protocol.wire import DocUpdate, Hello, PullRequest, PushItem, PushRequest
from simulation import actions
from simulation.digest import projection_rows, state_vectors
from sync import (
    InMemoryChannel,
    ReplicaStore,
    SyncClient,
    SyncServer,
    apply_command,
    commit_commands,
)
from sync._sqlite import Database, on_sqlite_thread
from sync._writes import write_record
from sync.documents import load, read_content
from sync.errors import StoreError
from sync.ingest import merge_incoming
from sync.projection import PROJECTION_TABLES
from tests._edge_world import duplicated_events
from tests.core_helpers import (
    COURIER,
    DAY,
    actor,
    add_resets,
    lookup,
    projections_as_rebuilt,
    seeded_central,
)

ROOT = Path(__file__).resolve().parents[1]
Linked = tuple[ReplicaStore, list[str], SyncServer, ReplicaStore, SyncClient]


@asynccontextmanager
async def linked(tmp_path: Path, shipments: int = 5, **client: Any) -> AsyncIterator[Linked]:
    """Seeded central, its server, a courier's replica and its client; closed on exit."""
    central, ids = await seeded_central(tmp_path / "c.db", shipments=shipments)
    server = SyncServer(central, lookup)
    edge = await ReplicaStore.open(tmp_path / "e.db")
    try:
        channel = InMemoryChannel(server, COURIER)
        yield central, ids, server, edge, SyncClient(edge, channel, device_id="hh1", **client)
    finally:
        await edge.close()
        await central.close()


async def snapshot(store: ReplicaStore) -> tuple[object, ...]:
    outbox = await store.query("SELECT id, doc_id, update_blob FROM outbox ORDER BY id")
    log = await store.query("SELECT seq, doc_id FROM update_log ORDER BY seq")
    return (await state_vectors(store), await projection_rows(store), outbox, log)


async def test_exception_mid_batch_leaves_replica_as_before(tmp_path, monkeypatch):
    store, ids = await seeded_central(tmp_path / "c.db")
    before = await snapshot(store)
    courier = actor(COURIER)
    commands = actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 1250)

    def broken(*args: Any) -> list[Any]:  # projection rows SQLite refuses, mid-trip
        return [("INSERT INTO no_such_table VALUES (?)", [(1,)])]

    monkeypatch.setattr(sync.store, "_projection_steps", broken)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await commit_commands(store, commands, device_id=COURIER.id)
    monkeypatch.undo()
    assert await snapshot(store) == before
    await store.close()


async def test_a_write_cancelled_on_sqlites_thread_ends_whole_before_anyone_else_writes(
    tmp_path, monkeypatch
):
    """A cancelled caller waits (holding the lock) for the transaction it started."""
    store, ids = await seeded_central(tmp_path / "c.db", shipments=1)
    on_thread, go_on = threading.Event(), threading.Event()
    run_all = sync.store.run_steps

    def held_up(connection, steps):
        on_thread.set()
        go_on.wait(10)
        run_all(connection, steps)

    monkeypatch.setattr(sync.store, "run_steps", held_up)
    fail = actions.courier_fail(actor(COURIER), ids[0], "not_home")
    writing = asyncio.create_task(commit_commands(store, fail, device_id=COURIER.id))
    try:
        assert await asyncio.to_thread(on_thread.wait, 10)
        writing.cancel()
        await asyncio.sleep(0.05)
        assert not writing.done(), "the caller waits for the transaction on the thread"
        go_on.set()
        with pytest.raises(asyncio.CancelledError):
            await writing
        monkeypatch.undo()
        types = await store.query("SELECT type FROM p_events WHERE doc_id = ? ORDER BY 1", ids)
        assert types == [("attempt_failed",), ("created",)]
        await commit_commands(store, actions.office_edit(ids[0], "+31 6 2"), device_id="office")
    finally:
        go_on.set()
        await asyncio.gather(writing, return_exceptions=True)
        await store.close()


def test_process_killed_mid_batch_loses_nothing_committed(tmp_path):
    db = tmp_path / "hh.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.core_helpers import COURIER, DAY, actor, seeded_central
        from simulation import actions
        from sync import commit_commands

        async def main():
            store, ids = await seeded_central({str(db)!r})
            courier = actor(COURIER)
            first = actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 1250)
            await commit_commands(store, first, device_id="hh1")
            print("committed", flush=True)
            import sync.store
            write_all = sync.store.run_steps
            def die(connection, steps):
                # the log and documents rows, then death
                documents = [
                    i for i, s in enumerate(steps) if not callable(s) and "documents" in s[0]
                ]
                write_all(connection, steps[: documents[-1] + 1])
                os._exit(9)
            sync.store.run_steps = die
            second = actions.courier_deliver(courier, ids[1], "C1", "D1", DAY, 1250)
            await commit_commands(store, second, device_id="hh1")

        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    assert "committed" in result.stdout

    async def check() -> None:
        store = await ReplicaStore.open(db)
        outbox = await store.query("SELECT doc_id FROM outbox")
        delivered = await store.query("SELECT status FROM p_shipments WHERE status='delivered'")
        await store.close()
        assert len(outbox) == 2  # the shipment and the cash book of the first command only
        assert len(delivered) == 1

    asyncio.run(check())


async def test_projections_rebuild_identically(tmp_path):
    store, ids = await seeded_central(tmp_path / "c.db")
    courier = actor(COURIER)
    await commit_commands(
        store, actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 900), device_id="hh1"
    )
    before = await projection_rows(store)
    for table in before:
        await store.query(f"DELETE FROM {table}")
    assert await store.rebuild_projections() == 6
    assert await projection_rows(store) == before
    await store.close()


async def test_newer_schema_is_refused(tmp_path):
    store = await ReplicaStore.open(tmp_path / "x.db")
    await store.query("PRAGMA user_version=99")
    await store.close()
    with pytest.raises(StoreError, match="newer than this program"):
        await ReplicaStore.open(tmp_path / "x.db")


async def test_event_rows_kept_in_place_end_exactly_as_the_document_gives_them(tmp_path):
    store, ids = await seeded_central(tmp_path / "c.db")
    courier = actor(COURIER)
    await commit_commands(
        store, actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 900), device_id="hh1"
    )
    # a row gone stale and a row of an event the document does not hold
    await store.query("UPDATE p_events SET payload = '{}' WHERE doc_id = ?", (ids[0],))
    await store.query(
        "INSERT INTO p_cash_entries VALUES (?, 'gone', 'collected', 1, 'EUR', '', '', '', '')",
        (actions.courier_book_id("C1", DAY),),
    )
    await commit_commands(store, actions.office_edit(ids[0], "+31 6 1"), device_id="office")
    await commit_commands(
        store, actions.courier_deliver(courier, ids[1], "C1", "D1", DAY, 900), device_id="hh1"
    )
    assert await projections_as_rebuilt(store)
    await store.close()


@pytest.mark.parametrize("dropped_meanwhile", [False, True])
async def test_an_append_writes_only_its_own_event_rows_and_ends_as_a_rebuild(
    tmp_path, dropped_meanwhile
):
    """A push that only appended to the stored content makes the rows of its new
    events only; if the document was dropped after it was read, every row."""
    store, ids = await seeded_central(tmp_path / "c.db", shipments=1)
    doc_id = ids[0]
    stored = (await store.load(ids))[doc_id].state
    [(_, command)] = actions.courier_fail(actor(COURIER), doc_id, "not_home")
    state, update = apply_command(stored, command, client_id=4242)
    doc = load(state)
    kept = len(read_content(load(stored)).events)
    write = write_record(
        doc_id, "shipment", state, doc.get_state(), read_content(doc), None, [update], "hh1", kept
    )
    assert write.projection.partial
    assert [row[3] for row in write.projection.rows["p_events"]] == ["attempt_failed"]
    try:
        if dropped_meanwhile:
            for table in ("documents", *PROJECTION_TABLES):
                await store.query(f"DELETE FROM {table} WHERE doc_id = ?", ids)
        await store.write([write])
        assert await projections_as_rebuilt(store)
        types = await store.query("SELECT type FROM p_events ORDER BY 1")
        assert types == [("attempt_failed",), ("created",)]
    finally:
        await store.close()


async def test_a_document_row_is_updated_in_place_or_moved_with_its_index_keys(tmp_path):
    """One-row-per-document projections: a change that keeps the indexed columns
    updates the row where it is; a reassignment moves it in the route index."""
    store, ids = await seeded_central(tmp_path / "c.db", shipments=2)
    try:

        async def rows() -> list[tuple[Any, ...]]:
            return await store.query(
                "SELECT rowid, doc_id, courier_id, attempts FROM p_shipments ORDER BY doc_id"
            )

        before = await rows()
        await commit_commands(
            store, actions.courier_fail(actor(COURIER), ids[0], "not_home"), device_id="hh1"
        )
        await commit_commands(store, actions.depot_reassign(ids[1], "C2"), device_id="depot")
        after = {row[1]: row for row in await rows()}
        failed, moved = after[ids[0]], after[ids[1]]
        assert failed[0] == {r[1]: r for r in before}[ids[0]][0], "updated where it was"
        assert (failed[2], failed[3]) == ("C1", 1)
        assert moved[2] == "C2"
        route = await store.query(
            "SELECT doc_id FROM p_shipments INDEXED BY p_shipments_route WHERE courier_id = 'C2'"
        )
        assert route == [(ids[1],)]
        assert await projections_as_rebuilt(store)
    finally:
        await store.close()


async def test_compaction_keeps_every_cursor_valid(tmp_path):
    async with linked(tmp_path, shipments=3) as (central, ids, _, early, early_client):
        await early_client.sync()
        for n in range(4):
            await commit_commands(
                central, actions.office_edit(ids[0], f"+31 6 {n}"), device_id="office", queue=False
            )
        removed = await central.compact_document(ids[0])
        assert removed >= 4
        await early_client.sync()
        assert await state_vectors(early) == await state_vectors(central)


async def test_truncated_log_answers_with_snapshots(tmp_path):
    async with linked(tmp_path, shipments=4) as (central, ids, server, away, client):
        await client.sync()
        await commit_commands(
            central, actions.office_edit(ids[1], "+31 6 1"), device_id="office", queue=False
        )
        await central.truncate_log(await central.head())
        cursor = (await away.cursor("upstream"))[0]
        response = await server.pull(COURIER, PullRequest(Hello("hh1"), cursor))
        assert response.snapshot
        await client.sync()
        assert await state_vectors(away) == await state_vectors(central)


async def test_a_cursor_of_another_replica_file_gets_a_snapshot_and_keeps_resets(tmp_path):
    async with linked(tmp_path, shipments=3) as (central, ids, server, _, _):
        await add_resets(central, ("hh1", ids[0]))
        head, replica = await central.head(), await central.replica_id()
        other_file = PullRequest(Hello("hh1"), cursor=head, reset_ack=7, replica="f" * 32)
        from_the_future = PullRequest(Hello("hh1"), cursor=head + 10, replica=replica)
        for request in (other_file, from_the_future):
            response = await server.pull(COURIER, request)
            assert response.snapshot and response.replica == replica
            assert len(response.entering) == 3 and [r.doc_id for r in response.resets] == [ids[0]]
        # the same file, a known cursor: an idle answer
        idle = await server.pull(COURIER, PullRequest(Hello("hh1"), cursor=head, replica=replica))
        assert not idle.snapshot and idle.entering == [] and idle.cursor == head


async def test_a_replaced_upstream_file_is_pulled_whole_and_its_resets_taken(tmp_path):
    async with linked(tmp_path, shipments=4) as (central, ids, _, edge, client):
        await client.sync()
        async with edge.transaction() as db:  # resets taken from the old file, up to id 3
            await db.execute("INSERT INTO reset_acks VALUES ('upstream', 3)")
        # the replacement: the same content in a new file
        await central.query("VACUUM INTO ?", (str(tmp_path / "new.db"),))
        replaced = await ReplicaStore.open(tmp_path / "new.db")
        try:
            await replaced.query("UPDATE meta SET value = 'f00d' WHERE key = 'replica.id'")
            await add_resets(replaced, ("hh1", ids[0]))  # the new file's first reset for hh1
            client.channel = InMemoryChannel(SyncServer(replaced, lookup), COURIER)
            await client.sync()
            assert await state_vectors(edge) == await state_vectors(replaced)
            assert await replaced.query("SELECT id FROM device_resets") == []  # served, acked
            assert await edge.reset_ack("upstream") == 1
            cursor, _, replica = await edge.cursor_of("upstream")
            assert (cursor, replica) == (await replaced.head(), "f00d")
        finally:
            await replaced.close()


async def test_pull_pages_until_caught_up(tmp_path):
    async with linked(tmp_path, shipments=25, page=4) as (_, _, _, edge, client):
        report = await client.pull()
        assert report.pages == 7
        assert len(await edge.document_ids()) == 25


async def test_resending_a_push_changes_nothing(tmp_path):
    async with linked(tmp_path) as (central, ids, server, edge, client):
        await client.sync()
        courier = actor(COURIER)
        await commit_commands(
            edge, actions.courier_fail(courier, ids[0], "not_home"), device_id="hh1"
        )
        entry = (await edge.outbox_pending(10))[0]
        request = PushRequest(Hello("hh1"), [PushItem(entry.doc_id, entry.doc_type, entry.update)])
        first = await server.push(COURIER, request)
        head = await central.head()
        second = await server.push(COURIER, request)
        assert first.results[0].accepted and second.results[0].accepted
        assert await central.head() == head


@pytest.mark.parametrize(
    ("doc_type", "update", "code"),
    [
        ("shipment", b"\x01\x02garbage", "bad_update"),
        ("parcel", b"\x00\x00", "unknown_doc_type"),
    ],
)
async def test_bad_items_are_rejected_and_nothing_stored(tmp_path, doc_type, update, code):
    central, _ = await seeded_central(tmp_path / "c.db")
    server = SyncServer(central, lookup)
    head = await central.head()
    item = PushItem("01a20000-0000-7000-8000-000000000001", doc_type, update)
    response = await server.push(COURIER, PushRequest(Hello("hh1"), [item]))
    assert not response.results[0].accepted
    assert response.results[0].code == code
    assert await central.head() == head
    await central.close()


async def test_wrong_currency_amount_is_refused_locally_and_upstream(tmp_path):
    async with linked(tmp_path) as (central, ids, server, edge, client):
        await client.sync()
        courier = actor(COURIER)
        bad = {
            **courier.stamp(),
            "type": "cod_collected",
            "payload": {"amount": 1250, "currency": "XXX"},
        }
        command = DocCommand("collect", "shipment", events=[bad])
        before = await snapshot(edge)
        with pytest.raises(InvalidEvent, match="currency"):
            await commit_commands(edge, [(ids[0], command)], device_id="hh1")
        assert await snapshot(edge) == before
        # a node that skipped its own checks is still refused by the upstream
        state = (await edge.load([ids[0]]))[ids[0]].state
        _, update = apply_command(state, command, client_id=4242)
        head = await central.head()
        response = await server.push(
            COURIER, PushRequest(Hello("hh1"), [PushItem(ids[0], "shipment", update)])
        )
        assert response.results[0].code == "invalid_event"
        assert "currency" in response.results[0].message
        assert await central.head() == head


async def test_too_new_protocol_version_is_refused(tmp_path):
    central, _ = await seeded_central(tmp_path / "c.db")
    server = SyncServer(central, lookup)
    with pytest.raises(UnsupportedVersion, match="protocol_version"):
        await server.pull(COURIER, PullRequest(Hello("hh1", protocol_version=99)))
    await central.close()


@pytest.mark.parametrize("awaiting_rebuild", [False, True])
async def test_a_write_based_on_a_stale_read_loses_nothing(tmp_path, awaiting_rebuild):
    """Central's push and its merchant API (or any two writers) interleave safely,
    also on a document a relay waits to rebuild from its upstream."""
    store, ids = await seeded_central(tmp_path / "c.db", shipments=1)
    if awaiting_rebuild:
        await store.query("INSERT INTO resync VALUES (?)", ids)
    try:
        stale = await store.load(ids)
        # another writer records an attempt after ``stale`` was read
        await commit_commands(
            store, actions.courier_fail(actor(COURIER), ids[0], "not_home"), device_id=COURIER.id
        )
        # the first writer applies its own change to the stale state and writes it
        [(doc_id, command)] = actions.office_edit(ids[0], "+33 1 00 00 00 00")
        _, update = apply_command(stale[doc_id].state, command, client_id=4242)
        writes = merge_incoming(
            stale, [DocUpdate(doc_id, "shipment", update)], origin_device="office-1"
        )
        await store.write(writes)
        types = await store.query("SELECT type FROM p_events WHERE doc_id = ? ORDER BY 1", ids)
        assert types == [("attempt_failed",), ("created",)]
        assert await store.query("SELECT held FROM outbox") == [(int(awaiting_rebuild),)]
        content = read_content(load((await store.load(ids))[doc_id].state))
        assert content.info["recipient_phone"] == "+33 1 00 00 00 00"
    finally:
        await store.close()


async def test_replaying_held_entries_and_releasing_them_is_one_transaction(tmp_path, monkeypatch):
    store, ids = await seeded_central(tmp_path / "c.db")
    courier = actor(COURIER)
    own = actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 1250)
    await commit_commands(store, own, device_id=COURIER.id)
    relayed = actions.courier_deliver(actor(COURIER), ids[0], "C1", "D1", DAY, 1250)
    await commit_commands(store, relayed[:1], device_id="hh2", origin_device="hh2")
    async with store.transaction() as db:  # held, as after the upstream refused one
        await db.execute("UPDATE outbox SET held = 1")
    before = await snapshot(store)

    def crash(doc_ids):  # the release's steps, run after the replay's: the process dies
        def killed(connection):
            raise OSError("killed between the replay and the release")

        return [killed]

    monkeypatch.setattr(store, "_release_held", crash)
    with pytest.raises(OSError):
        await commit_commands(store, own, device_id=COURIER.id, replaying_held=True)
    monkeypatch.undo()
    assert await snapshot(store) == before  # neither replayed nor released

    await commit_commands(store, own, device_id=COURIER.id, replaying_held=True)
    rows = await store.query("SELECT origin_device, held FROM outbox ORDER BY id")
    assert rows == [("hh2", 0)] + [(None, 0)] * len(own)
    await store.close()


async def test_two_copies_of_one_event_are_projected_once(tmp_path):
    """Two replicas wrote the same event (same id): merged, it is one event."""
    first, ids = await seeded_central(tmp_path / "a.db", shipments=1)
    second, same_ids = await seeded_central(tmp_path / "b.db", shipments=1)
    assert same_ids == ids  # the same commands, written by two Yjs clients
    theirs = await second.load(ids)
    incoming = [DocUpdate(d.doc_id, d.doc_type, d.state) for d in theirs.values()]
    await first.write(merge_incoming(await first.load(ids), incoming, origin_device="b"))
    assert len((await state_vectors(first))[ids[0]]) == 2
    assert await duplicated_events(first)  # the merged document holds both copies
    assert await projection_rows(first) == await projection_rows(second)
    await first.close()
    await second.close()


async def test_a_transaction_cancelled_during_its_commit_raises_the_cancellation(tmp_path):
    """The COMMIT runs to its end; the caller gets CancelledError, not a failed ROLLBACK.

    (A sync loop stopped during its settle COMMIT got 'cannot rollback - no
    transaction is active' instead, took it for a failed round and never ended.)
    """
    db = await Database.open(tmp_path / "x.db")
    on_thread, go_on = threading.Event(), threading.Event()
    held: list[asyncio.Future[None]] = []

    def hold_the_thread(connection: sqlite3.Connection) -> None:
        on_thread.set()
        go_on.wait(10)

    async def write() -> None:
        async with db.transaction() as connection:
            await connection.execute("CREATE TABLE t (x)")
            await connection.execute("INSERT INTO t VALUES (1)")
            held.append(asyncio.ensure_future(on_sqlite_thread(connection, hold_the_thread)))
            assert await asyncio.to_thread(on_thread.wait, 10)  # the COMMIT queues behind it
            asyncio.get_running_loop().call_soon(go_on.set)  # once this step queued the COMMIT
            current = asyncio.current_task()
            assert current is not None
            current.cancel()  # cancelled while it awaits its COMMIT

    writing = asyncio.create_task(write())
    try:
        with pytest.raises(asyncio.CancelledError):
            await writing
        assert await db.query("SELECT x FROM t") == [(1,)]
    finally:
        go_on.set()
        await asyncio.gather(writing, *held, return_exceptions=True)
        await db.close()


@pytest.mark.parametrize("kind", ["transaction", "reading"])
async def test_a_caller_cancelled_during_begin_leaves_no_transaction_open(tmp_path, kind):
    """The BEGIN runs to its end and is undone: the next transaction can start.

    (Cancelled during its BEGIN, a caller left the connection inside a
    transaction nobody owned: 'cannot start a transaction within a transaction'.)
    """
    db = await Database.open(tmp_path / "x.db")
    async with db.transaction() as connection:
        await connection.execute("CREATE TABLE t (x)")
    on_thread, go_on = threading.Event(), threading.Event()

    def hold_the_thread(connection: sqlite3.Connection) -> None:
        on_thread.set()
        go_on.wait(10)

    async def write() -> None:
        async with getattr(db, kind)() as connection:
            await connection.execute("SELECT count(*) FROM t")

    held = asyncio.ensure_future(on_sqlite_thread(db._db, hold_the_thread))
    writing = asyncio.create_task(write())
    try:
        assert await asyncio.to_thread(on_thread.wait, 10)
        await asyncio.sleep(0)  # one turn: the task queued its BEGIN behind the held thread
        asyncio.get_running_loop().call_soon(go_on.set)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO t VALUES (2)")
        assert await db.query("SELECT x FROM t") == [(2,)]
    finally:
        go_on.set()
        await asyncio.gather(writing, held, return_exceptions=True)
        await db.close()
