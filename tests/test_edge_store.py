"""EdgeStore: a write based on a stale read (another process, the sync loop) loses nothing."""

from __future__ import annotations

from edge import commands as c
from edge.context import EdgeContext
from edge.store import EdgeStore
from protocol.commands import DocCommand
from protocol.events import OutForDelivery
from protocol.ids import make_tracking_number, named_id
from protocol.wire import DocUpdate
from sync.documents import apply_command
from sync.ingest import merge_incoming
from tests._edge_world import T0, handheld, node, seed, shipment_command

TN = make_tracking_number


async def test_stale_write_is_rebased_on_the_stored_state(tmp_path):
    ctx = await node(tmp_path / "hh.db", handheld())
    other = await EdgeStore.open(tmp_path / "hh.db")
    try:
        await seed(ctx.store, [shipment_command(1)])
        doc_id = named_id("test-shipment", "1")
        stale = (await ctx.store.load([doc_id]))[doc_id]
        # another writer (a CLI process) records an attempt meanwhile
        await c.fail(EdgeContext(other, ctx.identity, wall=ctx.wall), TN(1), "not_home")
        # the sync loop merges an upstream change into its stale copy and writes it
        out = OutForDelivery(
            id=named_id("ofd"),
            hlc=f"{T0:013d}.000000.depot",
            device="depot-dev",
            actor="d",
            payload=OutForDelivery.Body(courier_id="C1"),
        )
        _, update = apply_command(stale.state, DocCommand.build("x", "shipment", [out]), 4242)
        writes = merge_incoming(
            {doc_id: stale},
            [DocUpdate(doc_id, "shipment", update)],
            origin_device="upstream",
        )
        await ctx.store.write(writes)
        types = await ctx.store.query(
            "SELECT type FROM p_events WHERE doc_id = ? ORDER BY type", (doc_id,)
        )
        assert types == [("attempt_failed",), ("created",), ("out_for_delivery",)]
        assert (await ctx.store.outbox_stats()).waiting == 1
    finally:
        await other.close()
        await ctx.close()
