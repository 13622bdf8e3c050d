"""Which edges the in-process simulator syncs: the ones with work, the poked ones, a slow poll."""

from __future__ import annotations

import random
from pathlib import Path

from edge import commands
from simulation.day import SimOptions, day_dataset
from simulation.wakes import POLL_TICKS
from simulation.world import SimClock, World


async def test_an_edge_syncs_after_its_own_write_a_poke_or_the_poll(tmp_path: Path) -> None:
    data = day_dataset(SimOptions(depots=1, couriers=2, stops=3), 0)
    world = World(tmp_path, data.network, SimClock(data.day), random.Random(1))
    try:
        await world.build(lambda _: None)
        wakes = world.wakes
        assert wakes.due == world.net.nodes.keys() - {"central"}  # every edge, at the start
        await world.net.converge()
        await wakes.publish()
        wakes.due.clear()
        depot = world.depot_node[data.network.depots[0].id]
        spec = data.shipments[0]
        mine = world.handheld_node[spec.courier_id]

        await world.seed([spec], lambda _: None)
        await wakes.publish()
        assert wakes.due == {depot}  # central's new row is in the depot's scope only
        wakes.synced(depot, await world.net.sync(depot))
        await wakes.publish()
        assert wakes.due == {mine}  # the depot logged it, in one courier's scope

        wakes.synced(mine, await world.net.sync(mine))
        assert not wakes.due
        await commands.receive(world.contexts[depot], spec.id)  # a local command
        assert wakes.due == {depot}
        report = await world.net.sync(depot)
        wakes.synced(depot, report)
        assert report is not None and report.pushed == 1 and not wakes.due
        await wakes.publish()
        assert wakes.due == {depot, mine}  # both logs hold the scan now

        wakes.synced(mine, await world.net.sync(mine))
        wakes.due.clear()
        await commands.out_for_delivery(world.contexts[mine], spec.id)
        assert wakes.due == {mine}
        report = await world.net.sync(mine)
        wakes.synced(mine, report)
        assert report is not None and report.pushed == 1
        assert wakes.due == {depot}  # a relayed push waits in the depot's outbox

        wakes.due.clear()
        world.net.nodes[mine].channel.online = False  # type: ignore[union-attr]
        assert await world.net.sync(mine) is None
        wakes.synced(mine, None)
        assert mine in wakes.due  # a failed sync is retried

        wakes.due.clear()
        edges = sorted(world.net.nodes.keys() - {"central"})
        ticks = [{e for i, e in enumerate(edges) if wakes.wanted(e, t, i)} for t in range(12)]
        assert all(len(polled) <= 1 for polled in ticks)  # 3 edges, one poll each 6 ticks
        assert set().union(*ticks[:POLL_TICKS]) == set(edges)
        assert set().union(*ticks[3 : 3 + POLL_TICKS]) == set(edges)
    finally:
        await world.close()
