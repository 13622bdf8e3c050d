"""The background task that scans for changes and delivers queued webhooks.

Deliveries are at least once: a row is marked delivered only after a 2xx.
Failures are retried with exponential backoff (``backoff * 2**attempt``,
capped) until ``max_attempts``; the queue is in SQLite, so a restart resumes.
Each delivery fails on its own: a bad URL or a refused address (see
:mod:`.targets`) is that delivery's error, never the others'. Signatures:
:mod:`.signing`.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import httpx

from sync._records import now_ms
from sync.store import ReplicaStore
from sync.tasks import cancel_and_wait

from ..retry import RetryPolicy
from .scanner import scan
from .signing import SIGNATURE_HEADER, sign
from .store import QUEUE, due_deliveries
from .targets import resolved_refusal

log = logging.getLogger(__name__)
SETTLE_S = 0.05  # after a wake-up: a burst of writes gets one scan


class WebhookWorker:
    """Scan, deliver, sleep until the next due delivery or a wake-up."""

    def __init__(
        self,
        store: ReplicaStore,
        *,
        backoff: float = 2.0,
        max_backoff: float = 3600.0,
        max_attempts: int = 15,
        timeout: float = 10.0,
        allow_private: bool = False,
    ):
        self.store = store
        self.allow_private = allow_private  # deliver to loopback / private addresses
        self.backoff, self.max_backoff, self.max_attempts = backoff, max_backoff, max_attempts
        self._timeout = timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        """Something was written: scan soon."""
        self._wake.set()

    async def start(self) -> None:
        """Start the background task; a second start is an error."""
        if self._task is not None:
            raise RuntimeError("WebhookWorker.start() called twice")
        self._client = httpx.AsyncClient(timeout=self._timeout)
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        """Cancel the task (an in-flight delivery is retried after restart)."""
        await cancel_and_wait(self._task)
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await scan(self.store, now_ms())
                delay = await self.deliver_due()
            except Exception:
                log.exception("webhook worker step failed; retrying")
                delay = self.backoff
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
                await asyncio.sleep(SETTLE_S)

    async def deliver_due(self) -> float:
        """Send every due delivery once; returns seconds until the next one is due."""
        now = now_ms()
        rows = await due_deliveries(self.store, now)
        if rows:
            outcomes = await asyncio.gather(*(self._send(*row[1:]) for row in rows))
            await self._record(rows, outcomes, now_ms())
        nxt = await QUEUE.next_due(self.store)
        if nxt is None:
            return 60.0
        return max(0.0, (nxt - now_ms()) / 1000)

    async def _send(self, event: str, body: bytes, attempts: int, url: str, secret: str) -> str:
        """Deliver one envelope; returns "" on a 2xx, else the error (never raises)."""
        try:
            return await self._post(event, body, attempts, url, secret)
        except Exception as exc:  # one hook's failure is its own, whatever it is
            return f"{type(exc).__name__}: {exc}"[:500]

    async def _post(self, event: str, body: bytes, attempts: int, url: str, secret: str) -> str:
        assert self._client is not None
        refusal = await resolved_refusal(url, self.allow_private)
        if refusal:
            return f"refused: {refusal}"[:500]
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(secret, body, now_ms() // 1000),
            "X-Parcelsync-Event": event,
            "X-Parcelsync-Attempt": str(attempts + 1),
        }
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return "" if response.is_success else f"HTTP {response.status_code}"

    async def _record(self, rows: list[Any], outcomes: list[str], now: int) -> None:
        policy = RetryPolicy(self.backoff, self.max_backoff, self.max_attempts)
        await QUEUE.record_outcomes(
            self.store, policy.plan([(r[0], int(r[3])) for r in rows], outcomes, now)
        )
