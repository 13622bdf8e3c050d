"""A handheld behind its depot: its proof files reach central through the depot relay.

Real central process; the depot and the handheld are ``EdgeNode``\\ s over
HTTP (the handheld's upstream is the depot relay). The handheld uploads its
files to the depot, the depot forwards them to central as itself, and
central serves them to the office. The relay refuses what central refuses.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from edge import commands as c
from edge.context import Identity, enroll
from edge.node import EdgeNode
from edge.proofs import proof_folder, save_proof
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.permissions import Device
from protocol.vocab import Role

from .browser.world import create_shipment, office_session
from .edge_pages_helpers import png
from .server_helpers import routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


async def _enrolled(path: Path, identity: Identity) -> None:
    async with await EdgeStore.open(path) as store:
        await enroll(store, identity)


async def _until(node: EdgeNode, done: Callable[[], Awaitable[bool]]) -> None:
    assert node.loop is not None
    async with asyncio.timeout(30):
        while not await done():
            await node.loop.next_round()


async def test_proofs_travel_through_the_depot_relay(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = create_shipment(central, names, "relay-proof")
    await routed(central, names, tmp_path, [shipment["id"]], db="router.db")
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    fast = {"interval": 0.1, "backoff": Backoff(base=0.05, cap=0.2)}
    depot_db, hh_db = tmp_path / "depot.db", tmp_path / "hh.db"
    await _enrolled(
        depot_db, Identity(depot_id, Role.DEPOT, names.depot, "", central.url, depot_token)
    )
    depot = EdgeNode(depot_db, listen=("127.0.0.1", 0), **fast)  # type: ignore[arg-type]
    async with depot:
        assert depot.relay is not None
        await depot.ctx.store.enroll(
            Device(hh_id, Role.COURIER, names.depot, names.courier),
            label="handheld",
            token=hh_token,
        )
        relay = f"http://127.0.0.1:{depot.relay.port}"
        await _enrolled(
            hh_db, Identity(hh_id, Role.COURIER, names.depot, names.courier, relay, hh_token)
        )
        handheld = EdgeNode(hh_db, **fast)  # type: ignore[arg-type]
        async with handheld:
            signature = save_proof(proof_folder(hh_db), png(5, 5, shade=30), "signature")
            await _until(handheld, lambda: _holds(handheld, shipment["id"]))
            await c.deliver(handheld.ctx, shipment["id"], recipient_name="Ann", signature=signature)

            async with httpx.AsyncClient(base_url=relay) as web:
                forged = await web.put(
                    f"/sync/proofs/{hashlib.sha256(b'x').hexdigest()}",
                    params={"doc_id": shipment["id"]},
                    content=b"x",
                    headers={"authorization": f"Bearer {hh_token}"},
                )
            assert forged.status_code == 409  # no delivery names that file

            async def handheld_sent() -> bool:
                return await handheld.ctx.store.attachments_waiting() == 0

            async def depot_sent() -> bool:
                waiting = await depot.ctx.store.attachments_waiting()
                return waiting == 0 and await depot.ctx.store.attachment_known(signature.sha256)

            await _until(handheld, handheld_sent)
            await _until(depot, depot_sent)
    with office_session(central) as office:
        served = office.get(f"/office/proofs/{signature.sha256}")
        assert served.status_code == 200 and served.content == png(5, 5, shade=30)
        page = office.get(f"/office/shipments/{shipment['id']}").text
        assert f'src="/office/proofs/{signature.sha256}"' in page and hh_id in page


async def _holds(node: EdgeNode, doc_id: str) -> bool:
    return bool(await node.ctx.store.load([doc_id]))
