"""Sync with the real central process over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest
from pycrdt import Array, Doc, Map

from protocol.commands import DocCommand
from protocol.events import OutForDelivery, encode_event
from protocol.ids import new_id
from protocol.wire import Hello, Poke, PullRequest, PushItem, PushRequest
from sync import commit_commands
from sync.http_transport import HttpChannel, RemoteRefused
from sync.live_client import listen_live

from .server_helpers import assign, clock, delivery_events, node, routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(scope="module")
def central(central_each: Central) -> Central:
    """Every test here runs on SQLite and on PostgreSQL with 2 workers."""
    return central_each


async def test_round_trip_delivery_reaches_central(central: Central, names: Names, tmp_path: Path):
    ids = await seed(central, names, 3)
    await routed(central, names, tmp_path, ids)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        report = await handheld.sync()
        assert report.pulled_docs == 3
        events = delivery_events(hh_id, names.courier, 1000)
        await commit_commands(
            handheld.store,
            [(ids[0], DocCommand.build("deliver", "shipment", events))],
            device_id=hh_id,
        )
        report = await handheld.sync()
        assert (report.pushed, report.rejected) == (1, 0)
    with central.api() as api:
        shipment = api.get(f"/api/v1/shipments/{ids[0]}").json()
    assert shipment["status"] == "delivered"
    assert shipment["cod_collected"] == 1000


async def test_reassignment_moves_the_document(central: Central, names: Names, tmp_path: Path):
    ids = await seed(central, names, 2)
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    c1_id, c1_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    c2_id, c2_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier2)
    async with (
        node(central, tmp_path / "depot.db", depot_id, depot_token) as depot,
        node(central, tmp_path / "c1.db", c1_id, c1_token) as c1,
        node(central, tmp_path / "c2.db", c2_id, c2_token) as c2,
    ):
        await assign(depot, ids, names.courier)
        await c1.sync()
        await c2.sync()
        assert len(await c1.store.document_ids()) == 2
        c1_cursor, _ = await c1.store.cursor("upstream")
        c2_cursor, _ = await c2.store.cursor("upstream")

        await assign(depot, ids[:1], names.courier2)

        to_c2 = await c2.channel.pull(PullRequest(Hello(c2_id), c2_cursor))
        assert [u.doc_id for u in to_c2.entering] == ids[:1]
        to_c1 = await c1.channel.pull(PullRequest(Hello(c1_id), c1_cursor))
        assert to_c1.leaving == ids[:1]
        await c1.sync()
        await c2.sync()
        assert await c1.store.document_ids() == [ids[1]]
        assert await c2.store.document_ids() == [ids[0]]


async def test_live_poke_after_another_device_pushes(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    _, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    pokes: asyncio.Queue[Poke] = asyncio.Queue()
    connected = asyncio.Event()

    async def on_poke(poke: Poke) -> None:
        await pokes.put(poke)

    listener = asyncio.create_task(
        listen_live(central.ws_url, hh_token, on_poke, retry_min=0.05, connected=connected)
    )
    try:
        with anyio.fail_after(10):
            await connected.wait()
            first = await pokes.get()  # sent on connect: the current head
            async with node(central, tmp_path / "depot.db", depot_id, depot_token) as depot:
                await assign(depot, ids, names.courier)
            poke = await pokes.get()
        assert poke.cursor > first.cursor
    finally:
        listener.cancel()  # and wait: the socket closes before the loop does
        with suppress(asyncio.CancelledError):
            await listener


def _forged_update(state: bytes, device_id: str, courier_id: str) -> bytes:
    """An update appending a courier event to a document, made outside any store."""
    doc: Doc = Doc()
    doc.apply_update(state)
    before = doc.get_state()
    event = OutForDelivery(
        id=new_id(),
        hlc=clock(device_id).now().encode(),
        device=device_id,
        actor=courier_id,
        payload=OutForDelivery.Body(courier_id=courier_id),
    )
    doc.get("events", type=Array).append(Map(encode_event(event)))
    return doc.get_update(before)


async def test_role_rejections_store_nothing(central: Central, names: Names, tmp_path: Path):
    ids = await seed(central, names, 2)
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    c1_id, c1_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    other_id, other_token = central.enrol("depot", depot_id=names.depot + "-other")
    async with (
        node(central, tmp_path / "depot.db", depot_id, depot_token) as depot,
        node(central, tmp_path / "c1.db", c1_id, c1_token) as c1,
    ):
        await assign(depot, ids[:1], names.courier)
        await assign(depot, ids[1:], names.courier2)
        await c1.sync()
        # courier edits info of its own shipment
        edit = DocCommand("edit", "shipment", info={"cod_amount": 1})
        await commit_commands(c1.store, [(ids[0], edit)], device_id=c1_id)
        report = await c1.push()
        assert report.rejected == 1
        assert [q.code for q in await c1.store.quarantined()] == ["forbidden_field"]
        # courier touches a shipment on another route; a foreign depot touches ours
        state = (await depot.store.load([ids[1]]))[ids[1]].state
        for device_id, token, code in (
            (c1_id, c1_token, "out_of_scope"),
            (other_id, other_token, "out_of_scope"),
        ):
            item = PushItem(ids[1], "shipment", _forged_update(state, device_id, names.courier))
            async with HttpChannel(central.url, token) as channel:
                answer = await channel.push(PushRequest(Hello(device_id), [item]))
            assert [(r.accepted, r.code) for r in answer.results] == [(False, code)]
    with central.api() as api:
        for sid in ids:
            shipment = api.get(f"/api/v1/shipments/{sid}").json()
            assert shipment["cod_amount"] >= 1000
            assert [e["type"] for e in shipment["events"]] == ["created"]


async def test_revoked_token_is_refused(central: Central, names: Names):
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with HttpChannel(central.url, token) as channel:
        await channel.pull(PullRequest(Hello(hh_id)))
        with central.api() as api:
            assert api.post(f"/api/v1/devices/{hh_id}/revoke").status_code == 200
            listed = {d["device_id"]: d for d in api.get("/api/v1/devices").json()}
        assert listed[hh_id]["revoked_at"] is not None
        with pytest.raises(RemoteRefused) as refused:
            await channel.pull(PullRequest(Hello(hh_id)))
    assert refused.value.status_code == 401
    async with httpx.AsyncClient(base_url=central.url) as client:
        answer = await client.get("/api/v1/shipments", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 401


async def test_only_office_enrols(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        assert api.post("/api/v1/devices", json={"role": "office"}).status_code == 403
    with central.api() as api:
        bad = api.post("/api/v1/devices", json={"role": "courier", "depot_id": "D"})
    assert bad.status_code == 400
    assert "courier_id" in bad.text
