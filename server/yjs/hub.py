"""Who has which document open over ``/yjs``: rooms of peers, fan-out of frames.

One :class:`YjsHub` belongs to :class:`server.core.Central`. It holds no
document content: only, per open document, the set of connected :class:`Peer`
objects, each with a small outgoing queue drained by one writer task (so a
socket is written by a single task, in order, and a slow client cannot stall
the others), and a cursor over the update log: after every write central calls
:meth:`YjsHub.follow`, which relays each logged update of an open document to
its room, whichever way it came in (``/sync/push``, the merchant API, a socket).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import WebSocket

from protocol.permissions import Device
from protocol.wire import Scope
from sync._records import ScopeKeys
from sync.scopes import device_scopes, matches
from sync.store import ReplicaStore

from .protocol import update_frame

MAX_QUEUED = 512
OVERFLOW_CODE = 1013  # "try again later": the client reconnects and resyncs


class Peer:
    """One connected socket: its device, read scopes and outgoing queue."""

    def __init__(self, socket: WebSocket[Any, Any, Any], device: Device):
        self.socket = socket
        self.device = device
        self.scopes: list[Scope] = device_scopes(device)
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=MAX_QUEUED)
        self.overflowed = False
        self.ended: tuple[int, str] | None = None  # (close code, reason) once told to end

    def end(self, code: int, reason: str) -> None:
        """Close this socket as soon as the writer gets to it; nothing more is sent or taken."""
        self.ended = (code, reason)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def send(self, frame: bytes) -> None:
        """Queue ``frame``; a peer too far behind is dropped (it resyncs on reconnect)."""
        if self.overflowed or self.ended:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            self._queue.get_nowait()
            self._queue.put_nowait(None)

    def may_read(self, keys: ScopeKeys) -> bool:
        """True when a document with scope ``keys`` is in this peer's scopes."""
        return matches(self.scopes, keys)

    async def drain(self) -> None:
        """Write queued frames until the queue says stop (overflow) or the task is cancelled."""
        while True:
            frame = await self._queue.get()
            if frame is None:
                code, reason = self.ended or (OVERFLOW_CODE, "too far behind, resync")
                await self.socket.close(code=code, reason=reason)
                return
            await self.socket.send_bytes(frame)


class YjsHub:
    """Rooms of peers by document id; nothing else is kept."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[Peer]] = {}
        self._cursor = -1  # log seq relayed up to; -1 until ``follow_from``
        self._lock = asyncio.Lock()

    def follow_from(self, head: int) -> None:
        """Follow the log from after ``head`` (when central starts)."""
        self._cursor = head

    async def follow(self, store: ReplicaStore, head: int) -> int:
        """Relay every update logged up to ``head`` to the peers that have its document
        open and may read it; returns how many frames were queued.

        Rows logged before a peer joined reach it twice at most (also in its sync
        answer), which Yjs ignores; none logged after it joined are missed.
        """
        async with self._lock:
            after, self._cursor = self._cursor, max(self._cursor, head)
            open_ids = list(self._rooms)
            if head <= after or not open_ids:
                return 0
            rows = await store.log_updates(open_ids, after, head)
            return sum(
                self.broadcast(doc_id, update_frame(blob), None, keys)
                for doc_id, blob, keys in rows
            )

    @contextmanager
    def join(self, doc_id: str, peer: Peer) -> Iterator[None]:
        """``peer`` is in ``doc_id``'s room for the duration of the ``with`` block."""
        self._rooms.setdefault(doc_id, set()).add(peer)
        try:
            yield
        finally:
            room = self._rooms.get(doc_id)
            if room is not None:
                room.discard(peer)
                if not room:
                    del self._rooms[doc_id]

    def broadcast(
        self, doc_id: str, frame: bytes, sender: Peer | None, keys: ScopeKeys | None = None
    ) -> int:
        """Queue ``frame`` to every peer on ``doc_id`` but ``sender`` (that may read ``keys``)."""
        sent = 0
        for peer in list(self._rooms.get(doc_id, ())):
            if peer is sender or (keys is not None and not peer.may_read(keys)):
                continue
            peer.send(frame)
            sent += 1
        return sent

    def disconnect(self, device_id: str, code: int, reason: str) -> int:
        """End every socket of ``device_id`` (revoked, re-keyed); returns how many."""
        peers = [p for room in self._rooms.values() for p in room if p.device.id == device_id]
        for peer in peers:
            peer.end(code, reason)
        return len(peers)

    def open_count(self, doc_id: str) -> int:
        """How many sockets have ``doc_id`` open."""
        return len(self._rooms.get(doc_id, ()))
