"""The depot desk pages over HTTP against a real depot node: staff sign-in and the cash desk.

The depot node syncs with an in-process central (``_edge_world.Central``);
a courier's handheld collected a COD and handed the cash over first.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from edge import commands as c
from edge.node import EdgeNode
from edge.pages.desk_handhelds import verdict
from edge.pages.pin import set_pin
from edge.pages.session import staff_key
from protocol.ids import make_tracking_number
from protocol.wire import DeviceHealth, RelayedHealth

from ._edge_world import (
    DEPOT_DEVICE,
    Central,
    Wall,
    handheld,
    node,
    seed,
    shipment_command,
    snapshot,
)
from .edge_pages_helpers import CSRF, token

STAFF, PIN = "ana", "1357"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[EdgeNode, str]]:
    """A depot node with its desk pages, holding one handover of EUR 25.00 to count."""
    courier = handheld()
    central = await Central.open(tmp_path / "central.db", [courier])
    await seed(central.store, [shipment_command(1, cod=2500)])
    hh = await node(tmp_path / "hh.db", courier)
    await central.client(hh).sync()
    await c.collect(hh, make_tracking_number(1), 2500)
    [handover] = await c.handover(hh)
    await central.client(hh).sync()
    await hh.close()
    async with depot_desk(tmp_path / "depot.db", central) as hub:
        yield hub, handover.handover_id
    await central.store.close()


@asynccontextmanager
async def depot_desk(
    path: Path, central: Central, wall: Wall | None = None
) -> AsyncIterator[EdgeNode]:
    """The depot node at ``path`` (``STAFF``'s PIN set), its desk pages on a free port,
    synced with ``central`` once."""
    depot = await node(path, DEPOT_DEVICE)
    await set_pin(depot.store, staff_key(STAFF), PIN)
    await depot.close()
    hub = EdgeNode(
        path, channel=central.channel(DEPOT_DEVICE), pages=("127.0.0.1", 0), wall=wall or Wall()
    )
    async with hub:
        assert hub.loop is not None
        await hub.loop.until_idle()
        yield hub


def client(hub: EdgeNode) -> httpx.AsyncClient:
    assert hub.pages is not None
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.pages.port}", timeout=10)


def error_of(page: str, field: str) -> str:
    found = re.search(f'id="{field}-error">([^<]*)<', page)
    assert found, page
    return html.unescape(found.group(1))


async def test_staff_sign_in_needs_a_known_staff_id_and_its_pin(desk) -> None:
    hub, _ = desk
    async with client(hub) as web:
        assert (await web.get("/cash")).headers["location"] == "/login"
        form = await web.get("/login")
        for staff, pin in (("ana", "0000"), ("bob", PIN), ("", PIN)):
            answer = await web.post("/login", data={"staff": staff, "pin": pin, CSRF: token(form)})
            assert answer.status_code == 401
            assert error_of(answer.text, "pin") == "unknown staff id or wrong PIN"
        assert (await web.get("/")).status_code == 303
        answer = await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        assert answer.status_code == 303
        assert "Sign out ana" in (await web.get("/")).text


async def test_cash_desk_counts_a_handover_as_the_staff_member(desk) -> None:
    hub, handover_id = desk
    async with client(hub) as web:
        form = await web.get("/login")
        await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        page = await web.get("/cash")
        assert f'data-handover="{handover_id}"' in page.text and "EUR 25.00" in page.text
        csrf = token(page)
        before = await snapshot(hub.ctx.store)
        for amount, status, words in (("abc", 400, "is not an amount"), ("-1", 400, ">= 0")):
            bad = await web.post(
                f"/cash/{handover_id}/count", data={"amount": amount, "currency": "EUR", CSRF: csrf}
            )
            assert bad.status_code == status and words in error_of(bad.text, f"count_{handover_id}")
        assert (
            await web.post(f"/cash/{handover_id}/count", data={"amount": "24.00"})
        ).status_code == 403
        assert await snapshot(hub.ctx.store) == before
        done = await web.post(
            f"/cash/{handover_id}/count", data={"amount": "24.00", "currency": "EUR", CSRF: csrf}
        )
        assert done.status_code == 303
        page = (await web.get("/cash")).text
        assert "counted EUR 24.00 from C1: discrepancy EUR -1.00" in page
        assert "EUR -1.00" in page and "EUR 24.00" in page
        rows = await hub.ctx.store.query(
            "SELECT actor FROM p_events WHERE type = 'counted_at_depot' AND device = ?",
            (DEPOT_DEVICE.id,),
        )
        assert rows == [(f"{DEPOT_DEVICE.id}/{STAFF}",)]
        assert re.search(r'class="by">ana, \d+ s ago<', page)  # who counted it


async def test_cash_desk_deposits_counted_cash_in_batches(desk) -> None:
    hub, handover_id = desk
    async with client(hub) as web:
        form = await web.get("/login")
        await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        csrf = token(await web.get("/cash"))
        await web.post(
            f"/cash/{handover_id}/count", data={"amount": "25.00", "currency": "EUR", CSRF: csrf}
        )
        page = (await web.get("/cash")).text
        assert 'id="deposit-amount" name="amount" inputmode="decimal" value="25.00"' in page
        before = await snapshot(hub.ctx.store)
        for data, field, words in (
            ({"amount": "30.00"}, "deposit", "only EUR 25.00 counted"),
            ({"amount": "ten"}, "deposit", "is not an amount"),
            ({"amount": "5.00", "batch": "slip 7"}, "batch", "is not a batch name"),
        ):
            bad = await web.post("/cash/deposit", data={**data, CSRF: csrf})
            assert bad.status_code in (400, 409) and words in error_of(bad.text, field)
            assert 'aria-invalid="true"' in bad.text
        assert (await web.post("/cash/deposit", data={"amount": "5.00"})).status_code == 403
        assert await snapshot(hub.ctx.store) == before
        done = await web.post(
            "/cash/deposit", data={"amount": "20.00", "batch": "SLIP-0042", CSRF: csrf}
        )
        assert done.status_code == 303
        page = (await web.get("/cash")).text
        assert "deposit SLIP-0042: EUR 20.00 to the bank, EUR 5.00 left to deposit" in page
        assert re.search(r'data-batch="SLIP-0042">.*EUR 20.00.*class="by">ana, ', page)
        again = await web.post(
            "/cash/deposit", data={"amount": "5.00", "batch": "SLIP-0042", CSRF: csrf}
        )
        assert "already recorded" in error_of(again.text, "batch")
        assert await c.undeposited(hub.ctx) == 500


async def test_route_planning_reassigns_and_reorders(desk) -> None:
    hub, _ = desk
    async with client(hub) as web:
        form = await web.get("/login")
        await web.post("/login", data={"staff": STAFF, "pin": PIN, CSRF: token(form)})
        page = await web.get("/routes")
        tn = make_tracking_number(1)
        assert f'data-tracking="{tn}"' in page.text
        doc_id = re.search(r'action="/routes/([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        csrf = token(page)
        before = await snapshot(hub.ctx.store)
        for seq, words in (("x", "a whole number"), ("-3", "a whole number")):
            bad = await web.post(
                f"/routes/{doc_id}",
                data={"courier": "C2", "day": "2024-05-03", "seq": seq, CSRF: csrf},
            )
            assert bad.status_code == 400 and words in error_of(bad.text, f"assign_{doc_id}")
        nobody = await web.post(
            f"/routes/{doc_id}", data={"courier": " ", "day": "2024-05-03", "seq": "4", CSRF: csrf}
        )
        assert "courier id and route day are required" in error_of(nobody.text, f"assign_{doc_id}")
        assert await snapshot(hub.ctx.store) == before
        moved = await web.post(
            f"/routes/{doc_id}",
            data={
                "courier": "C2",
                "day": "2024-05-03",
                "seq": "4",
                "reason": "C1 sick",
                CSRF: csrf,
            },
        )
        assert moved.status_code == 303
        assert "assigned to C2 on 2024-05-03 stop 4" in (await web.get("/routes")).text
        [row] = await c.to_plan(hub.ctx)
        assert (row.courier_id, row.route_day, row.route_seq) == ("C2", "2024-05-03", 4)
        rows = await hub.ctx.store.query(
            "SELECT actor, payload FROM p_events WHERE type = 'reassigned' AND doc_id = ?",
            (doc_id,),
        )
        assert [(a, '"reason":"C1 sick"' in p) for a, p in rows] == [
            (f"{DEPOT_DEVICE.id}/{STAFF}", True)
        ]
        again = await web.post(
            f"/routes/{doc_id}", data={"courier": "C1", "day": "2024-05-03", "seq": "2", CSRF: csrf}
        )
        assert again.status_code == 303
        page = await web.get("/routes")
        assert re.search(r'class="by">ana, \d+ s ago', page.text) and "reassigned 1" in page.text
        rows = await hub.ctx.store.query(
            "SELECT actor FROM p_events WHERE type = 'reassigned' AND doc_id = ?", (doc_id,)
        )
        assert rows == [(f"{DEPOT_DEVICE.id}/{STAFF}",)] * 2


NOW_MS = 1_790_000_000_000


@pytest.mark.parametrize(
    ("seen_s_ago", "health", "level", "words"),
    [
        (30, DeviceHealth(waiting=2, oldest_unsent_age_s=40, last_sync_ms=NOW_MS), "ok", "OK"),
        (30, DeviceHealth(quarantined=2), "act", "2 record(s) refused"),
        (7200, DeviceHealth(quarantined=1), "act", "1 record(s) refused"),
        (7200, DeviceHealth(), "watch", "not heard from for 2 h"),
        (30, DeviceHealth(waiting=9, oldest_unsent_age_s=1800), "watch", "not getting through"),
        (30, None, "watch", "an older app"),
    ],
)
def test_a_handhelds_health_in_one_verdict(
    seen_s_ago: int, health: DeviceHealth | None, level: str, words: str
) -> None:
    record = RelayedHealth("hh-1", NOW_MS - seen_s_ago * 1000, health)
    got_level, got_words = verdict(record, NOW_MS)
    assert got_level == level and words in got_words
