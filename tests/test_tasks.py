"""Stopping background tasks (``sync.tasks.cancel_and_wait``)."""

from __future__ import annotations

import asyncio

from sync.tasks import cancel_and_wait


async def test_a_task_that_swallows_a_cancellation_is_stopped_all_the_same() -> None:
    swallowed = 0

    async def stubborn() -> None:  # as a loop on 3.11's wait_for can behave
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task), timeout=30)
    assert task.cancelled() and swallowed == 1


async def test_nothing_to_stop_and_a_finished_task_are_fine() -> None:
    await cancel_and_wait(None)
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await cancel_and_wait(done)
    assert done.done() and not done.cancelled()
