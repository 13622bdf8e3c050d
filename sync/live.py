"""Live pokes: tell connected nodes that their scopes changed, so they pull at once.

:class:`ChangeFeed` is the pub/sub seam. :class:`LocalChangeFeed` fans out in
one process; a PostgreSQL backend would publish the head with ``NOTIFY`` and
run the same matching in every worker on ``LISTEN``. :func:`live_route` is the
Litestar WebSocket handler that central and the depot edge both serve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from litestar import WebSocket, websocket
from litestar.handlers import WebsocketRouteHandler

from protocol.permissions import Device
from protocol.wire import Poke, Scope, msgpack_encoder

from .http_transport import Authenticate, TransportError, authorize, bearer_token
from .ports import UpdateLog
from .scopes import device_scopes, matches
from .tasks import cancel_and_wait


class Subscription:
    """One connected device's mailbox; holds only the latest poke."""

    def __init__(self, device: Device):
        self.device = device
        self.scopes: list[Scope] = device_scopes(device)
        self._queue: asyncio.Queue[Poke] = asyncio.Queue(maxsize=1)
        self.ended = asyncio.Event()  # set when the device may no longer listen

    def offer(self, poke: Poke) -> None:
        """Deliver ``poke``, replacing one not yet sent (only the newest cursor matters)."""
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(poke)

    async def next(self) -> Poke:
        """Wait for the next poke."""
        return await self._queue.get()


class ChangeFeed(Protocol):
    """Where "the log moved to ``head``" is published and devices subscribe."""

    async def publish(self, head: int) -> None: ...

    def subscribe(self, device: Device) -> AbstractContextManager[Subscription]: ...

    def disconnect(self, device_id: str) -> int: ...

    async def head(self) -> int: ...


class LocalChangeFeed:
    """In-process fan-out: finds which scopes changed since the last publish."""

    def __init__(self, store: UpdateLog):
        self._store = store
        self._subs: set[Subscription] = set()
        self._seen = -1
        self._lock = asyncio.Lock()

    async def head(self) -> int:
        """The store's current log head."""
        return await self._store.head()

    async def publish(self, head: int) -> None:
        """Poke every subscriber whose scopes saw a log row up to ``head``."""
        async with self._lock:
            if self._seen < 0:
                self._seen = max(0, head - 1)
            if head <= self._seen or not self._subs:
                self._seen = max(self._seen, head)
                return
            keys = await self._store.scopes_logged(self._seen, head)
            self._seen = head
        poke = Poke(cursor=head)
        for sub in list(self._subs):
            if any(matches(sub.scopes, k) for k in keys):
                sub.offer(poke)

    def disconnect(self, device_id: str) -> int:
        """End the subscriptions of ``device_id`` (revoked or re-keyed); returns how many."""
        ended = [sub for sub in self._subs if sub.device.id == device_id]
        for sub in ended:
            sub.ended.set()
        return len(ended)

    @contextmanager
    def subscribe(self, device: Device) -> Iterator[Subscription]:
        """A subscription for ``device`` for the duration of the ``with`` block."""
        sub = Subscription(device)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)


async def _until_disconnect(socket: WebSocket[Any, Any, Any]) -> None:
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return


REVOKED = 4401


async def _pump(socket: WebSocket[Any, Any, Any], sub: Subscription) -> None:
    """Send pokes until the client leaves, or close with 4401 when the device is revoked."""
    closed = asyncio.ensure_future(_until_disconnect(socket))
    ended = asyncio.ensure_future(sub.ended.wait())
    try:
        while True:
            nxt = asyncio.ensure_future(sub.next())
            done, _ = await asyncio.wait({nxt, closed, ended}, return_when=asyncio.FIRST_COMPLETED)
            if closed in done or ended in done:
                nxt.cancel()
                if ended in done and closed not in done:
                    await socket.close(code=REVOKED, reason="revoked: enrol the device again")
                return
            await socket.send_bytes(msgpack_encoder.encode(nxt.result()))
    finally:
        for task in (closed, ended):
            await cancel_and_wait(task)


def live_route(
    feed: ChangeFeed | Callable[[], ChangeFeed],
    authenticate: Authenticate,
    *,
    path: str = "/sync/live",
) -> WebsocketRouteHandler:
    """``WS {path}``: token as Bearer header or ``?token=``; sends msgpack ``Poke`` frames.

    ``feed`` may be a callable returning the feed (resolved per connection).
    A subscription ended by :meth:`LocalChangeFeed.disconnect` (the device was
    revoked) closes the socket with 4401.
    """

    def current() -> ChangeFeed:
        return feed() if callable(feed) else feed

    @websocket(path)
    async def live(socket: WebSocket[Any, Any, Any]) -> None:
        try:
            token = bearer_token(
                socket.headers.get("authorization"), socket.query_params.get("token")
            )
            device = await authorize(authenticate, token)
        except TransportError as exc:
            await socket.close(code=REVOKED, reason=str(exc)[:120])
            return
        await socket.accept()
        hub = current()
        with hub.subscribe(device) as sub:
            sub.offer(Poke(cursor=await hub.head()))
            await _pump(socket, sub)

    return live
