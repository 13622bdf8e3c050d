"""``WS /yjs/{doc_id}``: the y-websocket endpoint a stock Yjs client connects to.

The token comes as ``Authorization: Bearer`` or ``?token=`` (y-websocket's
``params`` option; browsers cannot set headers). The socket is accepted, then
closed with an application code and reason when the caller may not be there:

====  ==========================================================
4401  missing, unknown or revoked token (also sent to an open socket when
      its device is revoked or re-enrolled)
4404  unknown document
4403  document outside the device's scopes
4400  a frame that is not y-websocket
4422  an update refused by validation (reason: ``code: message``)
====  ==========================================================
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from litestar import WebSocket, websocket
from litestar.handlers import WebsocketRouteHandler

from protocol.permissions import Device
from sync.errors import SyncError
from sync.http_transport import TransportError, authorize, bearer_token

from .hub import Peer
from .protocol import ProtocolViolation, parse_frame
from .session import (
    BAD_FRAME,
    FORBIDDEN,
    UNAUTHORIZED,
    UNKNOWN_DOC,
    CloseSocket,
    YjsSession,
)

if TYPE_CHECKING:
    from ..core import Central


async def _open(
    central: Central, socket: WebSocket[Any, Any, Any], doc_id: str
) -> tuple[Device, str]:
    """The caller and the document's type, or ``CloseSocket`` saying why not."""
    try:
        token = bearer_token(socket.headers.get("authorization"), socket.query_params.get("token"))
        device = await authorize(central.store.authenticate, token)
    except TransportError as exc:
        raise CloseSocket(UNAUTHORIZED, f"unauthorized: {exc}") from None
    stored = (await central.store.load([doc_id])).get(doc_id)
    if stored is None:
        raise CloseSocket(UNKNOWN_DOC, f"unknown_document: no document {doc_id}")
    if not Peer(socket, device).may_read(stored.scope):
        raise CloseSocket(FORBIDDEN, f"out_of_scope: {doc_id} is not in {device.id}'s scope")
    return device, stored.doc_type


async def _serve(session: YjsSession, socket: WebSocket[Any, Any, Any]) -> None:
    """Read frames until the client leaves; ``CloseSocket`` ends it early (also when the
    device was revoked: a frame that arrives after that is not handled)."""
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if session.peer.ended:
            raise CloseSocket(*session.peer.ended)
        data = message.get("bytes")
        if not isinstance(data, bytes):
            raise CloseSocket(BAD_FRAME, "bad_frame: y-websocket frames are binary")
        try:
            frame = parse_frame(data)
        except ProtocolViolation as exc:
            raise CloseSocket(BAD_FRAME, f"bad_frame: {exc}") from None
        try:
            await session.handle(frame)
        except (ProtocolViolation, SyncError) as exc:
            raise CloseSocket(BAD_FRAME, f"bad_update: {exc}") from None


async def _close(socket: WebSocket[Any, Any, Any], exc: CloseSocket) -> None:
    with suppress(Exception):
        await socket.close(code=exc.code, reason=exc.reason)


def yjs_route(central: Central, path: str = "/yjs/{doc_id:str}") -> WebsocketRouteHandler:
    """The Litestar handler; the room registry is ``central.yjs`` (a :class:`YjsHub`)."""

    @websocket(path)
    async def yjs(socket: WebSocket[Any, Any, Any], doc_id: str) -> None:
        await socket.accept()
        try:
            device, doc_type = await _open(central, socket, doc_id)
        except CloseSocket as exc:
            await _close(socket, exc)
            return
        hub = central.yjs
        peer = Peer(socket, device)
        session = YjsSession(central, hub, peer, doc_id, doc_type)
        writer = asyncio.ensure_future(peer.drain())
        try:
            with hub.join(doc_id, peer):
                await _serve(session, socket)
        except CloseSocket as exc:
            await _close(socket, exc)
        finally:
            writer.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await writer

    return yjs
