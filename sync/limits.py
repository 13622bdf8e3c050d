"""How much one request may carry: the sizes a sync server accepts and serves.

Every limit has a default sized for real traffic with room to spare (a client
pushes batches of 200; a busy courier's cash book is ~100 KB) and can be set
per server. A push over ``push_items`` is refused whole (413); an event or a
document over its limit is refused per item (``event_too_large``,
``document_too_large``); a pull page stops at ``pull_bytes`` of updates, always
carrying at least one so paging makes progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SyncError

KIB = 1024
MIB = 1024 * KIB


class LimitExceeded(SyncError):
    """A request over one of the :class:`Limits` (answered 413)."""

    code = "limit_exceeded"


@dataclass(frozen=True, slots=True)
class Limits:
    """The sizes one sync server accepts; see the module docstring."""

    push_items: int = 500  # items in one push
    event_bytes: int = 32 * KIB  # one event, as JSON
    document_bytes: int = 2 * MIB  # one document's stored state
    pull_bytes: int = 4 * MIB  # updates and states in one pull page

    def __post_init__(self) -> None:
        for name in ("push_items", "event_bytes", "document_bytes", "pull_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be at least 1, got {getattr(self, name)}")

    def check_push(self, items: int) -> None:
        """``LimitExceeded`` for a push of more than ``push_items`` items."""
        if items > self.push_items:
            raise LimitExceeded(
                f"items: a push may carry at most {self.push_items} items, got {items}: "
                "push smaller batches"
            )
