"""The edge sync loop against an in-process central: faults, outages, quarantine."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import pytest

from edge import commands as c
from edge.context import Identity, enroll
from edge.errors import NodeStateError, NotEnrolled
from edge.node import EdgeNode
from protocol.commands import DocCommand
from protocol.ids import make_tracking_number, named_id
from protocol.permissions import Device
from sync import Channel, commit_commands
from tests._edge_world import (
    DAY,
    DEPOT_DEVICE,
    Central,
    Wall,
    enrolled,
    fast_backoff,
    handheld,
    idle,
    node,
    seed,
    shipment_command,
)

TN = make_tracking_number
FAST = {"interval": 0.05}


@asynccontextmanager
async def synced(
    path: Path, device: Device, channel: Channel, **options
) -> AsyncIterator[EdgeNode]:
    """``device``'s node at ``path``: enrolled, started and idle after its first sync."""
    await enrolled(path, device)
    async with EdgeNode(path, channel=channel, wall=Wall(), **FAST, **options) as started:
        await idle(started)
        yield started


async def events(store, doc_type: str = "shipment") -> list[tuple]:
    return await store.query(
        "SELECT doc_id, event_id, type FROM p_events WHERE doc_type = ? ORDER BY 1, 2", (doc_type,)
    )


@pytest.fixture
async def central(tmp_path):
    hh1, hh2 = handheld("C1"), handheld("C2")
    central = await Central.open(tmp_path / "central.db", [hh1, hh2])
    await seed(
        central.store,
        [
            shipment_command(i, courier="C1" if i % 2 else "C2", cod=1000 * (i % 3))
            for i in range(1, 21)
        ],
    )
    yield central
    await central.store.close()


async def test_loop_pulls_route_and_pushes_commands(central, tmp_path):
    device = handheld("C1")
    async with synced(tmp_path / "hh.db", device, central.channel(device)) as hh:
        route = await c.load_route(hh.ctx, DAY)
        assert len(route) == 10
        await c.deliver(hh.ctx, TN(3), recipient_name="Ann")
        await idle(hh)
        held = set(await hh.ctx.store.document_ids())
        upstream = [e for e in await events(central.store) if e[0] in held]
        assert upstream == await events(hh.ctx.store)
        assert ("delivered",) in {e[2:] for e in upstream}
        status = await hh.status()
        assert (status.waiting, status.quarantined, status.cursor_lag) == (0, [], 0)
        assert status.last_sync_ms is not None and status.last_error == ""


def wal_size(db: Path) -> int:
    return Path(f"{db}-wal").stat().st_size


async def test_idle_rounds_write_nothing(central, tmp_path):
    """Nothing to push or pull: rounds go on, and the replica file is not written
    (no commit by the node's connections, the WAL does not grow)."""
    device = handheld("C1")
    path = tmp_path / "hh.db"
    async with synced(path, device, central.channel(device)) as hh:
        await hh.loop.next_round()  # the round after the first idle one
        with closing(sqlite3.connect(path)) as watcher:
            version = watcher.execute("PRAGMA data_version").fetchone()[0]
            wal = wal_size(path)
            rounds = hh.loop.rounds
            for _ in range(3):
                await hh.loop.next_round()
            assert hh.loop.rounds >= rounds + 3 and hh.loop.last_error == ""
            assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
            assert wal_size(path) == wal
        status = await hh.status()
        assert status.last_sync_ms is not None and status.cursor_lag == 0
        # a command still commits, and the next round pushes it
        await c.deliver(hh.ctx, TN(3), recipient_name="Ann")
        await idle(hh)
        assert (await hh.status()).waiting == 0


async def test_double_start_and_stop_before_start(central, tmp_path):
    device = handheld("C1")
    await enrolled(tmp_path / "hh.db", device)
    node = EdgeNode(tmp_path / "hh.db", channel=central.channel(device), **FAST)
    with pytest.raises(NodeStateError):
        await node.stop()
    await node.start()
    try:
        with pytest.raises(NodeStateError):
            await node.start()
    finally:
        await node.stop()


async def test_not_enrolled(tmp_path):
    with pytest.raises(NotEnrolled):
        await EdgeNode(tmp_path / "new.db", channel=None).start()


