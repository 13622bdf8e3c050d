"""Serve an ASGI app with uvicorn on a socket bound before the task starts."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from litestar import Litestar

from .errors import NodeStateError


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the node's event loop: whoever runs the node handles the signals.

    uvicorn's own SIGINT handling would stop a depot's relay before the node's
    owner has stopped the handhelds that sync through it (their syncs then fail).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Served:
    """A uvicorn server on ``host:port`` (port 0 picks a free one) until :meth:`stop`."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], port: int):
        self.server, self.task, self.port = server, task, port

    async def stop(self) -> None:
        """Stop serving (in-flight requests finish first)."""
        self.server.should_exit = True
        await self.task


def serve(app: Litestar, host: str, port: int, what: str) -> Served:
    """Bind ``host:port`` and serve ``app``; ``NodeStateError`` naming ``what`` if taken."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise NodeStateError(f"{what} cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    server = _EmbeddedServer(config)
    # The socket listens already: connections wait in its backlog until uvicorn runs.
    task = asyncio.create_task(server.serve([sock]), name=f"edge-{what}")
    return Served(server, task, sock.getsockname()[1])
