"""Anti-entropy over the wire: central restored from an older copy of its file gets
back, from a handheld, the updates it had acknowledged after that copy was made.

A real central process on 127.0.0.1 is stopped, its file copied, started again;
the handheld delivers a parcel and books the cash (both acknowledged, the
outbox emptied); central is stopped and its older copy put back. After one
sync round of the handheld central holds the delivery and the cash book again,
and a check when nothing differs is one small request.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from pycrdt import Array, Doc

from protocol.commands import DocCommand
from protocol.events import CashCollected, CollectedPayload
from protocol.ids import courier_book_id, new_id
from protocol.info import CashBookInfo
from sync.anti_entropy import BUCKETS, bucket_digests, scope_digest
from sync.documents import load, read_content
from sync.ingest import commit_commands
from tests.server_helpers import clock, delivery_events, node, routed, seed

if TYPE_CHECKING:
    from tests.server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

DAY = "2026-12-01"
COD = 1000  # the first seeded shipment's


def _restart(central: Central, copy_to: Path | None = None, restore: Path | None = None) -> Central:
    """Stop central; at rest, copy its file to ``copy_to`` or put ``restore`` back as
    its file (without the newer write-ahead log); start it again on its port."""
    from tests.server_fixtures import start_central, stop_central  # a plugin: import late

    stop_central(central)
    sides = [Path(f"{central.db_path}{side}") for side in ("-wal", "-shm")]
    if copy_to is not None:
        shutil.copyfile(central.db_path, copy_to)
        for side, suffix in zip(sides, ("-wal", "-shm"), strict=True):
            if side.exists():
                shutil.copyfile(side, f"{copy_to}{suffix}")
    if restore is not None:
        for side in sides:
            side.unlink(missing_ok=True)
        shutil.copyfile(restore, central.db_path)
        for side, suffix in zip(sides, ("-wal", "-shm"), strict=True):
            if Path(f"{restore}{suffix}").exists():
                shutil.copyfile(f"{restore}{suffix}", side)
    port = int(central.url.rsplit(":", 1)[1])
    return start_central(central.db_path, port=port)


def _book_entry(device_id: str, names: Names, shipment_id: str) -> DocCommand:
    courier = names.courier
    entry = CashCollected(
        id=new_id(),
        hlc=clock(device_id).now().encode(),
        device=device_id,
        actor=courier,
        payload=CollectedPayload(COD, "EUR", shipment_id),
    )
    info = CashBookInfo("courier", courier, DAY, "EUR", names.depot, courier)
    return DocCommand.build("collect", "cashbook", [entry], msgspec.to_builtins(info))


async def _central_events(
    central: Central, path: Path, device: tuple[str, str], doc_ids: list[str]
) -> dict[str, list[Any]]:
    """The events of ``doc_ids`` central holds, as a fresh replica of ``device`` pulls them."""
    async with node(central, path, *device) as fresh:
        await fresh.sync()
        held = await fresh.store.load(doc_ids)
    return {d: read_content(load(held[d].state)).events for d in doc_ids if d in held}


def _vector(client_id: int, items: int) -> bytes:
    doc: Doc[Any] = Doc(client_id=client_id)
    events: Array[Any] = doc.get("events", type=Array)
    for n in range(items):
        events.append(n)
    return doc.get_state()


def test_digests_depend_on_the_vectors_not_their_order() -> None:
    a, b = _vector(7, 2), _vector(9, 1)
    digests = bucket_digests({"doc-a": a, "doc-b": b})
    assert len(digests) == BUCKETS
    assert digests == bucket_digests({"doc-b": b, "doc-a": a})
    moved = bucket_digests({"doc-a": _vector(7, 3), "doc-b": b})
    assert scope_digest(moved) != scope_digest(digests)
    assert sum(x != y for x, y in zip(moved, digests, strict=True)) == 1  # one bucket moved


async def test_a_restored_central_gets_back_what_it_acknowledged(
    tmp_path: Path, names: Names
) -> None:
    from tests.server_fixtures import start_central, stop_central  # a plugin: import late

    central = start_central(tmp_path / "central.db")
    try:
        shipment = (await seed(central, names, 1))[0]
        await routed(central, names, tmp_path, [shipment])
        hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
        book = courier_book_id(names.courier, DAY)
        docs = [shipment, book]
        async with node(central, tmp_path / "hh.db", hh_id, token) as handheld:
            await handheld.sync()
            backup = tmp_path / "backup.db"
            central = _restart(central, copy_to=backup)
            events = delivery_events(hh_id, names.courier, COD)
            deliver = DocCommand.build("deliver", "shipment", events)
            await commit_commands(
                handheld.store,
                [(shipment, deliver), (book, _book_entry(hh_id, names, shipment))],
                device_id=hh_id,
            )
            assert (await handheld.sync()).rejected == 0
            assert await handheld.store.outbox_pending(10) == []  # acknowledged, dropped
            held = await handheld.store.load(docs)
            mine = {d: read_content(load(held[d].state)).events for d in docs}
            assert await _central_events(central, tmp_path / "a.db", (hh_id, token), docs) == mine

            central = _restart(central, restore=backup)
            lost = await _central_events(central, tmp_path / "b.db", (hh_id, token), docs)
            assert book not in lost and len(lost[shipment]) < len(mine[shipment])
            report = await handheld.sync()
            assert report.restored and report.repair is not None
            assert (report.repair.sent, report.repair.refused) == (2, 0)
            again = await handheld.repair()
            assert (again.requests, again.sent) == (1, 0)  # nothing differs: one digest
        back = await _central_events(central, tmp_path / "c.db", (hh_id, token), docs)
        assert back == mine
    finally:
        stop_central(central)
