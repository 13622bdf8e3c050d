"""Loaded documents kept between pushes, in a bounded least-recently-used cache.

Validating an update needs the document loaded (a :class:`NativeDoc`) and its
content decoded. Loading and decoding it again for every update is most of the cost of
ingest, so a server session keeps the documents it touched recently. An entry
is used only while the stored document's version (its ``updated_seq`` and state
vector, which every write moves) is the one it was loaded or written at: a
document changed by any other writer is simply loaded again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from typing import Any

from ._ydoc import Delta, NativeDoc
from .documents import Content
from .errors import BadUpdate

DEFAULT_CAPACITY = 1024  # ~16 KB a loaded document: ~16 MB at most


@dataclass(slots=True)
class LoadedDoc:
    """A document and its decoded content, in step, and the ids of its events.

    ``base`` merged with ``since`` is the document's state as stored (or about to
    be): an append is stored beside the state (see :mod:`._tails`), without
    encoding the whole document again.
    """

    doc: NativeDoc
    content: Content
    base: bytes = b""
    since: list[bytes] = field(default_factory=list)
    _ids: set[Any] | None = None
    unread: Delta = field(default_factory=list)  # applied to ``doc``, not yet in ``content``

    def event_ids(self) -> Set[Any]:
        """The ids of ``content``'s events (computed once, kept by :meth:`advance`)."""
        if self._ids is None:
            self._ids = {raw.get("id") for raw in self.content.events if isinstance(raw, dict)}
        return self._ids

    def advance(self, content: Content, added_ids: Iterable[Any]) -> None:
        """Make ``content`` current: the one after an accepted change that added
        the events of ``added_ids`` (the others stay, as the inspection checked)."""
        self.content = content
        if self._ids is not None:
            self._ids.update(added_ids)

    @classmethod
    def of(cls, state: bytes | None) -> LoadedDoc:
        """Load ``state`` (``None``: an empty document); ``BadUpdate`` if it does not decode."""
        try:
            doc = NativeDoc(state)
        except ValueError as exc:
            raise BadUpdate(f"stored state does not decode: {exc}") from exc
        content = Content(*doc.read()) if state else Content({}, [], None, [])
        return cls(doc, content, state or b"")


Version = tuple[int, bytes]  # see :class:`.DocHead`


class DocCache:
    """At most ``capacity`` loaded documents, keyed by doc id and stored version."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[Version, LoadedDoc]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def versions(self, doc_ids: Iterable[str]) -> dict[str, Version]:
        """The versions the cache holds ``doc_ids`` at (those it holds)."""
        return {d: self._entries[d][0] for d in doc_ids if d in self._entries}

    def take(self, doc_id: str, version: Version) -> LoadedDoc | None:
        """The cached document at ``version`` (removed from the cache, since the
        caller will change it), or ``None``: load it."""
        entry = self._entries.pop(doc_id, None)
        if entry is not None and entry[0] == version:
            return entry[1]
        return None

    def keep(self, doc_id: str, version: Version, loaded: LoadedDoc) -> None:
        """Remember ``loaded`` as the document at ``version``; drops the oldest beyond capacity."""
        if self.capacity == 0:
            return
        self._entries[doc_id] = (version, loaded)
        self._entries.move_to_end(doc_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
