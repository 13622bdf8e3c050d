"""Returns around central, over the wire: the depot's returns desk and webhook filters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from protocol.commands import DocCommand
from protocol.events import Event, ItemInspection, ItemsInspected, ReturnReceived
from protocol.ids import new_id
from protocol.vocab import Disposition, Grade
from sync import commit_commands

from .server_helpers import clock, node
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
