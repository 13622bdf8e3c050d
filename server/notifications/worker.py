"""The background task that queues recipient notifications and sends the due ones.

A row is marked sent only after its channel accepted it, in the same
transaction as the other outcomes; failures are retried by the shared
:class:`server.retry.RetryPolicy` (the webhooks' backoff) until given up. The
queue is in central's SQLite file, so a restart resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from sync._records import now_ms
from sync.store import ReplicaStore

from ..retry import DEFAULT_RETRY, RetryPolicy
from .channels import Channel
from .scanner import queue_notices
from .store import QUEUE, due_messages

log = logging.getLogger(__name__)
SETTLE_S = 0.05  # after a wake-up: a burst of writes gets one scan
STOP_GRACE_S = 15.0  # a channel's timeout (10 s) fits: a send under way completes


class NotificationWorker:
    """Scan, send, sleep until the next due message or a wake-up."""

    def __init__(
        self,
        store: ReplicaStore,
        channels: Sequence[Channel],
        public_url: str = "",
        policy: RetryPolicy = DEFAULT_RETRY,
    ):
        self.store, self.channels, self.public_url, self.policy = (
            store,
            channels,
            public_url,
            policy,
        )
        self._by_name = {c.name: c for c in channels}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was written: scan soon."""
        self._wake.set()

    async def start(self) -> None:
        """Start the background task; a second start is an error."""
        if self._task is not None:
            raise RuntimeError("NotificationWorker.start() called twice")
        self._task = asyncio.create_task(self._run(), name="notification-worker")

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Let the step under way finish (so a sent message is recorded as sent),
        then end the task; after ``grace_s`` it is cancelled (a message in flight
        then is sent again after restart)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await queue_notices(self.store, self.channels, self.public_url, now_ms())
                delay = await self.send_due()
            except Exception:
                log.exception("notification worker step failed; retrying")
                delay = self.policy.backoff
            if self._stopping:
                return
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
                if not self._stopping:
                    await asyncio.sleep(SETTLE_S)

    async def send_due(self) -> float:
        """Send every due message once; returns seconds until the next one is due."""
        rows = await due_messages(self.store, now_ms())
        if rows:
            errors = await asyncio.gather(*(self._send(*row) for row in rows))
            await self._record(rows, list(errors))
        nxt = await QUEUE.next_due(self.store)
        return 60.0 if nxt is None else max(0.0, (nxt - now_ms()) / 1000)

    async def _send(
        self, row_id: int, attempts: int, key: str, channel: str, to: str, subject: str, body: str
    ) -> str:
        sender = self._by_name.get(channel)
        if sender is None:
            return f"channel {channel} is not configured on this server"
        return await sender.send(to, subject, body, key)

    async def _record(self, rows: list[Any], errors: list[str]) -> None:
        outcomes = self.policy.plan([(r[0], int(r[1])) for r in rows], errors, now_ms())
        await QUEUE.record_outcomes(self.store, outcomes)
