"""Concurrent pushes share one transaction (group commit), each answered as if alone.

Commits are counted in the WAL file itself: every transaction ends with a
commit frame (a frame header whose "database size after commit" is set).
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from protocol.wire import Hello, PushItem, PushRequest, PushResponse
from server.store import CentralStore
from simulation import actions
from sync import BadUpdate, ReplicaStore, SyncServer
from sync.documents import apply_command
from tests.core_helpers import COURIER, OFFICE, actor, lookup, seeded_central

WAL_HEADER, FRAME_HEADER = 32, 24


def commit_frames(db: Path) -> int:
    """The commit frames in ``db``'s WAL of the current generation (its salts)."""
    wal = Path(f"{db}-wal").read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    commits = 0
    for at in range(WAL_HEADER, len(wal) - FRAME_HEADER, FRAME_HEADER + page_size):
        header = wal[at : at + FRAME_HEADER]
        if header[8:16] != salts:
            break
        commits += header[4:8] != b"\0\0\0\0"
    return commits


async def courier_updates(store: ReplicaStore, ids: list[str]) -> list[PushItem]:
    """One failed-attempt update per shipment, as the courier's handheld makes it."""
    stored = await store.load(ids)
    courier = actor(COURIER)
    items = []
    for doc_id in ids:
        [(_, command)] = actions.courier_fail(courier, doc_id, "not_home")
        items.append(
            PushItem(doc_id, "shipment", apply_command(stored[doc_id].state, command, 9)[1])
        )
    return items


async def test_concurrent_pushes_share_one_commit(tmp_path: Path) -> None:
    central, ids = await seeded_central(tmp_path / "c.db", shipments=8)
    server = SyncServer(central, lookup)
    items = await courier_updates(central, ids)
    before, head = commit_frames(tmp_path / "c.db"), await central.head()
    answers = await asyncio.gather(
        *(server.push(COURIER, PushRequest(Hello(COURIER.id), [item])) for item in items)
    )
    assert all(a.results[0].accepted for a in answers)
    assert {a.cursor for a in answers} == {head + len(items)}
    assert commit_frames(tmp_path / "c.db") - before == 1
    await central.close()


async def test_a_group_judges_each_push_after_the_ones_before_it(tmp_path: Path) -> None:
    central, ids = await seeded_central(tmp_path / "c.db", shipments=2)
    server = SyncServer(central, lookup)
    first, other = await courier_updates(central, ids)
    garbage = PushItem(ids[1], "shipment", b"\x01\x02garbage")
    head = await central.head()
    pushes = [[first], [garbage], [first, other]]  # the third re-sends the first
    answers = await asyncio.gather(
        *(server.push(COURIER, PushRequest(Hello(COURIER.id), items)) for items in pushes)
    )
    assert [[r.accepted for r in a.results] for a in answers] == [[True], [False], [True, True]]
    assert answers[1].results[0].code == "bad_update"
    assert await central.head() == head + 2  # the re-sent update is not logged twice
    await central.close()


async def test_a_push_that_fails_fails_alone(tmp_path: Path) -> None:
    central, ids = await seeded_central(tmp_path / "c.db", shipments=2)
    server = SyncServer(central, lookup)
    good, broken = await courier_updates(central, ids)
    async with central.transaction() as db:  # a stored state that no longer decodes
        await db.execute("UPDATE documents SET state = x'0102' WHERE doc_id = ?", (ids[1],))
    answers = await asyncio.gather(
        *(server.push(COURIER, PushRequest(Hello(COURIER.id), [i])) for i in (good, broken)),
        return_exceptions=True,
    )
    assert isinstance(answers[0], PushResponse) and answers[0].results[0].accepted
    assert isinstance(answers[1], BadUpdate)
    await central.close()


async def test_a_tracking_number_taken_earlier_in_the_group_is_refused(tmp_path: Path) -> None:
    """Two concurrent pushes creating shipments with one number: the first takes it; the
    second, validated in the same group before the first is committed, is refused."""
    central, _ = await seeded_central(tmp_path / "c.db", 1, CentralStore)
    server = SyncServer(central, lookup, knowledge=central)
    office = actor(OFFICE, seed=7)
    items = []
    for n in (11, 12):  # the same serial: the same tracking number
        doc_id, command = actions.create_shipment(office, 500, "D1", "C1", 100, "2026-11-23")
        items.append(PushItem(doc_id, "shipment", apply_command(None, command, n)[1]))
    answers = await asyncio.gather(
        *(server.push(OFFICE, PushRequest(Hello(OFFICE.id), [item])) for item in items)
    )
    outcomes = [(a.results[0].accepted, a.results[0].code) for a in answers]
    assert outcomes == [(True, "ok"), (False, "tracking_number_taken")]
    held = await central.query(
        "SELECT count(*) FROM p_shipments WHERE doc_id IN (?, ?)",
        (items[0].doc_id, items[1].doc_id),
    )
    assert held == [(1,)]
    await central.close()
