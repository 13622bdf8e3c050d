"""Validated ingest keeps documents loaded between pushes and appends updates beside
a stored state: that changes speed, never answers.

The property: a ``SyncServer`` whose loaded-document cache is tiny (so entries
are reused, evicted and invalidated) and that appends every push to a
document's tail (folding it in now and then) answers every item of any
sequence of pushes exactly as one that loads every document afresh from the
store and stores it whole, and both end with the same documents and
projection rows. The pushes mix valid
courier and office writes with every structural violation, re-sends, updates
with a gap, nested maps (as the JS Yjs client writes events) and changes made
to the store behind the server's back.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, merge_updates

from protocol.permissions import Device
from protocol.wire import DocUpdate, Hello, PushItem, PushRequest
from simulation import actions
from simulation.digest import projection_rows, state_vectors
from sync import ReplicaStore, SyncServer
from sync._doc_cache import DocCache, LoadedDoc
from sync.documents import apply_command, load, read_content
from sync.ingest import merge_incoming
from tests.core_helpers import COURIER, DAY, OFFICE, actor, lookup

OPS = (
    "attempt",
    "nested_event",
    "bad_event",
    "duplicate_event",
    "edit_event",
    "delete_event",
    "edit_cod",
    "reassign",
    "unknown_root",
    "garbage",
    "gap",
    "resend",
    "behind_the_back",
)
pushes = st.lists(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(OPS), st.sampled_from([COURIER, OFFICE])),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=6,
)


class Writer:
    """Builds each push item's update on the reference server's current state."""

    def __init__(self, docs: list[str]):
        self.docs = docs
        self.serial = 0
        self.sent: list[tuple[str, bytes]] = []

    def _id(self) -> str:
        self.serial += 1
        return str(uuid.UUID(int=self.serial))

    def event(self, device: Device) -> dict[str, Any]:
        return {
            "id": self._id(),
            "type": "attempt_failed",
            "hlc": f"{1_790_000_000_000 + self.serial}.000000.{device.id}",
            "device": device.id,
            "actor": device.courier_id or device.id,
            "payload": {"reason": "not_home"},
        }

    def update(self, doc: Doc[Any], op: str, device: Device) -> bytes:
        """Apply ``op`` to the writer's copy of the document; the update it made."""
        if op == "garbage":
            return b"\x01\x07not-yjs"
        before = doc.get_state()
        events: Array[Any] = doc.get("events", type=Array)
        info: Map[Any] = doc.get("info", type=Map)
        first = dict(events[0]) if len(events) else self.event(device)
        if not len(events) and op in ("edit_event", "delete_event"):
            op = "attempt"  # an earlier change behind the server's back deleted them all
        with doc.transaction():
            match op:
                case "attempt" | "gap" | "behind_the_back":
                    events.append(self.event(device))
                case "nested_event":
                    events.append(Map(self.event(device)))
                case "bad_event":
                    events.append({"id": self._id(), "type": "teleported"})
                case "duplicate_event":
                    events.append(first)
                case "edit_event":
                    del events[0]
                    events.insert(0, first | {"actor": "someone-else"})
                case "delete_event":
                    del events[0]
                case "edit_cod":
                    info["cod_amount"] = 1
                case "reassign":
                    info["courier_id"] = "C2"
                case "unknown_root":
                    doc.get("extra", type=Map)["x"] = 1
        update = doc.get_update(before)
        if op == "gap":  # a second update on top of the first, which is never sent
            before = doc.get_state()
            events.append(self.event(device))
            update = doc.get_update(before)
        return update


async def _push(server: SyncServer, device: Device, items: list[PushItem]) -> list[Any]:
    answer = await server.push(device, PushRequest(Hello(device.id), items))
    return [(r.doc_id, r.accepted, r.code) for r in answer.results]


async def _behind_the_back(stores: Sequence[ReplicaStore], doc_id: str, update: bytes) -> None:
    """A trusted write straight into both stores (as an edge merges from upstream)."""
    for store in stores:
        stored = await store.load([doc_id])
        await store.write(merge_incoming(stored, [DocUpdate(doc_id, "shipment", update)], "x"))


