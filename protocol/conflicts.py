"""Conflicts: concurrent facts that cannot both be true.

A fold never resolves them silently; it picks a deterministic outcome and
lists a :class:`Conflict`. Head office resolves one with a
``conflict_resolved`` event naming its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .events import ConflictResolved, Event
from .vocab import ConflictKind


@dataclass(frozen=True, slots=True)
class Conflict:
    """One detected conflict; ``id`` is stable on every replica."""

    id: str
    kind: ConflictKind
    event_ids: tuple[str, ...]
    message: str
    resolved: bool = False


def make_conflict(kind: ConflictKind, events: Sequence[Event], message: str) -> Conflict:
    """A conflict whose id is derived from its kind and the events involved."""
    ids = tuple(sorted(e.id for e in events))
    return Conflict(id=f"{kind}:{'+'.join(ids)}", kind=kind, event_ids=ids, message=message)


def mark_resolved(conflicts: Iterable[Conflict], events: Iterable[Event]) -> tuple[Conflict, ...]:
    """Flag the conflicts named by a ``conflict_resolved`` event."""
    resolved = {e.payload.conflict_id for e in events if isinstance(e, ConflictResolved)}
    return tuple(replace(c, resolved=c.id in resolved) for c in conflicts)
