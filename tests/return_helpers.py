"""Returns around central, over the wire: the depot's returns desk and webhook filters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.context import Identity, enroll
from edge.node import EdgeNode
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.commands import DocCommand
from protocol.events import Event, ItemInspection, ItemsInspected, ReturnReceived
from protocol.ids import new_id
from protocol.vocab import Disposition, Grade, Role
from sync import commit_commands

from .server_helpers import clock, deliver, node
from .webhook_receiver import Receiver

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

SELLABLE_SKU_1 = ItemInspection(sku="SKU-1", grade=Grade.SELLABLE, disposition=Disposition.RESTOCK)


def of_kind(hook: Receiver, kind: str) -> list[dict[str, Any]]:
    """The deliveries of event ``kind`` the receiver accepted so far."""
    with hook.changed:
        return [d for d in hook.delivered if d["event"] == kind]


async def grade_return(
    central: Central,
    names: Names,
    tmp_path: Path,
    return_id: str,
    items: tuple[ItemInspection, ...] = (SELLABLE_SKU_1,),
    *,
    received: bool = True,
    graded: bool = True,
) -> None:
    """The depot's returns desk receives the parcel and/or grades its items, then pushes."""
    depot_id, token = central.enrol("depot", depot_id=names.depot)
    hlc = clock(depot_id)
    common: dict[str, Any] = {"device": depot_id, "actor": f"{depot_id}/returns-desk"}
    events: list[Event] = []
    if received:
        body = ReturnReceived.Body(depot_id=names.depot)
        events.append(ReturnReceived(id=new_id(), hlc=hlc.now().encode(), payload=body, **common))
    if graded:
        inspected = ItemsInspected.Body(items=list(items))
        events.append(
            ItemsInspected(id=new_id(), hlc=hlc.now().encode(), payload=inspected, **common)
        )
    async with node(central, tmp_path / "returns.db", depot_id, token) as depot:
        await depot.sync()
        command = DocCommand.build("grade", "return", events)
        await commit_commands(depot.store, [(return_id, command)], device_id=depot_id)
        assert (await depot.push()).rejected == 0


SOLD = [
    {"sku": "SKU-A", "quantity": 2, "unit_price": 1500},
    {"sku": "SKU-B", "quantity": 1, "unit_price": 900},
]


async def sold_and_delivered(
    central: Central, names: Names, tmp_path: Path, token: str, ref: str
) -> str:
    """A shipment of ``SOLD`` items created by the merchant (``token``) and delivered."""
    order = {"order_ref": ref, "currency": "EUR", "depot_id": names.depot, "items": SOLD}
    order |= {"recipient_name": "Ilinca Popescu", "address": "Strada Lipscani 12"}
    order |= {"postcode": "030031", "city": "Bucuresti", "cod_amount": 2500}
    with central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=order)
    assert answer.status_code == 201, answer.text
    shipment_id: str = answer.json()["id"]
    await deliver(central, names, tmp_path, shipment_id)
    return shipment_id


@asynccontextmanager
async def edge_node(
    central: Central, names: Names, path: Path, role: Role
) -> AsyncIterator[EdgeNode]:
    """A started edge node (the test's depot, or its courier's handheld) syncing with
    central over HTTP."""
    courier = names.courier if role == Role.COURIER else ""
    keys = {"depot_id": names.depot} | ({"courier_id": courier} if courier else {})
    device_id, token = central.enrol(role.value, **keys)
    store = await EdgeStore.open(path)
    identity = Identity(device_id, role, names.depot, courier, central.url, token)
    await enroll(store, identity)
    await store.close()
    node_ = EdgeNode(path, interval=0.05, backoff=Backoff(base=0.01, cap=0.05))
    async with node_, asyncio.timeout(30):
        yield node_


async def synced(edge: EdgeNode) -> None:
    """Wait until the node pushed everything and pulled once more."""
    assert edge.loop is not None
    await edge.loop.until_idle()
    await edge.loop.next_round()
