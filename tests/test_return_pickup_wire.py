"""Returns over the wire, against a real central on 127.0.0.1: the RMA's items checked
against the delivered shipment, the reverse pickup routed by the depot and done on the
courier's handheld, grading within the RMA, stock moved between states, and the
merchant's totals; each refusal names the field and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from edge import commands as c
from edge.errors import InvalidInput, NothingToDo, WrongRole
from protocol.vocab import Role

from .return_helpers import edge_node, sold_and_delivered, synced

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def rma(central: Central, token: str, shipment_id: str, items: list[dict[str, Any]]) -> Any:
    with central.api(token) as api:
        return api.post("/api/v1/returns", json={"shipment_id": shipment_id, "items": items})


async def test_an_rma_names_only_items_and_quantities_of_the_delivered_shipment(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        order = {"order_ref": "R-0", "currency": "EUR", "items": [{"sku": "SKU-A"}]}
        undelivered = api.post("/api/v1/shipments", json=order).json()["id"]
    early = rma(central, token, undelivered, [{"sku": "SKU-A"}])
    assert early.status_code == 409 and "not delivered" in early.json()["detail"]
    shipment_id = await sold_and_delivered(central, names, tmp_path, token, "R-1")

    never_sold = rma(central, token, shipment_id, [{"sku": "SKU-9", "quantity": 50}])
    assert never_sold.status_code == 400
    assert "items[0].sku: 'SKU-9' is not in the shipment" in never_sold.json()["detail"]
    too_many = rma(central, token, shipment_id, [{"sku": "SKU-B"}, {"sku": "SKU-A", "quantity": 3}])
    assert too_many.status_code == 400
    assert "items[1].quantity: 3 unit(s) of 'SKU-A', only 2" in too_many.json()["detail"]

    first = rma(central, token, shipment_id, [{"sku": "SKU-A"}])
    assert first.status_code == 201, first.text
    again = rma(central, token, shipment_id, [{"sku": "SKU-A", "quantity": 2}])
    assert again.status_code == 400 and "only 1" in again.json()["detail"]  # one is asked for
    second = rma(central, token, shipment_id, [{"sku": "SKU-A"}, {"sku": "SKU-B"}])
    assert second.status_code == 201, second.text
    with central.api(token) as api:
        listed = api.get(f"/api/v1/returns/{first.json()['id']}").json()
    assert listed["items"] == [{"sku": "SKU-A", "quantity": 1, "grade": None, "disposition": None}]


async def test_the_depot_routes_a_reverse_pickup_and_the_courier_picks_it_up(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment_id = await sold_and_delivered(central, names, tmp_path, token, "P-1")
    made = rma(central, token, shipment_id, [{"sku": "SKU-A", "quantity": 2}])
    return_id = made.json()["id"]
    day = central.today().isoformat()
    signature = tmp_path / "signature.png"
    signature.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)

    async with edge_node(central, names, tmp_path / "desk.db", Role.DEPOT) as depot:
        await synced(depot)
        [plan] = await c.pickups_to_plan(depot.ctx)
        assert (plan.doc_id, plan.recipient_name, plan.city, plan.units) == (
            return_id,
            "Ilinca Popescu",
            "Bucuresti",
            2,
        )
        with pytest.raises(InvalidInput, match="route sequence"):
            await c.assign_return(depot.ctx, return_id, names.courier, day, -1)
        done = await c.assign_return(depot.ctx, return_id, names.courier, day, 4)
        assert done.message == f"pickup assigned to {names.courier} on {day} stop 4"
        await synced(depot)

    async with edge_node(central, names, tmp_path / "courier.db", Role.COURIER) as handheld:
        await synced(handheld)
        [stop] = await c.my_pickups(handheld.ctx, day)
        assert (stop.doc_id, stop.route_seq, stop.address) == (return_id, 4, "Strada Lipscani 12")
        picked = await c.pickup_return(
            handheld.ctx,
            return_id,
            handed_by="Ilinca Popescu",
            signature=c.Attachment.from_file(signature),
            lat=44.43,
            lon=26.1,
        )
        assert picked.status == "picked_up"
        await synced(handheld)
        assert await handheld.ctx.store.quarantined() == []

    with central.api(token) as api:
        fetched = api.get(f"/api/v1/returns/{return_id}").json()
    assert fetched["status"] == "picked_up"


async def test_grading_and_stock_stay_within_the_rma_and_the_states_add_up(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment_id = await sold_and_delivered(central, names, tmp_path, token, "G-1")
    made = rma(central, token, shipment_id, [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B"}])
    return_id = made.json()["id"]

    async with edge_node(central, names, tmp_path / "desk.db", Role.DEPOT) as depot:
        ctx = depot.ctx
        await synced(depot)
        await c.receive_return(ctx, return_id)
        for bad, field in (
            ("SKU-9:sellable:restock:50", r"items\[0\]\.sku"),
            ("SKU-A:sellable:restock:3", r"items\[0\]\.quantity"),
        ):
            with pytest.raises(InvalidInput, match=f"^{field}"):
                await c.inspect(ctx, return_id, [c.parse_item(bad)])
        items = ["SKU-A:sellable:restock:1", "SKU-A:damaged:quarantine:1", "SKU-B:damaged:dispose"]
        await c.inspect(ctx, return_id, [c.parse_item(i) for i in items])
        await c.restock(ctx, return_id, "SKU-A", 1)
        await c.move_stock(ctx, return_id, "SKU-A", 1, "graded", "quarantined")
        await c.move_stock(ctx, return_id, "SKU-B", 1, "graded", "disposed")
        with pytest.raises(NothingToDo, match=r"0 unit.s. graded for restock are left"):
            await c.restock(ctx, return_id, "SKU-A", 1)
        with pytest.raises(NothingToDo, match=r"only 1 unit.s. quarantined here"):
            await c.move_stock(ctx, return_id, "SKU-A", 2, "quarantined", "available")
        with pytest.raises(NothingToDo, match="received_by"):
            await c.move_stock(ctx, return_id, "SKU-A", 1, "quarantined", "returned_to_merchant")
        with pytest.raises(InvalidInput, match="source must be one of"):
            await c.move_stock(ctx, return_id, "SKU-A", 1, "disposed", "available")
        with pytest.raises(WrongRole):
            await c.pickup_return(ctx, return_id)
        released = await c.move_stock(ctx, return_id, "SKU-A", 1, "quarantined", "available")
        assert released.message == "SKU-A: 1 released to stock; 2 in stock here"
        sent = await c.move_stock(
            ctx,
            return_id,
            "SKU-A",
            1,
            "available",
            "returned_to_merchant",
            received_by="M. Ionescu",
        )
        assert "sent back to the merchant; 1 in stock here" in sent.message
        await synced(depot)
        assert await ctx.store.quarantined() == []

    with central.api(token) as api:
        totals = api.get("/api/v1/stock/totals").json()
        per_depot = api.get("/api/v1/stock").json()
        reorder = api.get("/api/v1/stock/reorder")
    state = {"available": 1, "quarantined": 0, "disposed": 0, "returned_to_merchant": 1}
    assert totals == [
        {
            "merchant_id": names.merchant,
            "sku": "SKU-A",
            **state,
            "depots": [{"depot_id": names.depot, **state}],
        },
        {
            "merchant_id": names.merchant,
            "sku": "SKU-B",
            "available": 0,
            "quarantined": 0,
            "disposed": 1,
            "returned_to_merchant": 0,
            "depots": [
                {
                    "depot_id": names.depot,
                    "available": 0,
                    "quarantined": 0,
                    "disposed": 1,
                    "returned_to_merchant": 0,
                }
            ],
        },
    ]
    assert {(r["sku"], r["quantity"]) for r in per_depot} == {("SKU-A", 1)}
    assert reorder.status_code == 200, reorder.text
    # restocked 1, released 1, sent back 1: one on hand; SKU-B was never available
    assert [(r["sku"], r["on_hand"]) for r in reorder.json()] == [("SKU-A", 1)]
