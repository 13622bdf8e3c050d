"""One open ``/yjs`` document: answer sync, validate and store updates, relay.

Nothing of the document is kept in memory between frames: sync step 1 is
answered from the stored state, and every update the client sends goes through
``SyncServer.push`` exactly as a ``/sync/push`` item would, so the same
role and scope validation applies. Only what was accepted is relayed, by the
hub following the update log (:meth:`YjsHub.follow`), like every other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from protocol.wire import Hello, ItemResult, PushItem, PushRequest

from .hub import Peer, YjsHub
from .protocol import Frame, Kind, answer_step1, is_empty, our_step1

if TYPE_CHECKING:
    from ..core import Central

# Close codes (4000-4999 are the application's), with a reason text.
UNAUTHORIZED = 4401
FORBIDDEN = 4403
UNKNOWN_DOC = 4404
BAD_FRAME = 4400
REFUSED_UPDATE = 4422


class CloseSocket(Exception):
    """End the connection with ``code`` and a reason the client can read."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        # A close reason is at most 123 bytes of UTF-8.
        self.reason = reason.encode()[:123].decode(errors="ignore")


@dataclass(slots=True)
class YjsSession:
    """The server side of one socket on one document."""

    central: Central
    hub: YjsHub
    peer: Peer
    doc_id: str
    doc_type: str

    async def handle(self, frame: Frame) -> None:
        """React to one client frame (``CloseSocket`` ends the connection)."""
        match frame.kind:
            case Kind.SYNC_STEP1:
                state = await self._state()
                self.peer.send(answer_step1(state, frame.payload))
                self.peer.send(our_step1(state))
            case Kind.SYNC_STEP2 | Kind.UPDATE:
                if not is_empty(frame.payload):
                    await self._push(frame.payload)
            case Kind.AWARENESS:
                self.hub.broadcast(self.doc_id, frame.payload, self.peer)
            case Kind.IGNORED:
                pass

    async def _state(self) -> bytes:
        stored = (await self.central.store.load([self.doc_id])).get(self.doc_id)
        if stored is None:
            raise CloseSocket(UNKNOWN_DOC, f"unknown_document: {self.doc_id} is gone")
        if not self.peer.may_read(stored.scope):
            raise CloseSocket(FORBIDDEN, "out_of_scope: document left the device's scope")
        return stored.state

    async def _push(self, update: bytes) -> None:
        device = self.peer.device
        item = PushItem(self.doc_id, self.doc_type, update)
        answer = await self.central.sync.push(device, PushRequest(Hello(device.id), [item]))
        result: ItemResult = answer.results[0]
        if not result.accepted:
            raise CloseSocket(REFUSED_UPDATE, f"{result.code}: {result.message}")
