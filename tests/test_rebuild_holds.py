"""Work recorded offline on a document the upstream is about to rebuild waits for the rebuild.

A refused update puts its document up for a rebuild; a command the courier
records on it before that rebuild (the link dropped after the push) is held
and replayed on the rebuilt document, not sent on top of the refused update.
"""

from __future__ import annotations

from protocol.vocab import FailureReason
from simulation import actions
from sync import commit_commands
from tests._edge_world import DAY, one_shipment_network
from tests.core_helpers import actor


async def test_a_command_recorded_before_the_rebuild_is_replayed_on_it(tmp_path):
    async with one_shipment_network(tmp_path, via_depot=False) as (net, node, doc_id, office):
        central, hh = net.nodes["central"].store, node.device
        courier = actor(hh, offset_ms=1000)
        away, back = (actions.depot_reassign(doc_id, c) for c in ("C2", "C1"))
        await commit_commands(central, away, device_id=office.id, queue=False)
        failed = actions.courier_fail(courier, doc_id, next(iter(FailureReason)))
        await commit_commands(node.store, failed, device_id=hh.id)
        await node.client.push()  # refused: the shipment is on C2's route now
        assert [q.code for q in await node.store.quarantined()] == ["out_of_scope"]
        # the link drops before the pull; the courier delivers it anyway
        delivered = actions.courier_deliver(courier, doc_id, "C1", "D1", DAY, 0)
        await commit_commands(node.store, delivered, device_id=hh.id)
        await commit_commands(central, back, device_id=office.id, queue=False)
        await net.converge()
        assert [q.code for q in await node.store.quarantined()] == ["out_of_scope"]
        types = await central.query("SELECT type FROM p_events WHERE doc_id = ?", (doc_id,))
        assert {"delivered", "out_for_delivery"} <= {t for (t,) in types}
        assert ("attempt_failed",) not in types
