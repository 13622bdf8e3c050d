"""A write cancelled while its COMMIT runs stays committed and reports the cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sync import ReplicaStore


async def test_a_cancellation_during_commit_is_not_turned_into_a_failed_rollback(
    tmp_path: Path,
) -> None:
    async with await ReplicaStore.open(tmp_path / "r.db") as store:

        async def write() -> None:
            async with store.transaction() as db:
                await db.execute("INSERT INTO meta VALUES ('k', 'v')")
                # runs once this task waits for its COMMIT (on SQLite's thread, fsyncing)
                asyncio.get_running_loop().call_soon(task.cancel)

        task = asyncio.create_task(write())
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert await store.meta("k") == "v"
        await store.set_meta("k", "w")  # the connection is usable: no transaction left open
        assert await store.meta("k") == "w"
