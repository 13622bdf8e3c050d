"""The simulation's convergence check names exactly the replicas that differ from
central on their scope."""

from __future__ import annotations

from pathlib import Path

from simulation import actions
from simulation.report import Replica, divergent
from sync import InMemoryChannel, ReplicaStore, SyncClient, SyncServer, commit_commands
from tests.core_helpers import COURIER, DAY, DEPOT, OFFICE, actor, lookup, seeded_central


async def test_divergent_names_the_replicas_that_differ_from_central(tmp_path: Path):
    central, _ = await seeded_central(tmp_path / "c.db")
    other_route = [actions.create_shipment(actor(OFFICE, seed=2), 99, "D1", "C2", 1250, DAY)]
    await commit_commands(central, other_route, device_id=OFFICE.id)  # not the courier's
    server = SyncServer(central, lookup)
    stores = [await ReplicaStore.open(tmp_path / f"{d.id}.db") for d in (COURIER, DEPOT)]
    try:
        replicas = [
            Replica(device.id, device, store)
            for device, store in zip((COURIER, DEPOT), stores, strict=True)
        ]
        for replica in replicas:
            channel = InMemoryChannel(server, replica.device)
            await SyncClient(replica.store, channel, device_id=replica.device.id).sync()
        assert await divergent(central, replicas) == []
        courier, depot = stores
        await courier.query("DELETE FROM p_events WHERE rowid = (SELECT min(rowid) FROM p_events)")
        assert await divergent(central, replicas) == [COURIER.id]  # a projection row gone
        doc_id = (await depot.document_ids())[0]
        await depot.query("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        assert await divergent(central, replicas) == [COURIER.id, DEPOT.id]  # a document gone
    finally:
        for store in (*stores, central):
            await store.close()
