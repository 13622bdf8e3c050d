"""Central's sync routes, built from the transport shared with the depot edge."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from protocol.permissions import Device
from sync.http_transport import MAX_BODY, sync_router
from sync.live import live_route

from ..core import Central


def sync_handlers(central: Central, *, max_body: int = MAX_BODY) -> list[ControllerRouterHandler]:
    """Push/pull (MessagePack or JSON) and the live poke socket, authenticated by token."""

    async def authenticate(token: str) -> Device | None:
        return await central.store.authenticate(token)

    return [
        sync_router(lambda: central.sync, authenticate, max_body=max_body),
        live_route(lambda: central.feed, authenticate),
    ]
