"""A delivery's proof files are recorded in the same transaction as the delivery.

The replica file itself refuses the write (a trigger failing every outbox
insert, as a full disk would fail the commit): the attachment row, written
earlier in the transaction, must go with it. Once the file accepts writes
again, the delivery and its attachments land together.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge import commands as c
from protocol.ids import make_tracking_number
from tests._edge_world import handheld, node, seed, shipment_command, snapshot


async def test_attachments_commit_or_roll_back_with_the_delivery(tmp_path: Path) -> None:
    hh = await node(tmp_path / "hh.db", handheld())
    try:
        await seed(hh.store, [shipment_command(1)])
        files = {}
        for kind in ("signature", "photo"):
            files[kind] = tmp_path / f"{kind}.png"
            files[kind].write_bytes(f"{kind} pixels".encode())
        proof = {k: c.Attachment.from_file(path) for k, path in files.items()}
        async with hh.store.transaction() as db:
            await db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON outbox "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        before = await snapshot(hh.store)
        with pytest.raises(sqlite3.IntegrityError, match="disk full"):
            await c.deliver(hh, make_tracking_number(1), recipient_name="Ann", **proof)
        assert await snapshot(hh.store) == before

        async with hh.store.transaction() as db:
            await db.execute("DROP TRIGGER refuse")
        done = await c.deliver(hh, make_tracking_number(1), recipient_name="Ann", **proof)
        rows = await hh.store.query(
            "SELECT kind, sha256, path, doc_id FROM edge_attachments ORDER BY kind"
        )
        assert rows == [
            (kind, proof[kind].sha256, str(files[kind]), done.doc_id)
            for kind in ("photo", "signature")
        ]
        assert (await hh.store.outbox_stats()).waiting == 1
    finally:
        await hh.close()