async def _batch(
    servers: tuple[SyncServer, SyncServer], writer: Writer, batch: list[tuple[int, str, Device]]
) -> None:
    reference, cached = servers
    stored = await reference.store.load(writer.docs)
    copies: dict[str, Doc[Any]] = {}
    by_sender: dict[str, tuple[Device, list[PushItem]]] = {}
    for doc_i, op, device in batch:
        doc_id = writer.docs[doc_i]
        if op == "resend" and writer.sent:
            doc_id, update = writer.sent[(doc_i * 7) % len(writer.sent)]
        else:
            if doc_id not in copies:
                copies[doc_id] = load(stored[doc_id].state, client_id=10_000 + writer.serial)
                writer.serial += 1
            update = writer.update(copies[doc_id], op, device)
        if op == "behind_the_back":
            await _behind_the_back([reference.store, cached.store], doc_id, update)
            continue
        writer.sent.append((doc_id, update))
        by_sender.setdefault(device.id, (device, []))[1].append(
            PushItem(doc_id, "shipment", update)
        )
    for device, items in by_sender.values():
        assert await _push(reference, device, items) == await _push(cached, device, items)


async def _run(schedule: list[list[tuple[int, str, Device]]]) -> None:
    creations = _creations(3)
    with tempfile.TemporaryDirectory() as tmp:
        stores = [await ReplicaStore.open(Path(tmp) / f"{n}.db") for n in range(2)]
        try:
            servers = (
                SyncServer(stores[0], lookup, cache_size=0, tail_from=2**62),
                SyncServer(stores[1], lookup, cache_size=2, tail_from=0),
            )
            items = [PushItem(d, "shipment", apply_command(None, c, 1)[1]) for d, c in creations]
            for server in servers:
                assert all(ok for _, ok, _ in await _push(server, OFFICE, items))
            writer = Writer([d for d, _ in creations])
            for batch in schedule:
                await _batch(servers, writer, batch)
            assert await state_vectors(stores[0]) == await state_vectors(stores[1])
            assert await projection_rows(stores[0]) == await projection_rows(stores[1])
            whole = [await store.load(writer.docs) for store in stores]
            for doc_id in writer.docs:
                contents = [read_content(load(w[doc_id].state)) for w in whole]
                assert contents[0].info == contents[1].info
                assert contents[0].events == contents[1].events
        finally:
            for store in stores:
                await store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=pushes)
def test_cached_documents_answer_exactly_as_fresh_loads(schedule):
    asyncio.run(_run(schedule))


def test_the_cache_is_bounded_and_matches_the_stored_version():
    states = [apply_command(None, c, 1)[0] for _, c in _creations(5)]
    versions = [(n + 1, bytes([n])) for n in range(5)]
    cache = DocCache(capacity=3)
    loaded = [LoadedDoc.of(s) for s in states]
    for n, (version, doc) in enumerate(zip(versions, loaded, strict=True)):
        cache.keep(f"doc-{n}", version, doc)
    assert len(cache) == 3
    assert cache.take("doc-4", versions[4]) is loaded[4]
    assert len(cache) == 2, "a taken document leaves the cache until kept again"
    assert cache.take("doc-0", versions[0]) is None, "the oldest was evicted"
    assert cache.take("doc-3", versions[4]) is None, "another version never matches"
    assert cache.take("doc-3", versions[3]) is None, "a mismatch dropped it"
    assert len(cache) == 1, "only doc-2 is left"


def _creations(count: int) -> list[tuple[str, Any]]:
    office = actor(OFFICE)
    return [actions.create_shipment(office, n, "D1", "C1", 1250, DAY) for n in range(count)]


async def _created(store: ReplicaStore) -> tuple[SyncServer, str, bytes, bytes]:
    """A server on ``store`` holding one shipment: the server, its id, state and creation."""
    [(doc_id, create)] = _creations(1)
    server = SyncServer(store, lookup)
    state, update = apply_command(None, create, 1)
    assert await _push(server, OFFICE, [PushItem(doc_id, "shipment", update)]) == [
        (doc_id, True, "ok")
    ]
    return server, doc_id, state, update


