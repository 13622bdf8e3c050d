"""Depot commands: inbound scan, routing, cash desk, returns desk; refusals write nothing."""

from __future__ import annotations

import pytest

from edge import commands as c
from edge.errors import (
    AlreadyRecorded,
    AmountMismatch,
    InvalidInput,
    InvalidTransition,
    NothingToDo,
    OutOfScope,
    UnknownDocument,
    WrongRole,
)
from edge.pages.site import Site, sync_bar
from edge.status import node_status
from protocol.events import ItemInspection
from protocol.ids import make_tracking_number, named_id
from tests._edge_world import (
    DAY,
    DEPOT_DEVICE,
    Central,
    handheld,
    node,
    return_command,
    seed,
    shipment_command,
)
from tests.test_edge_courier import refused

TN = make_tracking_number
R1 = named_id("test-return", "r1")


@pytest.fixture
async def world(tmp_path):
    """Central seeded with shipments; a depot node and a courier handheld synced to it."""
    courier = handheld()
    central = await Central.open(tmp_path / "central.db", [courier])
    await seed(
        central.store,
        [
            shipment_command(1, cod=2500),
            shipment_command(2),
            return_command("r1", skus=("SKU-1", "SKU-2")),
        ],
    )
    depot = await node(tmp_path / "depot.db", DEPOT_DEVICE)
    hh = await node(tmp_path / "hh.db", courier)
    await central.client(depot).sync()
    await central.client(hh).sync()
    yield central, depot, hh
    for ctx in (depot, hh):
        await ctx.close()
    await central.store.close()


async def test_inbound_scan(world):
    _, depot, _ = world
    other = shipment_command(9)
    other[1].info["depot_id"] = "D2"
    await seed(depot.store, [other])  # a stray document of another depot
    result = await c.receive(depot, TN(1))
    assert result.status == "at_depot"
    await refused(depot, AlreadyRecorded, c.receive(depot, TN(1)))
    await refused(depot, OutOfScope, c.receive(depot, named_id("test-shipment", "9")))


async def test_receive_refuses_a_delivered_parcel(world):
    central, depot, hh = world
    await c.deliver(hh, TN(2), recipient_name="Ann")
    await central.client(hh).sync()
    await central.client(depot).sync()
    await refused(depot, InvalidTransition, c.receive(depot, TN(2)))
    await refused(depot, InvalidTransition, c.assign(depot, TN(2), "C2", DAY, 1))


async def test_assign_moves_the_shipment_between_handhelds(world, tmp_path):
    central, depot, hh = world
    hh2 = await node(tmp_path / "hh2.db", handheld("C2"))
    central.devices[hh2.device_id] = hh2.identity.device
    try:
        await central.client(hh2).sync()
        assert await c.load_route(hh2, DAY) == []
        result = await c.assign(depot.acting_as("ana"), TN(1), "C2", DAY, 7)
        assert "C2" in result.message
        await refused(depot, AlreadyRecorded, c.assign(depot, TN(1), "C2", DAY, 7))
        await refused(depot, InvalidInput, c.assign(depot, TN(1), "", DAY, 7))
        await refused(depot, InvalidInput, c.assign(depot, TN(1), "C3", DAY, -1))
        report = await central.client(depot).sync()
        assert report.rejected == 0
        recorded = await central.store.query(
            "SELECT actor, payload FROM p_events WHERE type = 'reassigned' AND doc_id = ?",
            (named_id("test-shipment", "1"),),
        )
        assert [(actor, '"C2"' in payload) for actor, payload in recorded] == [
            (f"{DEPOT_DEVICE.id}/ana", True)
        ]
        await central.client(hh).sync()
        await central.client(hh2).sync()
        assert [s.tracking_number for s in await c.load_route(hh2, DAY)] == [TN(1)]
        assert TN(1) not in [s.tracking_number for s in await c.load_route(hh, DAY)]
        assert named_id("test-shipment", "1") not in await hh.store.document_ids()
    finally:
        await hh2.close()


async def test_cash_desk_count_and_deposit(world):
    central, depot, hh = world
    await refused(depot, NothingToDo, c.deposit(depot, 100))
    await c.collect(hh, TN(1), 2500)
    [handover] = await c.handover(hh)
    await refused(depot, UnknownDocument, c.count_cash(depot, handover.handover_id, 2500))
    await central.client(hh).sync()
    await central.client(depot).sync()
    counted = await c.count_cash(depot, handover.handover_id, 2400)
    assert (counted.declared, counted.counted, counted.discrepancy) == (2500, 2400, -100)
    await refused(depot, AlreadyRecorded, c.count_cash(depot, handover.handover_id, 2500))
    await refused(depot, InvalidInput, c.count_cash(depot, "h-x", -5))
    book = await depot.store.query(
        "SELECT handed_over, counted, discrepancy FROM p_cash_books WHERE owner_id = 'C1'"
    )
    assert book == [(2500, 2400, -100)]
    await refused(depot, AmountMismatch, c.deposit(depot, 2500))
    await refused(depot, InvalidInput, c.deposit(depot, 0))
    await refused(depot, InvalidInput, c.deposit(depot, 100, batch_id="slip 7; drop"))
    done = await c.deposit(depot, 2000, batch_id="B-1")
    assert (done.amount, done.remaining) == (2000, 400)
    await refused(depot, AlreadyRecorded, c.deposit(depot.acting_as("ana"), 400, batch_id="B-1"))
    await c.deposit(depot.acting_as("ana"), 400)
    assert await c.undeposited(depot) == 0
    batches = await c.deposits(depot)
    assert [(b.amount, b.actor) for b in batches] == [(400, "depot-dev/ana"), (2000, "depot-dev")]
    assert batches[1].batch_id == "B-1"
    report = await central.client(depot).sync()
    assert report.rejected == 0
    rows = await central.store.query(
        "SELECT owner_kind, deposited, discrepancy FROM p_cash_books ORDER BY owner_kind"
    )
    assert rows == [("courier", 0, -100), ("depot", 2400, 0)]


