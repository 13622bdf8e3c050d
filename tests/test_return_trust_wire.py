"""Central's trust boundary for returns, over the wire: a hostile device that skips the
edge commands and pushes updates of its own making is refused with the reason naming
the field, and central's copy does not change."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from protocol.commands import DocCommand
from protocol.events import (
    Event,
    ItemInspection,
    ItemsInspected,
    Restocked,
    ReturnReceived,
    ReturnRequested,
    StockMoved,
    StockMovement,
    StockTransfer,
)
from protocol.ids import new_id
from protocol.info import Item, ReturnInfo
from protocol.vocab import Disposition, Grade, StockSource, StockState
from sync import commit_commands

from .return_helpers import sold_and_delivered
from .server_helpers import clock, node

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


async def pushed(
    central: Central, path: Path, device: tuple[str, str], commands: list[tuple[str, DocCommand]]
) -> list[tuple[str, str]]:
    """Sync as ``device`` (id, token), commit ``commands`` and push: the refusals' codes
    and messages."""
    device_id, token = device
    async with node(central, path, device_id, token) as client:
        await client.sync()
        await commit_commands(client.store, commands, device_id=device_id)
        await client.push()
        return [(q.code, q.message) for q in await client.store.quarantined()]


def stamped(device_id: str, actor: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "hlc": clock(device_id).now().encode(),
        "device": device_id,
        "actor": actor,
    }


async def test_a_hostile_merchant_cannot_request_what_was_never_shipped(
    central: Central, names: Names, tmp_path: Path
):
    merchant = central.enrol("merchant", merchant_id=names.merchant)
    shipment_id = await sold_and_delivered(central, names, tmp_path, merchant[1], "H-1")
    made = {}
    for name, items in (
        ("never shipped", [Item("SKU-9", 50)]),
        ("too many", [Item("SKU-B", 2)]),
        ("fine", [Item("SKU-A", 2)]),
    ):
        info = ReturnInfo(shipment_id, names.merchant, items=items, depot_id=names.depot)
        event = ReturnRequested(**stamped(merchant[0], merchant[0]))
        command = DocCommand.build("rma", "return", [event], info=msgspec.to_builtins(info))
        made[name] = new_id()
        refusals = await pushed(
            central, tmp_path / f"m-{len(made)}.db", merchant, [(made[name], command)]
        )
        if name == "fine":
            assert refusals == []
        else:
            [(code, message)] = refusals
            assert code in ("item_not_listed", "quantity_too_large")
            assert message.startswith("info.items[0].")
    with central.api(merchant[1]) as api:
        assert api.get(f"/api/v1/returns/{made['never shipped']}").status_code == 404
        assert api.get(f"/api/v1/returns/{made['too many']}").status_code == 404
        # SKU-A's two units are all asked for now: the API refuses a third
        again = api.post(
            "/api/v1/returns", json={"shipment_id": shipment_id, "items": [{"sku": "SKU-A"}]}
        )
    assert again.status_code == 400 and "items[0].quantity" in again.json()["detail"]

    edit = DocCommand.build("edit", "return", info={"items": [{"sku": "SKU-A", "quantity": 9}]})
    [(code, message)] = await pushed(
        central, tmp_path / "m-edit.db", merchant, [(made["fine"], edit)]
    )
    assert (code, message) == ("info_locked", "info.items of a return is fixed once requested")


async def test_a_hostile_depot_cannot_grade_or_restock_what_the_rma_does_not_name(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment_id = await sold_and_delivered(central, names, tmp_path, token, "H-2")
    with central.api(token) as api:
        body = {"shipment_id": shipment_id, "items": [{"sku": "SKU-A", "quantity": 2}]}
        return_id = api.post("/api/v1/returns", json=body).json()["id"]
    depot = central.enrol("depot", depot_id=names.depot)
    actor = f"{depot[0]}/desk"

    def grading(*items: ItemInspection) -> list[Event]:
        return [
            ItemsInspected(**stamped(depot[0], actor), payload=ItemsInspected.Body(list(items)))
        ]

    received = ReturnReceived(**stamped(depot[0], actor), payload=ReturnReceived.Body(names.depot))
    received_cmd = DocCommand.build("receive", "return", [received])
    assert await pushed(central, tmp_path / "d.db", depot, [(return_id, received_cmd)]) == []
    fifty = ItemInspection("SKU-9", Grade.SELLABLE, Disposition.RESTOCK, 50)
    three = ItemInspection("SKU-A", Grade.SELLABLE, Disposition.RESTOCK, 3)
    for n, (bad, field) in enumerate(
        ((fifty, "payload.items[0].sku"), (three, "payload.items[0].quantity"))
    ):
        command = DocCommand.build("grade", "return", grading(bad))
        [(code, message)] = await pushed(
            central, tmp_path / f"d{n}.db", depot, [(return_id, command)]
        )
        assert code in ("item_not_listed", "quantity_too_large") and field in message

    two = ItemInspection("SKU-A", Grade.SELLABLE, Disposition.RESTOCK, 2)
    graded = DocCommand.build("grade", "return", grading(two))
    assert await pushed(central, tmp_path / "d-ok.db", depot, [(return_id, graded)]) == []
    restock = Restocked(**stamped(depot[0], actor), payload=StockMovement("SKU-A", 5, names.depot))
    back = StockMoved(
        **stamped(depot[0], actor),
        payload=StockTransfer(
            "SKU-A",
            1,
            names.depot,
            StockSource.AVAILABLE,
            StockState.RETURNED_TO_MERCHANT,
            received_by="someone",
        ),
    )
    for n, (event, words) in enumerate(
        ((restock, "2 unit(s) graded for restock are left"), (back, "only 0 unit(s) available"))
    ):
        command = DocCommand.build("move", "return", [event])
        [(code, message)] = await pushed(
            central, tmp_path / f"s{n}.db", depot, [(return_id, command)]
        )
        assert code == "stock_refused" and "payload.quantity" in message and words in message
    with central.api(token) as api:
        fetched = api.get(f"/api/v1/returns/{return_id}").json()
        totals = api.get("/api/v1/stock/totals").json()
    assert fetched["status"] == "inspected" and totals == []
