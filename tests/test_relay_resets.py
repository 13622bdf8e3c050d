"""An update a depot relay accepted but central refused reaches back to its writer.

The depot keeps a notice for the handheld that wrote it and a reset of the
document for every handheld enrolled at it; each gets them with its next pull
answers, rebuilds the document and shows the refusal in its quarantine.
"""

from __future__ import annotations

import asyncio
import random

from edge import commands as c
from edge.node import EdgeNode
from protocol.commands import DocCommand
from protocol.ids import make_tracking_number, named_id
from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import PullRequest, PullResponse
from simulation import actions
from simulation.digest import projection_rows, state_vectors
from sync import InMemoryChannel, ReplicaStore, commit_commands
from tests._edge_world import (
    DAY,
    DEPOT_DEVICE,
    Central,
    handheld,
    idle,
    one_shipment_network,
    relay_depot,
    relay_handheld,
    seed,
    shipment_command,
)
from tests.core_helpers import actor, add_resets

TN = make_tracking_number


async def same_document(doc_id: str, *stores: ReplicaStore) -> None:
    """Every store holds ``doc_id`` with the same state vector and projection rows."""
    vectors = [(await state_vectors(s))[doc_id] for s in stores]
    rows = [await projection_rows(s, [doc_id]) for s in stores]
    assert all(v == vectors[0] for v in vectors), vectors
    assert all(r == rows[0] for r in rows)


async def status_of(store: ReplicaStore, doc_id: str) -> str:
    rows = await store.query("SELECT status FROM p_shipments WHERE doc_id = ?", (doc_id,))
    return str(rows[0][0])


async def test_a_handheld_revoked_at_central_learns_its_delivery_was_refused(tmp_path):
    hh1, hh1b, hh2 = handheld("C1", 1), handheld("C1", 2), handheld("C2", 1)
    central = await Central.open(tmp_path / "central.db", [hh1, hh1b, hh2])
    await seed(
        central.store, [shipment_command(i, courier="C1" if i < 3 else "C2") for i in (1, 3)]
    )
    refused, other = named_id("test-shipment", "1"), named_id("test-shipment", "3")
    depot, wan = await relay_depot(tmp_path / "depot.db", central, [hh1, hh1b, hh2])
    nodes: dict[str, EdgeNode] = {}
    try:
        await idle(depot)
        for device in (hh1, hh1b, hh2):
            nodes[device.id] = await relay_handheld(tmp_path / f"{device.id}.db", device, depot)
            await idle(nodes[device.id])
        wan.online = False  # the depot's WAN is cut
        del central.devices[hh1.id]  # meanwhile hh1 is revoked at central
        await c.deliver(nodes[hh1.id].ctx, TN(1), recipient_name="Ann")
        await c.deliver(nodes[hh2.id].ctx, TN(3), recipient_name="Bo")
        for node in nodes.values():
            await idle(node)
        assert await status_of(nodes[hh1b.id].ctx.store, refused) == "delivered"  # pulled it
        wan.online = True
        depot.loop.wake()
        await idle(depot)
        async with asyncio.timeout(10):
            while await depot.ctx.store.query("SELECT * FROM device_resets"):
                await asyncio.gather(*(n.loop.next_round() for n in nodes.values()))
        for node in nodes.values():
            await idle(node)

        quarantined = (await nodes[hh1.id].status()).quarantined
        assert [(q.doc_id, q.code) for q in quarantined] == [(refused, "unknown_device")]
        assert (await depot.status()).quarantined[0].code == "unknown_device"
        stores = [n.ctx.store for n in nodes.values()]
        c1_stores = [nodes[hh1.id].ctx.store, nodes[hh1b.id].ctx.store]
        await same_document(refused, *c1_stores, depot.ctx.store, central.store)
        assert await status_of(central.store, refused) == "created"
        assert await status_of(nodes[hh1.id].ctx.store, refused) == "created"
        # hh2's unrelated delivery went through untouched, and nobody else was told anything
        await same_document(other, nodes[hh2.id].ctx.store, depot.ctx.store, central.store)
        assert await status_of(central.store, other) == "delivered"
        for store in stores[1:]:
            assert await store.quarantined() == []
        assert await depot.ctx.store.query("SELECT * FROM device_resets") == []
    finally:
        for node in nodes.values():
            await node.stop()
        await depot.stop()
        await central.store.close()


class CutAfter(InMemoryChannel):
    """A link that goes down after ``pulls`` more pull answers arrived."""

    pulls = 1_000_000

    async def pull(self, request: PullRequest) -> PullResponse:
        if self.pulls <= 0:
            self.online = False
        self.pulls -= 1
        return await super().pull(request)


