"""The dashboard's event stream over a real store and change feed (no HTTP)."""

from __future__ import annotations

import anyio

from protocol.permissions import Device
from protocol.vocab import Role
from server.office.web.events import head_events
from server.store import CentralStore
from sync.live import LocalChangeFeed
from tests._edge_world import seed, shipment_command

OFFICE = Device("office-web", Role.OFFICE)


async def test_a_burst_of_writes_arrives_as_one_event_with_the_newest_head(tmp_path):
    async with await CentralStore.open(tmp_path / "central.db") as store:
        feed = LocalChangeFeed(store)
        stream = head_events(feed, OFFICE)
        with anyio.fail_after(10):
            first = await anext(stream)
            for serial in (1, 2, 3):
                await seed(store, [shipment_command(serial)])
                await feed.publish(await store.head())
            newest = await anext(stream)
        await stream.aclose()
        assert (first.event, first.data) == ("head", "0")
        assert (newest.event, newest.data, newest.id) == (
            "head",
            str(await store.head()),
            await store.head(),
        )


async def test_a_stream_ends_by_itself_after_its_lifetime(tmp_path):
    async with await CentralStore.open(tmp_path / "central.db") as store:
        stream = head_events(LocalChangeFeed(store), OFFICE, lifetime=0.05)
        with anyio.fail_after(10):
            messages = [message async for message in stream]
        assert [m.data for m in messages] == ["0"]
