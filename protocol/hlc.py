"""Hybrid logical clock.

A timestamp is ``(wall_ms, counter, node)``; its string form
``"%013d.%06d.node"`` sorts the same way as the tuple, so SQLite and Yjs can
order by it as plain text. A handheld whose clock is hours off still produces
timestamps that are after everything it has seen (``observe``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering

from .errors import ProtocolError

MAX_COUNTER = 999_999
# What :meth:`Timestamp.encode` writes, and nothing else: 13 + 6 ASCII digits and
# a node without dots.
_ENCODED = re.compile(r"([0-9]{13})\.([0-9]{6})\.([^.]{1,128})")


@total_ordering
@dataclass(frozen=True, slots=True)
class Timestamp:
    """One HLC reading; compare and sort freely."""

    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        """Text form that sorts like the timestamp itself."""
        return f"{self.wall_ms:013d}.{self.counter:06d}.{self.node}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        """Inverse of :meth:`encode`; raises ``ProtocolError`` naming the input."""
        match = _ENCODED.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ProtocolError(
                f"not an HLC timestamp: {text!r} (expected like 1764806400000.000000.node)"
            )
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))

    def _key(self) -> tuple[int, int, str]:
        return (self.wall_ms, self.counter, self.node)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() < other._key()


class HybridClock:
    """HLC for one node; ``wall`` returns physical time in ms (injected)."""

    def __init__(self, node: str, wall: Callable[[], int], last: Timestamp | None = None):
        if "." in node:
            raise ProtocolError(f"HLC node id may not contain '.': {node!r}")
        self.node = node
        self._wall = wall
        self._last = last or Timestamp(0, 0, node)

    @property
    def last(self) -> Timestamp:
        """The latest timestamp issued or observed."""
        return self._last

    def now(self) -> Timestamp:
        """A timestamp after every one issued or observed so far."""
        physical = self._wall()
        if physical > self._last.wall_ms:
            stamp = Timestamp(physical, 0, self.node)
        else:
            stamp = self._bump(self._last.wall_ms, self._last.counter)
        self._last = stamp
        return stamp

    def observe(self, remote: Timestamp) -> Timestamp:
        """Merge a timestamp seen on a message; returns the new local reading."""
        physical = self._wall()
        top = max(physical, self._last.wall_ms, remote.wall_ms)
        if top == physical and top > self._last.wall_ms and top > remote.wall_ms:
            stamp = Timestamp(top, 0, self.node)
        else:
            counter = max(
                self._last.counter if top == self._last.wall_ms else -1,
                remote.counter if top == remote.wall_ms else -1,
            )
            stamp = self._bump(top, counter)
        self._last = stamp
        return stamp

    def _bump(self, wall_ms: int, counter: int) -> Timestamp:
        if counter >= MAX_COUNTER:
            return Timestamp(wall_ms + 1, 0, self.node)
        return Timestamp(wall_ms, counter + 1, self.node)
