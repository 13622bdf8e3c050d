"""The handheld's proof uploader against the real central: what it sends, what it gives up on.

A file whose bytes changed on disk after the delivery (central answers 422)
and a file gone from disk are marked refused with the reason and never sent
again; the sync bar of the courier's pages names them. A good file is sent
once and marked uploaded. A file cut off mid-upload continues from the
offset central reports.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx

from edge import commands as c
from edge.context import EdgeContext, Identity, enroll
from edge.node import EdgeNode
from edge.pages.site import Site, sync_bar
from edge.proof_upload import ProofUploader
from edge.proofs import proof_folder, save_proof
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.vocab import Role
from sync import SyncClient
from sync.http_transport import HttpChannel

from .browser.world import create_shipment
from .edge_pages_helpers import png
from .server_helpers import routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


async def test_changed_or_missing_files_are_refused_for_good(
    central: Central, names: Names, tmp_path: Path
) -> None:
    ids = [create_shipment(central, names, f"upload-{n}")["id"] for n in range(3)]
    await routed(central, names, tmp_path, ids, db="router.db")
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    db = tmp_path / "hh.db"
    async with await EdgeStore.open(db) as store:
        await enroll(
            store, Identity(hh_id, Role.COURIER, names.depot, names.courier, central.url, token)
        )
    handheld = EdgeNode(db, interval=0.1, backoff=Backoff(base=0.05, cap=0.2))
    async with handheld, asyncio.timeout(30):
        assert handheld.loop is not None and handheld.uploader is not None
        while len(await handheld.ctx.store.load(ids)) < 3:
            await handheld.loop.next_round()
        folder = proof_folder(db)
        good, changed, gone = (save_proof(folder, png(n + 2, 2), "photo") for n in range(3))
        # changed and lost before the uploader can see them (it uploads in the background
        # as soon as a delivery names a file)
        await anyio.Path(changed.path).write_bytes(png(9, 9))
        await anyio.Path(gone.path).unlink()
        for doc_id, photo in zip(ids, (good, changed, gone), strict=True):
            await c.deliver(handheld.ctx, doc_id, recipient_name="Ann", photo=photo)
        await handheld.loop.until_idle()
        while await handheld.ctx.store.attachments_waiting():
            await handheld.loop.next_round()
        refused = await handheld.ctx.store.refused_attachments()
        assert sorted(refused) == sorted(
            [
                ("photo", ids[1], "body: its sha256 is not the name it was uploaded under"),
                ("photo", ids[2], "file missing: No such file or directory"),
            ]
        )
        assert await handheld.uploader.upload_waiting() == 0  # nothing is tried again
        bar = await sync_bar(Site(handheld.ctx, handheld.status, folder))
        assert bar.files_waiting == 0
        assert [what for what, _, _ in bar.refused] == ["photo of a delivery"] * 2


async def test_a_cut_upload_continues_from_the_offset_central_holds(
    central: Central, names: Names, tmp_path: Path
) -> None:
    [doc_id] = [create_shipment(central, names, "upload-resume")["id"]]
    await routed(central, names, tmp_path, [doc_id], db="router.db")
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    identity = Identity(hh_id, Role.COURIER, names.depot, names.courier, central.url, token)
    photo_bytes = b"\x89PNG\r\n\x1a\n" + random.Random(17).randbytes(5_000)  # a picture's head
    async with await EdgeStore.open(tmp_path / "hh.db") as store:
        await enroll(store, identity)
        async with HttpChannel(central.url, token) as channel:
            sync = SyncClient(store, channel, device_id=hh_id)
            await sync.sync()
            ctx = EdgeContext(store, identity)
            photo = save_proof(proof_folder(tmp_path / "hh.db"), photo_bytes, "photo")
            await c.deliver(ctx, doc_id, recipient_name="Ann", photo=photo)
            assert (await sync.sync()).rejected == 0
        url = f"{central.url}/sync/proofs/{photo.sha256}"
        async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}) as web:
            cut = await web.put(  # the first 1 500 bytes went through, then the network went
                url,
                params={"doc_id": doc_id},
                content=photo_bytes[:1500],
                headers={"content-range": f"bytes 0-1499/{len(photo_bytes)}"},
            )
            assert cut.status_code == 202
            uploader = ProofUploader(store, central.url, token, wall=lambda: 1, piece=1024)
            try:
                assert await uploader.upload_waiting() == 1
            finally:
                await uploader.stop()
            assert uploader.sent_bytes == len(photo_bytes) - 1500  # not one byte twice
            assert await store.attachments_waiting() == 0
            done = await web.head(url, params={"doc_id": doc_id})
            assert done.headers["proof-stored"] == "complete"
    stored = Path(f"{central.db_path}.proofs") / photo.sha256
    assert stored.read_bytes() == photo_bytes
