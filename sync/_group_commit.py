"""Group commit: one writer task takes every request queued meanwhile as one batch.

Each durable commit costs an fsync. Requests that arrive while a batch is being
written wait in the queue and go together in the next batch: one transaction
and one fsync for all of them, each caller answered when its batch is durable.
The writer task runs only while there is work; it starts on the first request
and ends when the queue is empty, so there is nothing to start or stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class _Queued(Generic[T, R]):
    job: T
    answer: asyncio.Future[R]
    size: int


class GroupCommit(Generic[T, R]):
    """Runs queued jobs in batches through ``run`` (one answer per job, in order).

    A batch holds at most ``max_size`` (the sum of the jobs' sizes; a bigger
    job goes alone). When ``run`` raises on a batch, each of its jobs runs again
    alone, so only the jobs that fail by themselves get an error.
    """

    def __init__(self, run: Callable[[Sequence[T]], Awaitable[Sequence[R]]], max_size: int):
        self._run = run
        self._max_size = max_size
        self._queue: list[_Queued[T, R]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, job: T, size: int = 1) -> R:
        """``job``'s answer, once the batch it went in has run.

        A caller cancelled meanwhile stops waiting; its job still runs with its
        batch (as when an answer is lost on the way: what is written is safe to
        send again).
        """
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(job, answer, size))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
        return await answer

    def _next_batch(self) -> list[_Queued[T, R]]:
        taken, size = 0, 0
        for queued in self._queue:
            if taken and size + queued.size > self._max_size:
                break
            taken, size = taken + 1, size + queued.size
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._next_batch()
                if not await self._answer(batch) and len(batch) > 1:
                    for queued in batch:  # one job's failure must not fail the others
                        await self._answer([queued])
        finally:
            self._writer = None
            for q in self._queue:  # only left when the writer itself was cancelled
                q.answer.cancel()
            self._queue.clear()

    async def _answer(self, batch: list[_Queued[T, R]]) -> bool:
        """Run ``batch`` and answer its jobs; False when ``run`` raised (a batch of
        one gets the error, a bigger one nothing yet)."""
        try:
            answers = await self._run([q.job for q in batch])
        except Exception as exc:
            if len(batch) == 1 and not batch[0].answer.done():
                batch[0].answer.set_exception(exc)
            return False
        except BaseException:
            for q in batch:
                q.answer.cancel()
            raise
        for q, answer in zip(batch, answers, strict=True):
            if not q.answer.done():
                q.answer.set_result(answer)
        return True
