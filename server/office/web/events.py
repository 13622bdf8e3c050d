"""``GET /office/events``: server-sent events, one ``head`` event per log change.

Driven by ``central.feed``: the office device's subscription holds only the
newest head, so a burst of syncs arrives as one event. Each stream ends after
``STREAM_SECONDS`` (the browser's EventSource reconnects after ``retry``), so
an idle dashboard never holds a server shutdown for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from litestar.response import ServerSentEvent, ServerSentEventMessage

from protocol.permissions import Device
from sync.live import ChangeFeed

STREAM_SECONDS = 25.0
RETRY_MS = 1000


def head_message(head: int) -> ServerSentEventMessage:
    """The event the overview listens for: the update-log head as data."""
    return ServerSentEventMessage(data=str(head), event="head", id=head)


async def head_events(
    feed: ChangeFeed, device: Device, lifetime: float = STREAM_SECONDS
) -> AsyncIterator[ServerSentEventMessage]:
    """The current head at once, then one message per change until ``lifetime``."""
    with feed.subscribe(device) as subscription:
        yield head_message(await feed.head())
        deadline = asyncio.get_running_loop().time() + lifetime
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    poke = await subscription.next()
            except TimeoutError:
                return
            yield head_message(poke.cursor)


def head_stream(feed: ChangeFeed, device: Device) -> ServerSentEvent:
    """The SSE response for ``device``'s dashboard."""
    return ServerSentEvent(head_events(feed, device), retry_duration=RETRY_MS)
