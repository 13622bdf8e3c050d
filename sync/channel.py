"""Channels: how a sync client reaches a server, whatever the transport.

The session logic only sees :class:`Channel`. :class:`InMemoryChannel` runs a
:class:`SyncServer` in-process, encoding every message through MessagePack as
a real transport would, and can inject faults for tests: lost requests, lost
answers (the server acted but the client never heard), duplicates.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

from protocol.permissions import Device
from protocol.wire import (
    ClientMessage,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ServerMessage,
    VectorsRequest,
    VectorsResponse,
    client_decoder,
    msgpack_encoder,
    server_decoder,
)

if TYPE_CHECKING:
    from .server_session import SyncServer


class ChannelClosed(ConnectionError):
    """The upstream could not be reached or the answer was lost; retry later."""


class Channel(Protocol):
    """One request, one answer; raises ``ChannelClosed`` when the link fails."""

    async def push(self, request: PushRequest) -> PushResponse: ...

    async def pull(self, request: PullRequest) -> PullResponse: ...

    async def vectors(self, request: VectorsRequest) -> VectorsResponse: ...


class InMemoryChannel:
    """A channel straight into a ``SyncServer``, with optional fault injection."""

    def __init__(
        self,
        server: SyncServer,
        device: Device,
        *,
        drop_request: float = 0.0,
        drop_answer: float = 0.0,
        duplicate: float = 0.0,
        rng: random.Random | None = None,
    ):
        self.server = server
        self.device = device
        self.online = True
        self.drop_request = drop_request
        self.drop_answer = drop_answer
        self.duplicate = duplicate
        self.bytes_sent = 0
        self.bytes_received = 0
        self._rng = rng or random.Random(0)

    async def _call(self, message: ClientMessage) -> ServerMessage:
        if not self.online or self._chance(self.drop_request):
            raise ChannelClosed("link down: request lost")
        wire = msgpack_encoder.encode(message)
        self.bytes_sent += len(wire)
        decoded = client_decoder.decode(wire)
        repeats = 2 if self._chance(self.duplicate) else 1
        for _ in range(repeats):
            answer = await self._dispatch(decoded)
        if self._chance(self.drop_answer):
            raise ChannelClosed("link down: answer lost")
        raw = msgpack_encoder.encode(answer)
        self.bytes_received += len(raw)
        reply: ServerMessage = server_decoder.decode(raw)
        return reply

    async def _dispatch(self, message: ClientMessage) -> ServerMessage:
        match message:
            case PushRequest():
                return await self.server.push(self.device, message)
            case PullRequest():
                return await self.server.pull(self.device, message)
            case VectorsRequest():
                return await self.server.vectors(self.device, message)

    def _chance(self, p: float) -> bool:
        return p > 0 and self._rng.random() < p

    async def push(self, request: PushRequest) -> PushResponse:
        answer = await self._call(request)
        assert isinstance(answer, PushResponse)
        return answer

    async def pull(self, request: PullRequest) -> PullResponse:
        answer = await self._call(request)
        assert isinstance(answer, PullResponse)
        return answer

    async def vectors(self, request: VectorsRequest) -> VectorsResponse:
        answer = await self._call(request)
        assert isinstance(answer, VectorsResponse)
        return answer
