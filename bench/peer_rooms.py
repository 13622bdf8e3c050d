"""The peer under comparison: pycrdt-websocket, one room per document, over WebSocket.

``python -m bench.peer_rooms PORT DOCS_FILE`` serves every document of
``DOCS_FILE`` (MessagePack list of ``[doc_id, update]``) as its own
:class:`pycrdt.websocket.YRoom` at ``ws://127.0.0.1:PORT/<doc_id>`` with
:class:`pycrdt.websocket.ASGIServer` under uvicorn, as a Yjs user would run
it. Rooms are loaded in memory before the server listens (the peer's most
favourable case: no store to read on connect).

The client side, :func:`fetch_rooms`, opens one :class:`pycrdt.Provider` per
room over a ``websockets`` connection and waits until each is synced.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import msgspec
import uvicorn
from pycrdt import Channel, Doc, Map, Provider
from pycrdt.websocket import ASGIServer, WebsocketServer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent


class WebsocketChannel(Channel):
    """A :class:`pycrdt.Channel` over a ``websockets`` client connection, counting bytes."""

    def __init__(self, websocket: ClientConnection, path: str):
        self._websocket = websocket
        self._path = path
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def path(self) -> str:
        return self._path

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except ConnectionClosed:
            raise StopAsyncIteration() from None

    async def send(self, message: bytes) -> None:
        self.bytes_sent += len(message)
        await self._websocket.send(message)

    async def recv(self) -> bytes:
        message = await self._websocket.recv(decode=False)
        self.bytes_received += len(message)
        return bytes(message)


async def fetch_room(url: str, doc_id: str) -> tuple[Doc[Any], int]:
    """Sync one room into a fresh ``Doc``; returns it and the payload bytes exchanged."""
    doc: Doc[Any] = Doc()
    async with connect(f"{url}/{doc_id}", max_size=None, compression=None) as websocket:
        channel = WebsocketChannel(websocket, doc_id)
        async with Provider(doc, channel) as provider:
            with anyio.fail_after(30):
                await provider.synced.wait()
    return doc, channel.bytes_sent + channel.bytes_received


async def fetch_rooms(url: str, doc_ids: list[str], concurrency: int) -> dict[str, Any]:
    """Sync every room, ``concurrency`` connections at a time; seconds, bytes, tracking numbers."""
    gate = asyncio.Semaphore(concurrency)
    tracking: dict[str, str] = {}
    total = 0

    async def one(doc_id: str) -> None:
        nonlocal total
        async with gate:
            doc, exchanged = await fetch_room(url, doc_id)
        total += exchanged
        tracking[doc_id] = str(doc.get("info", type=Map).get("tracking_number"))

    started = time.perf_counter()
    await asyncio.gather(*(one(d) for d in doc_ids))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": total, "tracking": tracking}


def start(docs_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Run the room server as its own process; returns it and its ``ws://`` URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    command = [sys.executable, "-m", "bench.peer_rooms", str(port), str(docs_file)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pycrdt-websocket server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"ws://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("pycrdt-websocket server did not start within 60 s")


async def serve(port: int, docs: list[tuple[str, bytes]]) -> None:
    """Load every ``(doc_id, update)`` into its room, then serve them until killed."""
    async with WebsocketServer(auto_clean_rooms=False) as rooms:
        for doc_id, update in docs:
            room = await rooms.get_room(f"/{doc_id}")  # ASGIServer names a room by its path
            room.ydoc.apply_update(update)
        config = uvicorn.Config(ASGIServer(rooms), host="127.0.0.1", port=port, log_level="warning")
        await uvicorn.Server(config).serve()


if __name__ == "__main__":
    served = msgspec.msgpack.decode(Path(sys.argv[2]).read_bytes(), type=list[tuple[str, bytes]])
    asyncio.run(serve(int(sys.argv[1]), served))
