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

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator

import uvicorn
from litestar import Litestar

from sync.device_health import HealthRecordingServer
from sync.http_transport import sync_router
from sync.live import LocalChangeFeed, live_route

from .errors import NodeStateError
from .store import EdgeStore


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the node's event loop: whoever runs the node handles the signals.

    uvicorn's own SIGINT handling would stop the relay before the node's owner
    has stopped the handhelds that sync through it (their syncs then fail).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


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
        self._uvicorn: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def _changed(self, head: int) -> None:
        await self.feed.publish(head)
        if self._on_change is not None:
            self._on_change()

    async def publish(self) -> None:
        """Poke the handhelds whose scopes changed (after an upstream pull, a command)."""
        await self.feed.publish(await self.store.head())

    async def start(self) -> None:
        """Bind (port 0 picks a free one) and serve; returns once serving."""
        if self._task is not None:
            raise NodeStateError("the depot relay is already serving")
        auth = self.store.authenticate
        app = Litestar(route_handlers=[sync_router(self.server, auth), live_route(self.feed, auth)])
        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise NodeStateError(
                f"relay cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._uvicorn = _EmbeddedServer(config)
        # The socket listens already: connections wait in its backlog until uvicorn runs.
        self._task = asyncio.create_task(self._uvicorn.serve([sock]), name="edge-relay")

    async def stop(self) -> None:
        """Stop serving (in-flight requests finish first)."""
        if self._uvicorn is None or self._task is None:
            return
        self._uvicorn.should_exit = True
        await self._task
        self._uvicorn = self._task = None
