"""Edge nodes (a depot, a courier's handheld) working against the real central over HTTP."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from edge.context import EdgeContext
from protocol.permissions import Device
from protocol.vocab import Role
from sync import SyncClient
from sync.http_transport import HttpChannel

from ._edge_world import Wall, node

if TYPE_CHECKING:
    from .server_fixtures import Central, Names


def central_now_ms(central: Central) -> int:
    """Central's wall clock (its HTTP ``Date``), never the test machine's calendar."""
    answer = httpx.get(central.url + "/office/login", timeout=10)
    return int(email.utils.parsedate_to_datetime(answer.headers["date"]).timestamp() * 1000)


def day_after(day: dt.date, days: int) -> str:
    return (day + dt.timedelta(days=days)).isoformat()


@dataclass
class Edge:
    ctx: EdgeContext
    client: SyncClient

    async def sync(self) -> None:
        """Push what this node wrote, then pull; nothing may be refused."""
        report = await self.client.sync()
        assert report.rejected == 0, await self.ctx.store.quarantined()


@asynccontextmanager
async def edge_node(
    central: Central, names: Names, path: Path, role: Role, courier: str = ""
) -> AsyncIterator[Edge]:
    """A depot or courier node enrolled at central, its clock started at central's."""
    keys = {"depot_id": names.depot} | ({"courier_id": courier} if courier else {})
    device_id, token = central.enrol(role.value, **keys)
    device = Device(device_id, role, depot_id=names.depot, courier_id=courier or None)
    ctx = await node(path, device, wall=Wall(central_now_ms(central)))
    try:
        async with HttpChannel(central.url, token) as channel:
            edge = Edge(ctx, SyncClient(ctx.store, channel, device_id=device_id))
            await edge.sync()
            yield edge
    finally:
        await ctx.close()
