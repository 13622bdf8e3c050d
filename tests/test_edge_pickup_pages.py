"""The courier's reverse pickup pages over HTTP against a real handheld node (offline,
in-process): the return on today's route, what to collect, the pickup with its proof,
a refusal next to its field that changes nothing."""

from __future__ import annotations

from pathlib import Path

from edge.proofs import proof_folder

from ._edge_world import DAY, named_id, return_command, snapshot
from .edge_pages_helpers import CSRF, client, data_url, handheld_pages, png, sign_in, token
from .test_edge_pages import error_of

MINE, OTHERS = named_id("test-return", "p1"), named_id("test-return", "p2")


async def test_the_courier_picks_up_a_return_on_todays_route_with_proof(tmp_path: Path) -> None:
    commands = [
        return_command("p1", skus=("SKU-1", "SKU-2"), day=DAY),
        return_command("p2", courier="C2", day=DAY),
    ]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        route = await web.get("/")
        assert f'data-return="{MINE}"' in route.text and OTHERS not in route.text
        assert "Calea Victoriei 15" in route.text and "pick up 4 unit(s)" in route.text
        pickup = await web.get(f"/pickups/{MINE}")
        assert pickup.status_code == 200
        assert '<li data-sku="SKU-1"><b>2 &times;</b> SKU-1</li>' in pickup.text
        assert (await web.get(f"/pickups/{OTHERS}")).status_code == 404
        scanned = await web.post("/scan", data={"code": MINE, CSRF: token(route)})
        assert (scanned.status_code, scanned.headers["location"]) == (303, f"/pickups/{MINE}")
        other = await web.post("/scan", data={"code": OTHERS, CSRF: token(route)})
        assert other.status_code == 404

        before = await snapshot(hh.ctx.store)
        bad = await web.post(
            f"/pickups/{MINE}",
            data={"handed_by": "Radu", "signature": "data:text/plain,hi", CSRF: token(pickup)},
        )
        assert bad.status_code == 400 and "PNG data URL" in error_of(bad.text, "signature")
        assert await snapshot(hh.ctx.store) == before
        assert not list(proof_folder(hh.db).glob("*"))

        done = await web.post(
            f"/pickups/{MINE}",
            data={
                "handed_by": "Radu Ionescu",
                "signature": data_url(png()),
                "lat": "44.4",
                "lon": "26.1",
                CSRF: token(pickup),
            },
        )
        assert done.status_code == 303
        after = await web.get(f"/pickups/{MINE}")
        assert "picked up from Radu Ionescu" in after.text and 'id="picked-up"' in after.text
        again = await web.post(f"/pickups/{MINE}", data={CSRF: token(after)})
        assert again.status_code == 409 and "already picked_up" in error_of(again.text, "pickup")
        [row] = await hh.ctx.store.query(
            "SELECT payload FROM p_events WHERE doc_id = ? AND type = 'picked_up'", (MINE,)
        )
        assert '"handed_by":"Radu Ionescu"' in row[0] and '"lat":44.4' in row[0]
        assert await hh.ctx.store.attachments_waiting() == 1