async def test_an_update_of_deletions_only_is_judged_not_waved_through(tmp_path):
    """No new items is a re-send only if nothing changes: deleting an event is refused."""
    store = await ReplicaStore.open(tmp_path / "c.db")
    try:
        server, doc_id, state, update = await _created(store)
        doc = load(state)
        before = doc.get_state()
        del doc.get("events", type=Array)[0]
        deletion = doc.get_update(before)
        head = await store.head()
        answers = await _push(
            server,
            OFFICE,
            [PushItem(doc_id, "shipment", update), PushItem(doc_id, "shipment", deletion)],
        )
        assert answers == [(doc_id, True, "ok"), (doc_id, False, "event_deleted")]
        assert await store.head() == head, "neither the re-send nor the deletion was logged"
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("duplicate_event", "duplicate_event"),
        ("repeat_new", "duplicate_event"),
        ("plain_value", "invalid_event"),
        ("edit_event", "event_edited"),
        ("delete_event", "event_deleted"),
    ],
)
async def test_each_change_to_the_event_list_is_refused_with_its_code(tmp_path, change, code):
    """Appends are judged on their own, anything else against the whole list."""
    store = await ReplicaStore.open(tmp_path / "c.db")
    try:
        server, doc_id, state, _ = await _created(store)
        writer = Writer([doc_id])
        doc = load(state, client_id=77)
        if change in OPS:  # the Writer's own: an old event appended again, edited, deleted
            bad = writer.update(doc, change, COURIER)
        else:
            events: Array[Any] = doc.get("events", type=Array)
            fresh = writer.event(COURIER)
            appended = {
                "repeat_new": [fresh, dict(fresh)],
                "plain_value": [fresh, "delivered"],
            }[change]
            before = doc.get_state()
            events.extend(appended)
            bad = doc.get_update(before)
        head = await store.head()
        assert await _push(server, COURIER, [PushItem(doc_id, "shipment", bad)]) == [
            (doc_id, False, code)
        ]
        assert await store.head() == head
    finally:
        await store.close()


class RebasingStore(ReplicaStore):
    """Merges ``extra`` into the next write, as a store rebasing on a concurrent change."""

    extra: bytes | None = None

    def write_steps(self, docs: Sequence[Any]) -> list[Any]:
        for d in docs:
            if self.extra is not None:
                merged = load(merge_updates(d.state, self.extra))
                d.state, d.state_vector = merged.get_update(), merged.get_state()
                self.extra = None
        return []


def _set_phone(state: bytes, phone: str, client_id: int) -> bytes:
    doc = load(state, client_id=client_id)
    before = doc.get_state()
    doc.get("info", type=Map)["phone"] = phone
    return doc.get_update(before)


async def test_a_write_rebased_by_the_store_is_not_cached_as_computed(tmp_path):
    [(doc_id, create)] = _creations(1)
    store = await RebasingStore.open(tmp_path / "c.db")
    try:
        server = SyncServer(store, lookup)
        item = PushItem(doc_id, "shipment", apply_command(None, create, 1)[1])
        assert (await _push(server, OFFICE, [item]))[0][1]
        stored = (await store.load([doc_id]))[doc_id].state
        store.extra = _set_phone(stored, "+33 1", 71)  # lands beside the next write
        event = Writer([doc_id]).update(load(stored, client_id=72), "attempt", COURIER)
        assert (await _push(server, COURIER, [PushItem(doc_id, "shipment", event)]))[0][1]
        stored = (await store.load([doc_id]))[doc_id].state
        edit = _set_phone(stored, "+33 2", 73)  # overwrites the rebased-in phone
        answer = await _push(server, OFFICE, [PushItem(doc_id, "shipment", edit)])
        assert answer == [(doc_id, True, "ok")]
    finally:
        await store.close()


async def test_a_new_document_refused_midway_keeps_what_the_push_accepted(tmp_path):
    """Created, then a refused change, then an event, all in one push: the refusal
    reloads the new document from the push's accepted updates, not from nothing."""
    [(doc_id, create)] = _creations(1)
    store = await ReplicaStore.open(tmp_path / "c.db")
    try:
        server = SyncServer(store, lookup)
        created = apply_command(None, create, 1)[1]
        doc = load(created, client_id=80)
        writer = Writer([doc_id])
        edit = writer.update(doc, "edit_event", OFFICE)
        doc = load(created, client_id=81)
        attempt = writer.update(doc, "attempt", OFFICE)
        items = [PushItem(doc_id, "shipment", u) for u in (created, edit, attempt)]
        answers = await _push(server, OFFICE, items)
        assert [ok for _, ok, _ in answers] == [True, False, True]
        content = read_content(load((await store.load([doc_id]))[doc_id].state))
        assert len(content.events) == 2 and content.info["tracking_number"]
    finally:
        await store.close()
