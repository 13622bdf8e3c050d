"""Depot relay: serve the sync endpoints to the depot's handhelds on the LAN.

The depot store answers handhelds through a ``HealthRecordingServer(relay=True)``: an
accepted handheld update is stored, shown to the other handhelds at once, and
queued for central attributed to the handheld that wrote it (central checks
it again). Handhelds authenticate with the token they were enrolled with at
the depot (the same device id and token as at central). The health each
handheld reports in its Hello is kept here and forwarded to central in the
depot's own Hello (:mod:`sync.device_health`), nothing else about it.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar import Litestar

from sync.device_health import HealthRecordingServer
from sync.http_transport import sync_router
from sync.live import LocalChangeFeed, live_route

from ._serving import Served, serve
from .errors import NodeStateError
from .store import EdgeStore


class DepotRelay:
    """A uvicorn server on ``host:port``: ``/sync/push``, ``/sync/pull``, ``/sync/live``."""

    def __init__(
        self, store: EdgeStore, host: str, port: int, on_change: Callable[[], object] | None = None
    ):
        self.store = store
        self.host, self.port = host, port
        self._on_change = on_change
        self.server = HealthRecordingServer(
            store, store.device, relay=True, on_change=self._changed
        )
        self.feed = LocalChangeFeed(store)
        self._served: Served | None = None

    async def _changed(self, head: int) -> None:
        await self.feed.publish(head)
        if self._on_change is not None:
            self._on_change()

    async def publish(self) -> None:
        """Poke the handhelds whose scopes changed (after an upstream pull, a command)."""
        await self.feed.publish(await self.store.head())

    async def start(self) -> None:
        """Bind (port 0 picks a free one) and serve; returns once serving."""
        if self._served is not None:
            raise NodeStateError("the depot relay is already serving")
        auth = self.store.authenticate
        app = Litestar(route_handlers=[sync_router(self.server, auth), live_route(self.feed, auth)])
        self._served = serve(app, self.host, self.port, "relay")
        self.port = self._served.port

    async def stop(self) -> None:
        """Stop serving (in-flight requests finish first)."""
        if self._served is not None:
            await self._served.stop()
            self._served = None
