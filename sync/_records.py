"""Plain records passed between the session logic and the store."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pycrdt import merge_updates

from .projection import Projection

ScopeKeys = tuple[str, str, str]  # (depot_id, courier_id, merchant_id)


def now_ms() -> int:
    """Wall-clock milliseconds, for bookkeeping only (never for ordering)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class StoredDoc:
    doc_id: str
    doc_type: str
    state: bytes
    scope: ScopeKeys


@dataclass(frozen=True, slots=True)
class DocHead:
    """A stored document without its state: enough to tell whether a loaded copy
    is current (``version``) and how big it is."""

    doc_id: str
    doc_type: str
    scope: ScopeKeys
    version: tuple[int, bytes]  # (updated_seq, state vector): changes with every write
    state_bytes: int  # the stored state, without the tail
    tail: tuple[int, int]  # (updates, bytes) in its tail
    state: bytes | None = None  # the whole state, when read with the head

    @property
    def size(self) -> int:
        """Bytes of the whole state as stored (state and tail)."""
        return self.state_bytes + self.tail[1]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    doc_id: str
    doc_type: str
    update: bytes
    command: bytes
    origin_device: str | None = None
    id: int = 0
    created_at: int = 0


@dataclass(slots=True)
class DocWrite:
    """Everything one document contributes to a write batch."""

    doc_id: str
    doc_type: str
    state: bytes
    state_vector: bytes
    scope: ScopeKeys
    previous_scope: ScopeKeys | None  # None: the document is new on this node
    updates: list[bytes]
    origin_device: str
    projection: Projection
    outbox: list[OutboxEntry] = field(default_factory=list)
    # the device that wrote each of ``updates``, when they differ (a relay's push)
    update_origins: list[str] = field(default_factory=list)
    replaces: bool = False  # the upstream's whole state rebuilding the document: not rebased
    # Set: ``updates`` join the stored state's tail (see :mod:`._tails`) instead of a
    # whole state being stored; the document's state is then ``state`` (a base, not
    # stored) merged with ``tail`` (the updates since it, ending with ``updates``).
    tail: list[bytes] | None = None

    def whole(self) -> None:
        """Make a tail write one that stores the whole state."""
        if self.tail is not None:
            self.state, self.tail = merge_updates(self.state, *self.tail), None

    def origins(self) -> list[str]:
        """The writer of each update, in the order of ``updates``."""
        return self.update_origins or [self.origin_device] * len(self.updates)


@dataclass(slots=True)
class LogRow:
    seq: int
    doc_id: str
    doc_type: str
    kind: str
    update: bytes | None
    scope: ScopeKeys
