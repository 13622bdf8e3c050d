"""Client side of the live socket: call back on every poke, reconnect forever.

The node keeps working by polling while the socket is down; the socket only
makes it pull sooner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from protocol.wire import Poke, server_decoder

OnPoke = Callable[[Poke], Awaitable[None]]


async def listen_live(
    url: str,
    token: str,
    on_poke: OnPoke,
    *,
    retry_min: float = 0.5,
    retry_max: float = 30.0,
    connected: asyncio.Event | None = None,
) -> None:
    """Connect to ``url`` (``ws://host:port/sync/live``) and call ``on_poke`` per frame.

    Runs until cancelled, reconnecting with exponential backoff. ``connected``
    is set while a socket is open (tests and status pages watch it).
    """
    delay = retry_min
    headers = {"authorization": f"Bearer {token}"}
    while True:
        try:
            async with connect(url, additional_headers=headers, open_timeout=10) as socket:
                delay = retry_min
                if connected is not None:
                    connected.set()
                async for frame in socket:
                    await _dispatch(frame, on_poke)
        except (OSError, TimeoutError, WebSocketException):
            pass
        finally:
            if connected is not None:
                connected.clear()
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry_max)


async def _dispatch(frame: str | bytes, on_poke: OnPoke) -> None:
    if isinstance(frame, str):
        return
    try:
        message = server_decoder.decode(frame)
    except msgspec.DecodeError:
        return
    if isinstance(message, Poke):
        await on_poke(message)
