"""Depot relay: serve the sync endpoints to the depot's handhelds on the LAN.

With a proof folder it also takes the handhelds' proof files
(``PUT /sync/proofs/...``, :mod:`sync.proof_http`) and queues them for its own
uploader, which forwards them to central.

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
from pathlib import Path

import anyio
from litestar import Litestar
from litestar.types import ControllerRouterHandler

from sync._records import now_ms
from sync.device_health import HealthRecordingServer
from sync.http_transport import sync_router
from sync.live import LocalChangeFeed, live_route
from sync.proof_http import proof_routes
from sync.proof_parts import PartialUploads

from ._serving import Served, serve
from .errors import NodeStateError
from .proofs import save_proof
from .store import EdgeStore, PendingFile


class RelayedProofs:
    """Proof files a handheld uploaded here: kept beside the replica, forwarded upstream."""

    def __init__(self, relay: DepotRelay, folder: Path):
        self.relay, self.folder = relay, folder

    async def has(self, sha256: str) -> bool:
        known = await self.relay.store.attachment_known(sha256)
        return known and await anyio.Path(self.folder / sha256).exists()

    async def put(self, sha256: str, data: bytes, doc_id: str) -> None:
        saved = await anyio.to_thread.run_sync(save_proof, self.folder, data, "proof")
        await self.relay.store.record_attachment(
            PendingFile(saved.sha256, "proof", saved.path, doc_id), now_ms()
        )
        self.relay.wake()


class DepotRelay:
    """A uvicorn server on ``host:port``: ``/sync/push``, ``/sync/pull``, ``/sync/live``."""

    def __init__(
        self,
        store: EdgeStore,
        host: str,
        port: int,
        on_change: Callable[[], object] | None = None,
        wall: Callable[[], int] | None = None,
        proofs: Path | None = None,
    ):
        """``wall`` (ms): the depot's clock, which bounds the handhelds' HLCs as
        central's bounds the depot's (:mod:`protocol.contents`)."""
        self.store = store
        self.proofs = proofs
        self.host, self.port = host, port
        self._on_change = on_change
        self.server = HealthRecordingServer(
            store, store.device, relay=True, on_change=self._changed, wall=wall
        )
        self.feed = LocalChangeFeed(store)
        self._served: Served | None = None

    async def _changed(self, head: int) -> None:
        await self.feed.publish(head)
        self.wake()

    def wake(self) -> None:
        """Something arrived for upstream: let the node's sync loop run now."""
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
        routes: list[ControllerRouterHandler] = [
            sync_router(self.server, auth),
            live_route(self.feed, auth),
        ]
        if self.proofs is not None:
            sink, parts = RelayedProofs(self, self.proofs), PartialUploads(self.proofs / ".parts")
            routes += proof_routes(self.store, auth, sink, parts)
        app = Litestar(route_handlers=routes)
        self._served = serve(app, self.host, self.port, "relay")
        self.port = self._served.port

    async def stop(self) -> None:
        """Stop serving (in-flight requests finish first)."""
        if self._served is not None:
            await self._served.stop()
            self._served = None