async def test_a_lost_answer_or_request_does_not_lose_the_reset(tmp_path):
    async with one_shipment_network(tmp_path) as (net, node, doc_id, office):
        rng = random.Random(1)
        hh = node.device
        node.channel = node.client.channel = CutAfter(net.nodes["depot"].server, hh, rng=rng)
        central, depot = net.nodes["central"].store, net.nodes["depot"].store
        moves = [actions.depot_reassign(doc_id, courier) for courier in ("C2", "C1")]
        await commit_commands(central, moves[0], device_id=office.id, queue=False)
        courier = actor(hh, offset_ms=1000, rng=rng)
        delivery = actions.courier_deliver(courier, doc_id, "C1", "D1", DAY, 0)
        await commit_commands(node.store, delivery, device_id=hh.id)
        assert await net.sync("hh") and await net.sync("depot")  # accepted, then refused
        await commit_commands(central, moves[1], device_id=office.id, queue=False)
        assert await net.sync("depot")
        assert len(await depot.query("SELECT * FROM device_resets")) == 1

        node.channel.drop_answer = 1.0  # the answer carrying the reset is lost
        assert not await net.sync("hh")
        assert await node.store.quarantined() == []
        node.channel.drop_answer, node.channel.online = 0.0, True
        node.channel.pulls = 1  # the answer arrives; the next request (its ack) is lost
        assert not await net.sync("hh")
        assert [q.code for q in await node.store.quarantined()] == ["out_of_scope"]
        assert await node.store.resync_wanted() == [doc_id]
        assert len(await depot.query("SELECT * FROM device_resets")) == 1  # not acked yet

        node.channel.pulls, node.channel.online = 1_000_000, True
        await net.converge()
        assert [q.code for q in await node.store.quarantined()] == ["out_of_scope"]
        assert await depot.query("SELECT * FROM device_resets") == []
        assert await node.store.resync_wanted() == []
        await same_document(doc_id, node.store, depot, central)
        assert await status_of(node.store, doc_id) == "created"


async def test_a_reset_waits_for_the_relays_own_rebuild_and_keeps_its_order(tmp_path):
    """Served before the relay rebuilt the document, a reset would hand out the refused
    update again; the later resets wait too, as acknowledging them acknowledges it."""
    async with await ReplicaStore.open(tmp_path / "relay.db") as store:
        hh = handheld("C1")
        await add_resets(store, (hh.id, "doc-a"), (hh.id, "doc-b"), ("someone-else", "doc-b"))
        await store.query("INSERT INTO resync VALUES ('doc-a')")  # doc-a awaits its rebuild
        assert await store.pending_resets(hh.id, 0) == []
        await store.clear_resync(["doc-a"])
        served = await store.pending_resets(hh.id, 0)
        assert [(r.id, r.doc_id) for r in served] == [(1, "doc-a"), (2, "doc-b")]
        assert [r.id for r in await store.pending_resets(hh.id, 1)] == [2]  # a lost answer
        assert await store.pending_resets(hh.id, 2) == []
        left = await store.query("SELECT device_id FROM device_resets")
        assert left == [("someone-else",)]
        # a revoked device will never pull its resets: they go with the revocation
        await store.enroll(Device("someone-else", Role.COURIER, depot_id="D1", courier_id="C9"))
        assert await store.revoke("someone-else")
        assert await store.query("SELECT device_id FROM device_resets") == []


async def test_the_relays_own_refused_write_is_reset_on_its_handhelds(tmp_path):
    """Central refuses the depot's own route change after a handheld pulled it."""
    async with one_shipment_network(tmp_path) as (net, hh, doc_id, office):
        central, depot = net.nodes["central"].store, net.nodes["depot"].store

        def move(**info: object) -> list[tuple[str, DocCommand]]:
            return [(doc_id, DocCommand("assign", "shipment", info=info))]

        # head office moves the shipment away; the depot, not knowing, re-sequences it
        await commit_commands(central, move(depot_id="D-other"), device_id=office.id, queue=False)
        await commit_commands(depot, move(route_seq=7), device_id=DEPOT_DEVICE.id)
        await hh.client.pull()
        await net.nodes["depot"].client.push()
        assert [q.code for q in await depot.quarantined()] == ["out_of_scope"]
        await commit_commands(
            central, move(depot_id=DEPOT_DEVICE.depot_id), device_id=office.id, queue=False
        )
        await net.converge()
        await same_document(doc_id, central, depot, hh.store)
        assert await hh.store.query("SELECT route_seq FROM p_shipments") == [(1,)]
