"""The handheld's proof uploader against the real central: what it sends, what it gives up on.

A file whose bytes changed on disk after the delivery (central answers 422)
and a file gone from disk are marked refused with the reason and never sent
again; the sync bar of the courier's pages names them. A good file is sent
once and marked uploaded.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from edge import commands as c
from edge.context import Identity, enroll
from edge.node import EdgeNode
from edge.pages.site import Site, sync_bar
from edge.proofs import proof_folder, save_proof
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.vocab import Role

from .browser.world import create_shipment
from .edge_pages_helpers import png
from .server_helpers import routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def overwrite(path: str) -> None:
    Path(path).write_bytes(png(9, 9))


def remove(path: str) -> None:
    Path(path).unlink()


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
        await c.deliver(handheld.ctx, ids[0], recipient_name="Ann", photo=good)
        # the loop syncs and uploads during any await: a file is spoiled as soon as its
        # delivery returns, before anything else runs
        for doc_id, photo, spoil in ((ids[1], changed, overwrite), (ids[2], gone, remove)):
            await c.deliver(handheld.ctx, doc_id, recipient_name="Ann", photo=photo)
            spoil(photo.path)
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
