"""Stopping a background task: the one way every worker and listener does it."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

RECANCEL_S = 1.0


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Cancel ``task`` (None: nothing to stop) and wait until it has ended.

    The cancellation is sent again each ``RECANCEL_S`` until the task ends: Python
    3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives as its timeout
    fires, and a worker looping on it would then never stop."""
    if task is None:
        return
    task.cancel()
    while not task.done():
        await asyncio.wait({task}, timeout=RECANCEL_S)
        if not task.done():
            task.cancel()
    with suppress(asyncio.CancelledError):
        await task
