"""Retries of outbound deliveries (webhooks, recipient notifications): one policy.

A delivery that failed is tried again after ``backoff * 2**(attempt - 1)``
seconds (capped at ``max_backoff``) until ``max_attempts``, then given up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Params = list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    backoff: float = 2.0
    max_backoff: float = 3600.0
    max_attempts: int = 15

    def plan(
        self, rows: Sequence[tuple[Any, int]], errors: Sequence[str], now_ms: int
    ) -> tuple[Params, Params, Params]:
        """Split ``(row id, attempts so far)`` by outcome ('' = delivered) into the
        parameters of three updates: done ``(now, attempts, id)``, retry
        ``(next_at, attempts, error, id)`` and dead ``(now, attempts, error, id)``."""
        done: Params = []
        retry: Params = []
        dead: Params = []
        for (row_id, before), error in zip(rows, errors, strict=True):
            attempts = before + 1
            if not error:
                done.append((now_ms, attempts, row_id))
            elif attempts >= self.max_attempts:
                dead.append((now_ms, attempts, error, row_id))
            else:
                wait = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
                retry.append((now_ms + int(wait * 1000), attempts, error, row_id))
        return done, retry, dead


DEFAULT_RETRY = RetryPolicy()