async def test_returns_desk(world):
    central, depot, hh = world
    await refused(
        depot, InvalidTransition, c.inspect(depot, R1, [c.parse_item("SKU-1:sellable:restock")])
    )
    await c.pickup_return(hh, R1)
    await central.client(hh).sync()
    await central.client(depot).sync()
    assert (await c.receive_return(depot, R1)).status == "received"
    await refused(depot, AlreadyRecorded, c.receive_return(depot, R1))
    await refused(depot, InvalidTransition, c.restock(depot, R1, "SKU-1"))
    await refused(depot, InvalidInput, c.inspect(depot, R1, []))
    never_shipped = [ItemInspection("SKU-9", "sellable", "restock", 50)]
    error = await refused(depot, InvalidInput, c.inspect(depot, R1, never_shipped))
    assert "items[0].sku: 'SKU-9' is not in the return" in str(error)
    too_many = [c.parse_item("SKU-1:sellable:restock:2"), c.parse_item("SKU-1:damaged:dispose")]
    error = await refused(depot, InvalidInput, c.inspect(depot, R1, too_many))
    assert "items[1].quantity: 3 unit(s) of 'SKU-1', only 2 in the return" in str(error)
    items = [
        c.parse_item("SKU-1:sellable:restock:2"),
        ItemInspection("SKU-2", "damaged", "dispose"),
    ]
    assert (await c.inspect(depot, R1, items)).status == "inspected"
    await refused(depot, AlreadyRecorded, c.inspect(depot, R1, items))
    await c.restock(depot, R1, "SKU-1", 2)
    await refused(depot, NothingToDo, c.restock(depot, R1, "SKU-1", 1))
    await refused(depot, NothingToDo, c.restock(depot, R1, "SKU-2", 1))
    await refused(depot, NothingToDo, c.dispatch(depot, R1, "SKU-1", 3))
    await c.dispatch(depot, R1, "SKU-1", 1)
    assert [(s.sku, s.quantity) for s in await c.stock_levels(depot)] == [("SKU-1", 1)]
    await refused(depot, NothingToDo, c.move_stock(depot, R1, "SKU-2", 1, "graded", "quarantined"))
    await c.move_stock(depot, R1, "SKU-2", 1, "graded", "disposed")
    await c.move_stock(depot, R1, "SKU-1", 1, "available", "quarantined")
    error = await refused(
        depot,
        NothingToDo,
        c.move_stock(depot, R1, "SKU-1", 1, "quarantined", "returned_to_merchant"),
    )
    assert "received_by" in str(error)
    await c.move_stock(
        depot, R1, "SKU-1", 1, "quarantined", "returned_to_merchant", received_by="Ana (M1)"
    )
    levels = [(s.sku, s.state, s.quantity) for s in await c.stock_levels(depot)]
    assert levels == [("SKU-1", "returned_to_merchant", 1), ("SKU-2", "disposed", 1)]
    assert (await central.client(depot).sync()).rejected == 0
    rows = await central.store.query("SELECT sku, quantity FROM p_stock ORDER BY sku")
    assert rows == [("SKU-1", 0)]
    rows = await central.store.query(
        "SELECT sku, state, quantity FROM p_stock_states WHERE quantity > 0 ORDER BY sku"
    )
    assert rows == [("SKU-1", "returned_to_merchant", 1), ("SKU-2", "disposed", 1)]


def test_parse_item_refusals():
    for text in ("SKU", "SKU:shiny:restock", "SKU:sellable:burn", "SKU:sellable:restock:0"):
        with pytest.raises(InvalidInput):
            c.parse_item(text)


async def test_depot_commands_refuse_on_a_handheld(world):
    _, _, hh = world
    await refused(hh, WrongRole, c.receive(hh, TN(1)))
    await refused(hh, WrongRole, c.deposit(hh, 100))
    await refused(hh, WrongRole, c.receive_return(hh, R1))


async def test_a_refused_delivery_reaches_the_courier_in_plain_words(world, tmp_path):
    central, depot, hh = world
    await c.deliver(hh, TN(2), recipient_name="Ann")  # offline, while the depot moves it
    await c.assign(depot, TN(2), "C2", DAY, 3)
    assert (await central.client(depot).sync()).rejected == 0
    assert (await central.client(hh).sync()).rejected == 1
    site = Site(hh, lambda: node_status(hh.store, hh.wall()), tmp_path / "proofs")
    bar = await sync_bar(site)
    assert bar.refused == [
        (
            "Delivery",  # of a parcel the handheld no longer holds: no number to show
            "the parcel is no longer on your route",
            "Give it back at the depot; the courier it moved to delivers it.",
        )
    ]
