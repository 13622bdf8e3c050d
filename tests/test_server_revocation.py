"""Revocation over the wire: a device's open sockets close the moment it is revoked."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest
from pycrdt import YMessageType, YSyncMessageType, write_message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from protocol.commands import DocCommand
from server.yjs.protocol import update_frame
from sync import commit_commands

from .server_helpers import delivery_events, node, routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(scope="module")
def central(central_each: Central) -> Central:
    """Every test here runs on SQLite and on PostgreSQL with 2 workers."""
    return central_each


EMPTY_STATE_VECTOR = b"\x00"


async def _closed(socket: ClientConnection) -> int | None:
    """The close code, once the server closed ``socket``."""
    with anyio.fail_after(10), suppress(ConnectionClosed):
        async for _ in socket:
            pass
    await socket.wait_closed()
    return socket.close_code


async def test_revocation_closes_the_devices_open_sockets_at_once(
    central: Central, names: Names, tmp_path: Path
):
    [doc_id] = await seed(central, names, 1)
    await routed(central, names, tmp_path, [doc_id])
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        events = delivery_events(hh_id, names.courier, 1000)
        command = DocCommand.build("deliver", "shipment", events)
        await commit_commands(handheld.store, [(doc_id, command)], device_id=hh_id)
        [entry] = await handheld.store.outbox_pending(10)
    ws = central.url.replace("http://", "ws://")
    auth = {"authorization": f"Bearer {hh_token}"}
    async with (
        connect(f"{ws}/sync/live", additional_headers=auth) as live,
        connect(f"{ws}/yjs/{doc_id}", additional_headers=auth) as yjs,
    ):
        await live.recv()  # the first poke: subscribed
        step1 = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1])
        await yjs.send(step1 + write_message(EMPTY_STATE_VECTOR))
        await yjs.recv()  # the server's step 2: the socket is in the document's room
        async with httpx.AsyncClient(
            base_url=central.url, headers={"authorization": f"Bearer {central.office_token}"}
        ) as office:
            answer = await office.post(f"/api/v1/devices/{hh_id}/revoke")
        assert answer.status_code == 200, answer.text
        with suppress(ConnectionClosed):  # a write after the revocation (if still open)
            await yjs.send(update_frame(entry.update))
        assert await _closed(live) == 4401
        assert await _closed(yjs) == 4401
    with central.api() as api:
        shipment = api.get(f"/api/v1/shipments/{doc_id}").json()
    assert shipment["status"] != "delivered", "a revoked device's socket still wrote"
