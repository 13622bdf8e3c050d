"""One contract for every store implementation (``tests.pg.STORE_KINDS``: SQLite, and
PostgreSQL when ``PARCELSYNC_TEST_PG`` names a database).

Each test runs over every backend through the one ``store`` fixture, and uses
only the typed parts of :mod:`sync.ports`: what the sync core, the office and
the edge rely on, whatever database is behind it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import DocReset, Scope
from simulation import actions
from simulation.digest import projection_rows
from sync.documents import load, read_content
from sync.ingest import commit_commands
from sync.ports import SyncStore
from sync.store import ReplicaStore
from tests.core_helpers import COURIER, DAY, OFFICE, actor
from tests.pg import STORE_KINDS, open_test_store

COURIER_SCOPE = [Scope("courier", "C1")]


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SyncStore]:
    """A fresh, empty store of each backend."""
    opened = await open_test_store(request.param, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


async def _shipments(
    store: SyncStore, count: int, courier: str = "C1", *, queue: bool = False, first: int = 0
) -> list[str]:
    """``count`` shipments created by head office on ``courier``'s route at depot D1."""
    office = actor(OFFICE, seed=first + 1)
    made = [
        actions.create_shipment(office, n, "D1", courier, 1250, DAY)
        for n in range(first, first + count)
    ]
    await commit_commands(store, made, device_id=OFFICE.id, queue=queue)
    return [doc_id for doc_id, _ in made]


async def test_meta_values_are_kept_replaced_and_forgotten(store: SyncStore) -> None:
    assert await store.meta("k") is None
    assert await store.meta("k", "fallback") == "fallback"
    await store.set_meta("k", "one")
    await store.set_meta("k", "two", scrub=True)
    assert await store.meta("k") == "two"
    await store.forget_meta("k")
    assert await store.meta("k") is None


async def test_identity_is_stable_until_rotated(store: SyncStore) -> None:
    replica = await store.replica_id()
    assert replica and await store.replica_id() == replica
    client = await store.client_id()
    assert await store.client_id() == client
    rotated = await store.rotate_client_id()
    assert await store.client_id() == rotated


async def test_documents_are_stored_with_their_scope(store: SyncStore) -> None:
    mine = await _shipments(store, 3)
    other = await _shipments(store, 1, "C2", first=3)
    assert await store.document_ids() == sorted(mine + other)
    assert await store.document_count() == 4
    loaded = await store.load([mine[0], "no-such-doc"])
    assert list(loaded) == [mine[0]]
    assert loaded[mine[0]].doc_type == "shipment"
    assert loaded[mine[0]].scope == ("D1", "C1", "merchant-1")
    assert set(await store.state_vectors()) == set(mine + other)
    assert await store.scope_doc_ids(COURIER_SCOPE) == set(mine)
    assert await store.scope_doc_ids([Scope("depot", "D1")]) == set(mine + other)


async def test_the_log_pages_in_order_without_gaps(store: SyncStore) -> None:
    ids = await _shipments(store, 5)
    await _shipments(store, 2, "C2", first=5)
    head = await store.head()
    assert head == await store.log_rows_up_to(head) == 7
    seen, cursor = [], 0
    while True:
        page, page_head = await store.read_log(cursor, COURIER_SCOPE, 2)
        assert page_head == head
        if not page:
            break
        assert [r.seq for r in page] == sorted(r.seq for r in page)
        assert all(r.seq > cursor for r in page)
        seen += page
        cursor = page[-1].seq
    assert [r.doc_id for r in seen] == ids
    assert {r.kind for r in seen} == {"update"}
    assert all(r.update for r in seen)


async def test_changes_since_a_sequence(store: SyncStore) -> None:
    first = await _shipments(store, 2)
    mark = await store.head()
    later = await _shipments(store, 2, "C2", first=2)
    head = await store.head()
    assert sorted(await store.changed_since(mark, head) or []) == sorted(later)
    assert sorted(await store.changed_since(0, head) or []) == sorted(first + later)
    assert await store.changed_since(head + 1, head) is None
    assert await store.scopes_logged(mark, head) == [("D1", "C2", "merchant-1")]
    updates = await store.log_updates([later[0], first[0]], mark, head)
    assert [(doc_id, keys) for doc_id, _, keys in updates] == [
        (later[0], ("D1", "C2", "merchant-1"))
    ]


