"""The depot desk's change requests over HTTP against a real depot node syncing with an
in-process central: a merchant's request for a parcel already out, accepted or refused
by the signed-in staff member, the answer reaching the handheld."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge import commands as c
from edge.docs import shipment_by_id
from edge.node import EdgeNode
from protocol.commands import DocCommand
from protocol.events import ChangeRequested, DeliveryFields
from protocol.ids import make_tracking_number

from ._edge_world import DEPOT_DEVICE, T0, Central, Wall, handheld, node, seed, shipment_command
from .edge_pages_helpers import CSRF, token
from .test_edge_desk import PIN, STAFF, client, depot_desk, error_of

TN = make_tracking_number(1)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[EdgeNode, Central, str, str]]:
    """A depot node with its pages; parcel 1 is out with C1 and its merchant asked for
    a later slot."""
    courier = handheld()
    central = await Central.open(tmp_path / "central.db", [courier])
    doc_id, command = shipment_command(1)
    await seed(central.store, [(doc_id, command)])
    hh = await node(tmp_path / "hh.db", courier)
    await central.client(hh).sync()
    await c.out_for_delivery(hh, TN)
    await central.client(hh).sync()
    asked = ChangeRequested(
        id="request-1",
        hlc=f"{T0 + 60_000:013d}.000000.central",
        device="central",
        actor="merchant-dev",
        payload=DeliveryFields(slot_start="17:00", slot_end="19:00", reason="at work"),
    )
    await seed(central.store, [(doc_id, DocCommand.build("request", "shipment", [asked]))])
    await hh.close()
    async with depot_desk(tmp_path / "depot.db", central, Wall(T0 + 120_000)) as hub:
        yield hub, central, doc_id, asked.id
    await central.store.close()


async def test_the_desk_accepts_a_change_request_and_refuses_only_with_a_reason(
    desk, tmp_path: Path
) -> None:
    hub, central, doc_id, request_id = desk
    async with client(hub) as web:
        form = await web.get("/login")
        await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        page = await web.get("/changes")
        assert f'data-request="{request_id}"' in page.text and "slot_start 17:00" in page.text
        action = f"/changes/{doc_id}/{request_id}"
        csrf = token(page)
        no_csrf = await web.post(action, data={"answer": "accept"})
        no_reason = await web.post(action, data={"answer": "refuse", CSRF: csrf})
        other = await web.post(f"/changes/{doc_id}/nope", data={"answer": "accept", CSRF: csrf})
        assert no_csrf.status_code == 403
        assert "reason" in error_of(no_reason.text, f"answer_{request_id}")
        assert other.status_code == 409
        assert "no open change request 'nope'" in error_of(other.text, "changes")
        view = await shipment_by_id(hub.ctx.store, doc_id)
        assert view is not None and view.info.slot_start == ""  # nothing written
        done = await web.post(action, data={"answer": "accept", "reason": "fits", CSRF: csrf})
        assert done.status_code == 303
        after = await web.get("/changes")
        assert "No change requests waiting." in after.text
    assert hub.loop is not None
    await hub.loop.until_idle()
    hh = await node(tmp_path / "hh.db", handheld())
    try:
        await central.client(hh).sync()
        (stop,) = await c.load_route(hh, "2024-05-02")
        assert (stop.slot_start, stop.slot_end) == ("17:00", "19:00")
    finally:
        await hh.close()
    rows = await central.store.query(
        "SELECT actor FROM p_events WHERE type = 'change_answered' AND doc_id = ?", (doc_id,)
    )
    assert rows == [(f"{DEPOT_DEVICE.id}/{STAFF}",)]
