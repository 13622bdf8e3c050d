"""The background sync loop: push the outbox, pull until caught up, repeat.

A round runs :meth:`sync.SyncClient.sync` (push in batches, then pull pages
until ``has_more`` is false). The next round starts at once on a wake-up (a
live poke from upstream, a local command, a relayed push), else after the
poll interval. When the upstream is unreachable (``ChannelClosed``) the delay
grows exponentially, with jitter. Nothing is lost or duplicated by a cut:
the outbox is cleared only for acknowledged items and cursors move in the same
transaction as the documents they cover (see ``sync.client_session``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sync import ChannelClosed, SyncClient, SyncReport

from .errors import NodeStateError

log = logging.getLogger("parcelsync.edge.sync")

LAST_ERROR_KEY = "edge.last_error"
UPSTREAM_HEAD_KEY = "edge.upstream_head"


class Backoff:
    """Exponential backoff with jitter: ``uniform(c / 2, c)``, ``c = min(cap, base * 2**n)``."""

    def __init__(self, base: float = 0.5, cap: float = 60.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The delay before the next retry; each call counts one more failure."""
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


class SyncLoop:
    """Runs sync rounds for one client until stopped."""

    def __init__(
        self,
        client: SyncClient,
        *,
        interval: float = 5.0,
        backoff: Backoff | None = None,
        wall: Callable[[], int],
        after_round: Callable[[], Awaitable[None]] | None = None,
    ):
        self.client = client
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.rounds = 0
        self.last_report: SyncReport | None = None
        self.last_error = ""
        self.last_sync_ms: int | None = None  # when the last good round ended (``wall``)
        self._wall = wall
        self._after_round = after_round
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._poked = 0  # the highest head a poke announced since the last good round

    def wake(self) -> None:
        """Start the next round now (a poke, a local command, a relayed push)."""
        self._wake.set()

    async def start(self) -> None:
        if self._tasks:
            raise NodeStateError("the sync loop is already running")
        self._tasks.append(asyncio.create_task(self._run(), name="edge-sync"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def round(self) -> SyncReport:
        """One push + pull round; records its outcome in the store's metadata.

        Only what changed is written (in one transaction): an idle round after a
        good one commits nothing.
        """
        try:
            report = await self.client.sync()
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            poked = {UPSTREAM_HEAD_KEY: str(self._poked)} if self._poked else {}
            await self._record({LAST_ERROR_KEY: self.last_error, **poked})
            raise
        self.last_error = ""
        self.last_report = report
        self.last_sync_ms = self._wall()
        self._poked = 0
        await self._record({LAST_ERROR_KEY: ""}, cursor=self.client.cursor or 0)
        return report

    async def _record(self, values: dict[str, str], cursor: int | None = None) -> None:
        """Store those of ``values`` that differ from what the store holds; after a
        pull to ``cursor``, a stored head beyond it (another upstream file's) too.
        A head at or below the cursor needs no write: the status shows no lag."""
        store = self.client.store
        # read each time: a one-shot ``edge sync`` in another process writes them too
        stored = await store.metas([LAST_ERROR_KEY, UPSTREAM_HEAD_KEY])
        if cursor is not None and int(stored.get(UPSTREAM_HEAD_KEY, 0)) > cursor:
            values = {**values, UPSTREAM_HEAD_KEY: str(cursor)}
        changed = {k: v for k, v in values.items() if stored.get(k, "") != v}
        if changed:
            await store.set_metas(changed)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.round()
                self.backoff.reset()
                delay = self.interval
            except ChannelClosed as exc:
                delay = self.backoff.next_delay()
                log.info("upstream unreachable (%s); retrying in %.1f s", exc, delay)
            except Exception:
                delay = self.backoff.next_delay()
                log.exception("sync round failed; retrying in %.1f s", delay)
            if self._after_round is not None:
                await self._after_round()
            async with self._progress:
                self.rounds += 1
                self._progress.notify_all()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def poked(self, head: int) -> None:
        """The upstream's log moved to ``head``: remember it (cursor lag) and sync now."""
        self._poked = max(self._poked, head)
        self.wake()

    async def next_round(self) -> None:
        """Wait until the next round ends (successfully or not)."""
        async with self._progress:
            await self._progress.wait()

    async def until_idle(self) -> None:
        """Wait until a round ends cleanly with nothing left in the outbox."""
        while True:
            await self.next_round()
            stats = await self.client.store.outbox_stats()
            if not self.last_error and stats.waiting == 0:
                return