async def test_truncating_the_log_raises_its_floor(store: SyncStore) -> None:
    ids = await _shipments(store, 4)
    assert await store.log_floor() == 0
    assert await store.truncate_log(2) == 2
    assert await store.log_floor() == 2
    assert await store.log_rows_up_to(await store.head()) == 2
    assert await store.changed_since(1, await store.head()) is None
    assert sorted(await store.changed_since(2, await store.head()) or []) == sorted(ids[2:])
    docs, head = await store.snapshot_page(COURIER_SCOPE, "", 3)
    assert head == 4 and [d.doc_id for d in docs] == sorted(ids)[:3]
    rest, _ = await store.snapshot_page(COURIER_SCOPE, docs[-1].doc_id, 3)
    assert [d.doc_id for d in rest] == sorted(ids)[3:]


async def test_outbox_settles_acknowledged_and_quarantines_refused(store: SyncStore) -> None:
    ids = await _shipments(store, 3, queue=True)
    pending = await store.outbox_pending(10)
    assert [e.doc_id for e in pending] == ids
    stats = await store.outbox_stats()
    assert (stats.waiting, stats.quarantined) == (3, 0)
    assert stats.bytes == sum(len(e.update) for e in pending) > 0
    assert await store.docs_with_outbox() == set(ids)
    await store.settle_outbox([pending[0].id], [(pending[1].id, "forbidden", "not yours")])
    assert [e.doc_id for e in await store.outbox_pending(10)] == [ids[2]]
    quarantined = await store.quarantined()
    assert [(q.doc_id, q.code, q.message) for q in quarantined] == [
        (ids[1], "forbidden", "not yours")
    ]
    assert await store.resync_wanted() == [ids[1]]
    await store.clear_resync([ids[1]])
    assert await store.resync_wanted() == []


async def test_resets_are_taken_once_and_acknowledged(store: SyncStore) -> None:
    ids = await _shipments(store, 2, queue=True)
    assert await store.reset_ack("up") == 0
    await store.take_resets("up", [DocReset(7, ids[0], "shipment", "forbidden", "no", b"")])
    assert await store.reset_ack("up") == 7
    assert await store.resync_wanted() == [ids[0]]
    assert [e.doc_id for e in await store.held_entries(ids[0])] == [ids[0]]
    assert [e.doc_id for e in await store.outbox_pending(10)] == [ids[1]]
    assert [q.code for q in await store.quarantined()] == ["forbidden"]
    await store.drop_held(ids[0], None)
    assert await store.held_entries(ids[0]) == []
    await store.forget_reset_ack("up")
    assert await store.reset_ack("up") == 0


async def test_cursor_is_written_with_the_batch(store: SyncStore) -> None:
    assert await store.cursor("central") == (0, None)
    await store.write([], cursor=("central", 42, "upstream-replica"))
    cursor, synced, replica = await store.cursor_of("central")
    assert (cursor, replica) == (42, "upstream-replica") and synced is not None
    assert (await store.cursor("central"))[0] == 42


async def test_devices_enrol_authenticate_and_revoke(store: SyncStore) -> None:
    token = await store.enroll(COURIER, "Ana's handheld")
    assert await store.authenticate(token) == COURIER
    assert await store.authenticate(token + "x") is None
    assert await store.device(COURIER.id) == COURIER
    assert await store.courier_depots(["C1", "C9"]) == {"C1": frozenset({"D1"})}
    assert await store.courier_home_depot("C1") == "D1"
    listed = await store.devices()
    assert [(d, label, revoked) for d, label, _, revoked in listed] == [
        (COURIER, "Ana's handheld", None)
    ]
    assert await store.revoke(COURIER.id) is True
    assert await store.revoke(COURIER.id) is False
    assert await store.authenticate(token) is None
    assert await store.device(COURIER.id) is None


async def test_health_reports_are_kept_per_device(store: SyncStore) -> None:
    depot = Device("dep1", Role.DEPOT, depot_id="D1")
    for device in (COURIER, depot):
        await store.enroll(device)
    report = msgspec.json.encode({"seen_ms": 5}).decode()
    await store.keep_health([(COURIER.id, report)])
    found = await store.health_of([COURIER.id, depot.id, "nobody"])
    assert sorted((r[0], r[1], r[2], r[4]) for r in found) == [
        ("dep1", "depot", "D1", None),
        ("hh1", "courier", "D1", report),
    ]
    overview = await store.device_overview()
    assert [(r[0], r[5], r[6]) for r in overview] == [("dep1", None, 0), ("hh1", report, 0)]
    waiting, oldest, held, synced, heard = await store.own_health_counts("central")
    assert (waiting, oldest, held, synced, heard) == (0, None, 0, None, [])


