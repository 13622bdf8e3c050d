"""EdgeNode: one handheld or depot replica with its background sync (and relay).

::

    async with EdgeNode("hh.db", channel=channel) as node:   # or upstream=URL, token=T
        await commands.deliver(node.ctx, "PS000000015NL", recipient_name="Ann")
        print(await node.status())

With ``live=True`` it holds the upstream's WebSocket and pulls on every poke.
A depot node given ``listen=(host, port)`` also serves the sync endpoints to
its handhelds (:class:`edge.relay.DepotRelay`) and wakes its upstream loop
whenever a handheld pushed, so relayed updates reach central promptly. A
handheld given ``pages=(host, port)`` serves its courier's pages
(:mod:`edge.pages`) there, with or without an upstream. Over HTTP, proof
files upload after each good sync round (:mod:`edge.proof_upload`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from protocol.commands import DocCommand
from protocol.vocab import Role
from protocol.wire import Poke
from sync import Channel, SyncClient
from sync.http_transport import HttpChannel
from sync.live_client import listen_live
from sync.tasks import cancel_and_wait

from ._serving import Served, serve
from .context import EdgeContext, wall_ms
from .errors import NodeStateError, NotEnrolled
from .pages import Site, depot_app, handheld_app, pages_secret
from .proof_upload import ProofUploader
from .proofs import proof_folder
from .relay import DepotRelay
from .status import UPSTREAM, NodeStatus, node_status
from .sync_loop import Backoff, SyncLoop

# An idle sync round writes nothing; the stored time of the last sync (what
# ``parcelsync edge status`` in another process shows) is refreshed this often.
HEARTBEAT_MS = 10 * 60 * 1000
# Anti-entropy now and then: every this many rounds (about 10 minutes at the default
# 5 s interval, and on the first round) the node compares its state vectors with the
# upstream's (one small request when nothing differs) and gives back what it lacks.
CHECK_EVERY_ROUNDS = 120


class EdgeNode:
    """A long-lived edge service: ``start``/``stop`` or ``async with``."""

    def __init__(
        self,
        db: str | Path,
        *,
        channel: Channel | None = None,
        upstream: str | None = None,
        token: str | None = None,
        listen: tuple[str, int] | None = None,
        pages: tuple[str, int] | None = None,
        interval: float = 5.0,
        backoff: Backoff | None = None,
        live: bool = False,
        wall: Callable[[], int] = wall_ms,
        batch: int = 200,
    ):
        self.db = db
        self._channel = channel
        self._upstream, self._token = upstream, token
        self._listen_at = listen
        self._pages_at = pages
        self.pages: Served | None = None
        self._interval, self._live = interval, live
        self._backoff = backoff or Backoff()
        self._wall = wall
        self._batch = batch
        self._ctx: EdgeContext | None = None
        self.loop: SyncLoop | None = None
        self.relay: DepotRelay | None = None
        self._owned_channel: HttpChannel | None = None
        self.uploader: ProofUploader | None = None
        self._listener: asyncio.Task[None] | None = None

    @property
    def ctx(self) -> EdgeContext:
        """The command context (store, identity, clock); only while started."""
        if self._ctx is None:
            raise NodeStateError("the edge node is not started")
        return self._ctx

    async def start(self) -> None:
        """Open the replica, start the sync loop and, for a depot, the relay."""
        if self._ctx is not None:
            raise NodeStateError("the edge node is already started")
        ctx = self._ctx = await EdgeContext.open(self.db, wall=self._wall)
        try:
            client = SyncClient(
                ctx.store,
                self._make_channel(ctx),
                device_id=ctx.device_id,
                upstream=UPSTREAM,
                batch=self._batch,
                replay_filter=self._still_ours,
                heartbeat_ms=HEARTBEAT_MS,
                check_every=CHECK_EVERY_ROUNDS,
            )
            self.loop = SyncLoop(
                client,
                interval=self._interval,
                backoff=self._backoff,
                wall=self._wall,
                after_round=self._publish,
            )
            ctx.on_commit.append(self.loop.wake)
            if self._listen_at is not None:
                if ctx.identity.role != Role.DEPOT:
                    raise NodeStateError("only a depot node serves handhelds (--listen)")
                self.relay = DepotRelay(
                    ctx.store,
                    *self._listen_at,
                    on_change=self.loop.wake,
                    proofs=proof_folder(self.db),
                    wall=self._wall,
                )
                await self.relay.start()
            if self.uploader is not None:
                await self.uploader.start()
            await self.loop.start()
            if self._pages_at is not None:
                await self._serve_pages(ctx, *self._pages_at)
            if self._live:
                self._listener = asyncio.create_task(self._listen(ctx), name="edge-live")
        except BaseException:
            await self._close()
            raise

    async def _serve_pages(self, ctx: EdgeContext, host: str, port: int) -> None:
        """Serve the courier's (or the depot desks') pages on ``host:port`` (0: a free port)."""
        site = Site(ctx, self.status, proof_folder(self.db))
        make = handheld_app if ctx.identity.role == Role.COURIER else depot_app
        app = make(site, await pages_secret(ctx.store))
        self.pages = serve(app, host, port, "pages")

    def _make_channel(self, ctx: EdgeContext) -> Channel:
        if self._channel is not None:
            return self._channel
        url = self._upstream or ctx.identity.upstream
        token = self._token or ctx.identity.token
        if not url or not token:
            raise NotEnrolled("no upstream URL or token: pass --upstream and --token, or enrol")
        self._owned_channel = HttpChannel(url, token, compress=True)
        self.uploader = ProofUploader(ctx.store, url, token, wall=self._wall)
        return self._owned_channel

    async def _publish(self) -> None:
        if self.relay is not None:
            await self.relay.publish()
        if self.uploader is not None and self.loop is not None and not self.loop.last_error:
            self.uploader.wake()

    async def _listen(self, ctx: EdgeContext) -> None:
        """Hold the live socket to the upstream; each poke starts a round at once."""
        url = (self._upstream or ctx.identity.upstream).replace("http", "ws", 1)
        loop = self.loop
        assert loop is not None

        async def on_poke(poke: Poke) -> None:
            await loop.poked(poke.cursor)

        await listen_live(
            f"{url.rstrip('/')}/sync/live",
            self._token or ctx.identity.token,
            on_poke,
            retry_max=self._backoff.cap,
        )

    async def _still_ours(self, doc_id: str, command: DocCommand) -> bool:
        """Replay a pending command after a resync only if the document is still ours."""
        identity = self.ctx.identity
        stored = (await self.ctx.store.load([doc_id])).get(doc_id)
        if stored is None:
            return False
        depot, courier, _ = stored.scope
        if identity.role == Role.COURIER:
            return courier == identity.courier_id
        return depot == identity.depot_id

    async def stop(self) -> None:
        """Stop the loop and the relay, then close the replica."""
        if self._ctx is None:
            raise NodeStateError("the edge node is not started")
        await self._close()

    async def _close(self) -> None:
        await cancel_and_wait(self._listener)
        if self.loop is not None:
            await self.loop.stop()
        if self.relay is not None:
            await self.relay.stop()
        if self.pages is not None:
            await self.pages.stop()
        if self.uploader is not None:
            await self.uploader.stop()
        if self._owned_channel is not None:
            await self._owned_channel.aclose()
        if self._ctx is not None:
            await self._ctx.close()
        self._ctx, self.loop, self.relay, self._owned_channel = None, None, None, None
        self._listener, self.pages, self.uploader = None, None, None

    async def status(self) -> NodeStatus:
        """Sync health: last sync, waiting items, quarantine, cursor lag."""
        synced = self.loop.last_sync_ms if self.loop is not None else None
        return await node_status(self.ctx.store, self._wall(), synced)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
