"""Depot relay over real HTTP on 127.0.0.1: handhelds sync through the depot with
the WAN cut, and central later receives everything attributed to the handhelds."""

from __future__ import annotations

import asyncio

from edge import commands as c
from edge.node import EdgeNode
from protocol.ids import make_tracking_number
from tests._edge_world import (
    DAY,
    DEPOT_DEVICE,
    Central,
    handheld,
    idle,
    relay_depot,
    relay_handheld,
    seed,
    shipment_command,
)

TN = make_tracking_number


async def test_handhelds_sync_through_the_depot_while_the_wan_is_down(tmp_path):
    hh1, hh2 = handheld("C1"), handheld("C2")
    central = await Central.open(tmp_path / "central.db", [hh1, hh2])
    await seed(
        central.store,
        [shipment_command(i, courier="C1" if i % 2 else "C2") for i in range(1, 11)],
    )
    depot, wan = await relay_depot(tmp_path / "depot.db", central, [hh1, hh2])
    nodes: list[EdgeNode] = []
    try:
        await idle(depot)
        for device in (hh1, hh2):
            nodes.append(await relay_handheld(tmp_path / f"{device.id}.db", device, depot))
        for node in nodes:
            await idle(node)
        assert len(await c.load_route(nodes[0].ctx, DAY)) == 5
        wan.online = False  # the depot's WAN is cut
        await c.fail(nodes[0].ctx, TN(1), "not_home")
        await c.deliver(nodes[1].ctx, TN(2), recipient_name="Bo")
        await c.assign(depot.ctx, TN(3), "C2", DAY, 30)  # reassign C1 -> C2
        for node in nodes:
            await idle(node)
        async with asyncio.timeout(10):
            while TN(3) not in [s.tracking_number for s in await c.load_route(nodes[1].ctx, DAY)]:
                await nodes[1].loop.next_round()
            while TN(3) in [s.tracking_number for s in await c.load_route(nodes[0].ctx, DAY)]:
                await nodes[0].loop.next_round()
        # the depot re-sequences TN(1) after hh1's attempt reached it: one document,
        # two writers in the depot's outbox, pushed upstream together
        await c.assign(depot.ctx, TN(1), "C1", DAY, 31)
        assert (await depot.status()).waiting == 4 and (await depot.status()).last_error
        wan.online = True  # back: central gets everything, checked per device
        depot.loop.wake()
        await idle(depot)
        rows = await central.store.query(
            "SELECT tracking_number, status, courier_id FROM p_shipments "
            "WHERE tracking_number IN (?, ?, ?) ORDER BY 1",
            (TN(1), TN(2), TN(3)),
        )
        assert rows == [
            (TN(1), "attempt_failed", "C1"),
            (TN(2), "delivered", "C2"),
            (TN(3), "created", "C2"),
        ]
        origins = await central.store.query(
            "SELECT DISTINCT origin_device FROM update_log WHERE origin_device != '' ORDER BY 1"
        )
        assert {hh1.id, hh2.id, DEPOT_DEVICE.id} <= {r[0] for r in origins}
        writers = await central.store.query(
            "SELECT l.origin_device FROM update_log l JOIN p_shipments s ON s.doc_id = l.doc_id "
            "WHERE s.tracking_number = ? AND l.kind = 'update' ORDER BY l.seq",
            (TN(1),),
        )
        assert [w for (w,) in writers][-2:] == [hh1.id, DEPOT_DEVICE.id], "each update's writer"
        assert (await depot.status()).quarantined == []
    finally:
        for node in nodes:
            await node.stop()
        await depot.stop()
        await central.store.close()