async def test_projections_follow_the_documents(store: SyncStore) -> None:
    ids = await _shipments(store, 3)
    rows = await store.projection_rows("p_shipments")
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert len(await store.projection_rows("p_shipments", [Scope("courier", "C9")])) == 0
    assert (await store.document_depot(ids[0]), await store.document_depot("nope")) == ("D1", None)
    (created,) = await store.events_of(ids[0], "created")
    assert created[1].endswith(".office") and await store.events_of(ids[0], "delivered") == []
    stops = await store.manifest_rows("D1", "C1", DAY)
    assert sorted(doc_id for doc_id, _, _ in stops) == sorted(ids)
    written = await projection_rows(store)
    assert await store.rebuild_projections() == 3
    assert await projection_rows(store) == written
    with pytest.raises(ValueError, match="no projection table"):
        await store.projection_rows("documents")


async def test_forget_all_leaves_an_empty_replica(store: SyncStore) -> None:
    await _shipments(store, 2, queue=True)
    await store.forget_all()
    assert await store.document_ids() == []
    assert (await store.outbox_stats()).waiting == 0
    assert await store.head() == 0
    assert await store.projection_rows("p_shipments") == []


async def test_metas_are_read_and_written_together(store: SyncStore) -> None:
    await store.set_metas({"a": "1", "b": "2"})
    assert await store.metas(["a", "b", "unset"]) == {"a": "1", "b": "2"}


async def test_heads_carry_the_state_unless_the_copy_is_current(store: SyncStore) -> None:
    (doc_id,) = await _shipments(store, 1)
    head = (await store.load_heads([doc_id, "nope"]))[doc_id]
    assert head.state == (await store.load([doc_id]))[doc_id].state
    assert (await store.load_heads([doc_id], {doc_id: head.version}))[doc_id].state is None
    vectors = await store.scope_vectors(COURIER_SCOPE)
    assert list(vectors) == [doc_id] and vectors[doc_id] == head.version[1]


async def test_events_of_several_types_and_documents_by_type(store: SyncStore) -> None:
    (doc_id,) = await _shipments(store, 1)
    courier = actor(COURIER, seed=9)
    await commit_commands(
        store, actions.courier_deliver(courier, doc_id, "C1", "D1", DAY, 0), device_id=COURIER.id
    )
    found = await store.events_of(doc_id, "created", "delivered")
    assert len(found) == 2 and found == sorted(found, key=lambda e: (e[1], e[0]))
    assert await store.scope_doc_ids(COURIER_SCOPE, "shipment") == {doc_id}
    assert await store.scope_doc_ids(COURIER_SCOPE, "return") == set()
    assert await store.returns_of(doc_id) == []


async def test_a_scan_reads_a_document_with_its_tail(store: ReplicaStore) -> None:
    """``states_in`` (the webhook and notification scanners' read) merges the tail in,
    as ``load`` does: a document kept as a state and the updates appended beside it."""
    (doc_id,) = await _shipments(store, 1)
    (before,) = await store.query("SELECT state FROM documents WHERE doc_id = ?", (doc_id,))
    (edit,) = await commit_commands(
        store, actions.office_edit(doc_id, "+31 6 1"), device_id=OFFICE.id, queue=False
    )
    async with store.transaction() as db:  # as a tail-appending write leaves it
        await db.execute("UPDATE documents SET state = ? WHERE doc_id = ?", (before[0], doc_id))
        await db.execute("INSERT INTO doc_tail (doc_id, update_blob) VALUES (?, ?)", (doc_id, edit))
    whole = read_content(load((await store.load([doc_id]))[doc_id].state))
    assert whole.info["recipient_phone"] == "+31 6 1"
    async with store.reading() as db:
        scanned = await store.states_in(db, [doc_id, "nope"])
    got = read_content(load(scanned[doc_id]))
    assert list(scanned) == [doc_id] and (got.info, got.events) == (whole.info, whole.events)
