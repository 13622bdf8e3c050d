"""The depot cash desk adjusts its own count (issue 16): a short count is a
``count_mismatch`` until the desk records the adjustment naming the handover and the
discrepancy; then it is closed, and the journal says the courier still holds the gap."""

from __future__ import annotations

import pytest

from edge import commands as c
from edge.errors import AmountMismatch, InvalidInput
from protocol.discrepancies import DiscrepancyKind
from protocol.ids import make_tracking_number
from simulation.ledger import reconciled

from ._edge_world import DEPOT_DEVICE, Central, handheld, node, seed, shipment_command


async def test_desk_adjusts_a_short_count_and_the_discrepancy_closes(tmp_path):
    courier = handheld()
    central = await Central.open(tmp_path / "central.db", [courier])
    await seed(central.store, [shipment_command(1, cod=2500)])
    hh = await node(tmp_path / "hh.db", courier)
    desk = await node(tmp_path / "depot.db", DEPOT_DEVICE)
    await central.client(hh).sync()
    await c.collect(hh, make_tracking_number(1), 2500)
    (handed,) = await c.handover(hh)
    await central.client(hh).sync()
    await central.client(desk).sync()
    await c.count_cash(desk, handed.handover_id, 2400)  # 1.00 short
    (short,) = [
        d
        for d in (await reconciled(desk.store)).discrepancies
        if d.kind == DiscrepancyKind.COUNT_MISMATCH
    ]
    assert (short.amount, short.who) == (-100, "depot:D1")
    with pytest.raises(AmountMismatch):
        await c.adjust_count(desk, handed.handover_id, 101, "recount", short.id)
    with pytest.raises(InvalidInput):
        await c.adjust_count(desk, handed.handover_id, 100, " ", short.id)
    await c.adjust_count(desk, handed.handover_id, 100, "courier pays it back", short.id)
    await central.client(desk).sync()
    for store in (desk.store, central.store):
        recon = await reconciled(store)
        assert [d for d in recon.discrepancies if d.kind == DiscrepancyKind.COUNT_MISMATCH] == []
        balances = recon.journal.by_currency()["EUR"]
        assert balances["courier:C1"] == 100 and sum(balances.values()) == 0
    assert (await c.cash_position(hh)).in_hand == 0
    for ctx in (hh, desk):
        await ctx.close()
    await central.store.close()
