"""A lean keep-alive HTTP/1.1 client for benchmarks that load a server with many
small requests from the same 2-core machine.

httpx spends about as much CPU per small request as the server does, and a
benchmark's clients share the machine with the server it measures; this one
writes a prepared request on an asyncio stream and reads the answer, so the
figures are the server's. Handhelds use :class:`sync.http_transport.HttpChannel`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from sync.http_transport import MSGPACK


class LeanPoster:
    """POSTs of msgpack bodies to one path of ``host:port`` on one connection."""

    def __init__(self, host: str, port: int, path: str, token: str):
        self._address = (host, port)
        self._head = (
            f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\nauthorization: Bearer {token}\r\n"
            f"content-type: {MSGPACK}\r\ncontent-length: "
        ).encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> Self:
        self._streams = await asyncio.open_connection(*self._address)
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._streams is not None:
            self._streams[1].close()
            await self._streams[1].wait_closed()

    async def post(self, body: bytes) -> bytes:
        """The answer's body; an answer other than 200 raises."""
        assert self._streams is not None, "use 'async with LeanPoster(...)'"
        reader, writer = self._streams
        writer.write(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        answer = await reader.readexactly(length)
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{status.decode().strip()}: {answer[:200]!r}")
        return answer