async def test_faulty_link_converges_without_loss_or_duplicates(central, tmp_path):
    """Lost requests, lost answers and duplicates: every event arrives exactly once."""
    nodes = []
    for courier in ("C1", "C2"):
        device = handheld(courier)
        await enrolled(tmp_path / f"{courier}.db", device)
        channel = central.channel(device, drop_request=0.3, drop_answer=0.3, duplicate=0.3)
        nodes.append(
            EdgeNode(
                tmp_path / f"{courier}.db",
                channel=channel,
                backoff=fast_backoff(),
                wall=Wall(),
                batch=3,
                **FAST,
            )
        )
    for n in nodes:
        await n.start()
    try:
        for n in nodes:
            await idle(n)
        for n in nodes:
            for stop in await c.load_route(n.ctx, DAY):
                if stop.cod_amount:
                    await c.collect(n.ctx, stop.tracking_number, stop.cod_amount)
                    await c.deliver(n.ctx, stop.tracking_number, recipient_name="R")
                else:
                    await c.fail(n.ctx, stop.tracking_number, "not_home")
            await c.handover(n.ctx)
        for n in nodes:
            await idle(n, 30)
        central_events = await events(central.store)
        assert len(central_events) == len(set(central_events))
        local = sorted([*await events(nodes[0].ctx.store), *await events(nodes[1].ctx.store)])
        assert sorted(central_events) == local
        books = await central.store.query(
            "SELECT owner_id, collected, handed_over, in_hand FROM p_cash_books ORDER BY 1"
        )
        totals = {"C1": 0, "C2": 0}
        for i in range(1, 21):
            totals["C1" if i % 2 else "C2"] += 1000 * (i % 3)
        assert books == [(k, v, v, 0) for k, v in sorted(totals.items())]
    finally:
        for n in nodes:
            await n.stop()


async def test_outage_backs_off_then_catches_up(central, tmp_path):
    device = handheld("C1")
    channel = central.channel(device)
    async with synced(tmp_path / "hh.db", device, channel, backoff=fast_backoff()) as hh:
        channel.online = False
        await c.fail(hh.ctx, TN(1), "not_home")
        await c.fail(hh.ctx, TN(3), "no_access")
        async with asyncio.timeout(5):
            while not hh.loop.last_error:
                await hh.loop.next_round()
        status = await hh.status()
        assert status.waiting == 2 and "ChannelClosed" in status.last_error
        assert status.oldest_unsent_age_s is not None
        assert hh.loop.backoff.failures >= 1
        channel.online = True
        hh.loop.wake()
        await idle(hh)
        assert (await hh.status()).waiting == 0
        rows = await central.store.query(
            "SELECT count(*) FROM p_events WHERE type = 'attempt_failed'"
        )
        assert rows == [(2,)]


async def forge_then_fail(hh: EdgeNode, device, also: list[str]) -> None:
    """A forbidden info edit on shipment 1 (courier may not set info), then attempts."""
    forged = DocCommand("edit", "shipment", info={"cod_amount": 1})
    await commit_commands(
        hh.ctx.store, [(named_id("test-shipment", "1"), forged)], device_id=device.id
    )
    for code in also:
        await c.fail(hh.ctx, code, "not_home")


async def test_rejected_item_is_quarantined_and_the_rest_flows(central, tmp_path):
    device = handheld("C1")
    async with synced(tmp_path / "hh.db", device, central.channel(device)) as hh:
        await forge_then_fail(hh, device, [TN(3), TN(5)])
        await idle(hh)
        status = await hh.status()
        assert [(q.code, q.command) for q in status.quarantined] == [("forbidden_field", "edit")]
        rows = await central.store.query(
            "SELECT tracking_number, status, cod_amount FROM p_shipments "
            "WHERE tracking_number IN (?, ?, ?) ORDER BY 1",
            (TN(1), TN(3), TN(5)),
        )
        assert rows == [
            (TN(1), "created", 1000),
            (TN(3), "attempt_failed", 0),
            (TN(5), "attempt_failed", 2000),
        ]
        local = await hh.ctx.store.query(
            "SELECT cod_amount FROM p_shipments WHERE tracking_number = ?", (TN(1),)
        )
        assert local == [(1000,)]


async def test_item_after_a_rejected_one_in_the_same_batch_is_not_lost(central, tmp_path):
    device = handheld("C1")
    async with synced(tmp_path / "hh.db", device, central.channel(device)) as hh:
        await forge_then_fail(hh, device, [TN(1)])
        await idle(hh)
        rows = await central.store.query(
            "SELECT status FROM p_shipments WHERE tracking_number = ?", (TN(1),)
        )
        assert rows == [("attempt_failed",)]


async def test_reenrolling_for_another_courier_wipes(central, tmp_path):
    ctx = await node(tmp_path / "hh.db", handheld("C1"))
    await central.client(ctx).sync()
    await c.fail(ctx, TN(1), "not_home")
    assert len(await ctx.store.document_ids()) == 10
    wiped = await enroll(ctx.store, Identity("hh-C2-1", "courier", "D1", "C2"))
    assert wiped
    assert await ctx.store.document_ids() == []
    assert (await ctx.store.outbox_stats()).waiting == 0
    same = await enroll(ctx.store, Identity("hh-C2-1", "courier", "D1", "C2", cash_limit=5))
    assert not same
    await ctx.close()


async def test_depot_node_syncs_its_depot(central, tmp_path):
    channel = central.channel(DEPOT_DEVICE)
    async with synced(tmp_path / "depot.db", DEPOT_DEVICE, channel) as depot:
        assert len(await depot.ctx.store.document_ids()) == 20
        await c.receive(depot.ctx, TN(2))
        await idle(depot)
        rows = await central.store.query(
            "SELECT status FROM p_shipments WHERE tracking_number = ?", (TN(2),)
        )
        assert rows == [("at_depot",)]
