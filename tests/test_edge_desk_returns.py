"""The depot's reverse pickups and stock states over HTTP against a real depot node (an
in-process central above it): plan a pickup, grade, quarantine, release, and send back
to the merchant with a drawn signature; each refusal next to its field, changing nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from edge import commands as c
from edge.node import EdgeNode

from ._edge_world import Central, named_id, return_command, seed, snapshot
from .edge_pages_helpers import CSRF, data_url, png, token
from .test_edge_desk import PIN, STAFF, depot_desk, error_of

RETURN = named_id("test-return", "d1")


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[EdgeNode]:
    """A depot node with its desk pages, holding one return still to pick up."""
    central = await Central.open(tmp_path / "central.db", [])
    await seed(central.store, [return_command("d1", courier="", skus=("SKU-1", "SKU-2"))])
    async with depot_desk(tmp_path / "depot.db", central) as hub:
        yield hub
    await central.store.close()


@asynccontextmanager
async def signed_in(hub: EdgeNode) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the desk's staff member."""
    assert hub.pages is not None
    url = f"http://127.0.0.1:{hub.pages.port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as web:
        form = await web.get("/login")
        await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        yield web


async def test_the_desk_plans_a_reverse_pickup(desk: EdgeNode) -> None:
    async with signed_in(desk) as web:
        page = await web.get("/pickups")
        assert f'data-return="{RETURN}"' in page.text and "Calea Victoriei 15" in page.text
        before = await snapshot(desk.ctx.store)
        form = {"courier": "C1", "day": "2024-05-02", "seq": "x", CSRF: token(page)}
        bad = await web.post(f"/pickups/{RETURN}", data=form)
        assert bad.status_code == 400 and "a whole number" in error_of(bad.text, f"assign_{RETURN}")
        assert await snapshot(desk.ctx.store) == before
        done = await web.post(f"/pickups/{RETURN}", data=form | {"seq": "2"})
        assert done.status_code == 303
        assert "pickup assigned to C1 on 2024-05-02 stop 2" in (await web.get("/pickups")).text
    [row] = await c.pickups_to_plan(desk.ctx)
    assert (row.courier_id, row.route_day, row.route_seq) == ("C1", "2024-05-02", 2)


async def test_the_desk_moves_stock_between_states_and_sends_back_signed(desk: EdgeNode) -> None:
    async with signed_in(desk) as web:
        page = await web.get(f"/returns/{RETURN}")
        csrf = token(page)
        assert (await web.post(f"/returns/{RETURN}/receive", data={CSRF: csrf})).status_code == 303
        grades = {"sku_0": "SKU-1", "grade_0": "sellable", "disposition_0": "restock"}
        grades |= {"quantity_0": "2", "sku_1": "SKU-2", "grade_1": "damaged"}
        grades |= {"disposition_1": "quarantine", "quantity_1": "2"}
        graded = await web.post(f"/returns/{RETURN}/inspect", data=grades | {CSRF: csrf})
        assert graded.status_code == 303

        def move(sku: str, source: str, target: str, units: str, **more: str) -> dict[str, str]:
            fields = {"sku": sku, "source": source, "target": target, "quantity": units}
            return fields | more | {CSRF: csrf}

        for fields in (
            move("SKU-2", "graded", "quarantined", "2"),
            move("SKU-2", "quarantined", "available", "1"),
        ):
            assert (await web.post(f"/returns/{RETURN}/move", data=fields)).status_code == 303
        page = await web.get(f"/returns/{RETURN}")
        assert "SKU-2: 1 released to stock; 1 in stock here" in page.text
        assert 'data-sku="SKU-2" data-state="quarantined"' in page.text

        before = await snapshot(desk.ctx.store)
        back = move("SKU-2", "quarantined", "returned_to_merchant", "1", signature=data_url(png()))
        unsigned = await web.post(f"/returns/{RETURN}/move", data=back)
        assert unsigned.status_code == 409
        assert "received_by" in error_of(unsigned.text, "move_returned_to_merchant")
        too_many = await web.post(
            f"/returns/{RETURN}/move", data=move("SKU-2", "available", "disposed", "5")
        )
        assert "only 1 unit(s) available here" in error_of(too_many.text, "move_disposed")
        assert await snapshot(desk.ctx.store) == before
        sent = await web.post(f"/returns/{RETURN}/move", data=back | {"received_by": "Maria (M1)"})
        assert sent.status_code == 303
        stock = await web.get("/returns")
        assert 'data-sku="SKU-2" data-state="returned_to_merchant"' in stock.text
    levels = {(s.sku, s.state): s.quantity for s in await c.stock_levels(desk.ctx)}
    assert levels == {("SKU-2", "available"): 1, ("SKU-2", "returned_to_merchant"): 1}
    [payload] = await desk.ctx.store.query(
        "SELECT payload FROM p_events WHERE doc_id = ? AND type = 'stock_moved' "
        "AND payload LIKE '%returned_to_merchant%'",
        (RETURN,),
    )
    assert '"received_by":"Maria (M1)"' in payload[0] and '"signature_sha256":"' in payload[0]
    assert await desk.ctx.store.attachments_waiting() == 1
