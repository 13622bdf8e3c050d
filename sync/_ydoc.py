"""The ingest hot path's handle on a document: pycrdt's native ``Doc``, unwrapped.

pycrdt's public ``Doc`` wraps every call in Python: a transaction object, thread
and anyio locks, a root-type wrapper per access. On the path central runs for
every pushed update (load the stored state, apply the update, read both roots,
encode the result) that wrapping cost about three times the CRDT work itself.
:class:`NativeDoc` calls the native document pycrdt is built on
(``pycrdt._pycrdt``) directly, one short transaction per step.

That layer is pycrdt's own, not its documented API, so ``pyproject.toml`` keeps
pycrdt to one minor version and ``tests/test_ydoc.py`` checks this module
against the public ``Doc`` on the same updates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pycrdt import Array, Doc, Map, get_update
from pycrdt._pycrdt import Doc as _Doc

from .documents import EVENTS, INFO, decode_json, plain
from .yencoding import update_has_structs

T = TypeVar("T")
Delta = list[dict[str, Any]]  # Yjs delta ops on the events array: retain / insert / delete


def _carries_beyond(update: bytes, state_vector: bytes) -> bool:
    """True when ``update`` carries an item ``state_vector`` has not seen; ``ValueError``
    if it does not decode. (Exact, unlike comparing with the update's own state
    vector, which counts nothing after a gap.)"""
    return update_has_structs(get_update(update, state_vector))


class NativeDoc:
    """One document held natively: apply updates, read the roots, encode the state.

    Each method is one native transaction, committed and released before it
    returns. :meth:`integrate` and :meth:`apply_observed` also say what the update
    did to the events array (its delta), so that a caller can read only the
    events appended instead of the whole array.
    """

    __slots__ = ("_delta", "_doc", "_watch")

    def __init__(self, state: bytes | None = None):
        """A document holding ``state``; ``ValueError`` if the bytes do not decode."""
        self._doc = _Doc(None, None, None)
        self._delta: Delta = []
        self._watch: Any = None  # the events array's subscription, once observed
        if state:
            self.apply(state)

    def _observed(self, apply: Callable[[Any], T]) -> tuple[T, Delta]:
        """``apply(txn)`` in one transaction, and the delta it made on the events array."""
        if self._watch is None:
            delta = self._delta  # the callback holds the list, not self: no cycle
            events: Any = self._in_transaction(
                lambda txn: self._doc.get_or_insert_array(txn, EVENTS)
            )
            self._watch = events.observe(lambda event: delta.extend(event.delta))
        self._delta.clear()
        result = self._in_transaction(apply)
        return result, list(self._delta)

    def _in_transaction(self, work: Callable[[Any], T]) -> T:
        """``work(txn)`` in one native transaction (a plain call: a context manager
        per step cost more than some of the steps)."""
        txn = self._doc.create_transaction()
        try:
            return work(txn)
        finally:
            txn.commit()
            txn.drop()

    def apply(self, update: bytes) -> None:
        """Apply ``update``; ``ValueError`` if it does not decode."""
        self._in_transaction(lambda txn: self._doc.apply_update(txn, update))

    def holds_all_of(self, update: bytes) -> bool:
        """True when this document holds every item ``update`` carries (a re-send,
        or deletions only); ``ValueError`` if it does not decode."""
        return not _carries_beyond(update, self.state_vector())

    def apply_observed(self, update: bytes) -> Delta:
        """Apply ``update``; returns its delta on the events array. ``ValueError``
        if it does not decode."""
        _, delta = self._observed(lambda txn: self._doc.apply_update(txn, update))
        return delta

    def integrate(self, update: bytes) -> tuple[set[str], bool, Delta]:
        """Apply ``update``; returns the root names after it, whether all of it
        was integrated (none of it waits on changes this document has not seen)
        and its delta on the events array. ``ValueError`` if it does not decode."""

        def apply(txn: Any) -> tuple[set[str], bytes]:
            self._doc.apply_update(txn, update)
            return set(self._doc.roots(txn)), bytes(self._doc.get_state(txn))

        (roots, vector), delta = self._observed(apply)
        return roots, not _carries_beyond(update, vector), delta

    def state_vector(self) -> bytes:
        """The encoded state vector."""
        return self._in_transaction(lambda txn: bytes(self._doc.get_state(txn)))

    def encode(self) -> tuple[bytes, bytes]:
        """``(state, state vector)``: the whole state as one update, and its vector."""
        return self._in_transaction(
            lambda txn: (bytes(self._doc.get_update(txn, b"\x00")), bytes(self._doc.get_state(txn)))
        )

    def read_info(self) -> dict[str, Any]:
        """The ``info`` map alone, as :meth:`read` gives it."""
        text = self._in_transaction(lambda txn: self._doc.get_or_insert_map(txn, INFO).to_json(txn))
        try:
            return decode_json(text) or {}
        except ValueError:
            return self.read()[0]

    def read(self) -> tuple[dict[str, Any], list[Any]]:
        """The ``info`` map and the ``events`` list as plain Python (see
        :func:`.documents.plain`); a root not present reads as empty."""
        info, events = self._in_transaction(
            lambda txn: (
                self._doc.get_or_insert_map(txn, INFO).to_json(txn),
                self._doc.get_or_insert_array(txn, EVENTS).to_json(txn),
            )
        )
        try:
            return decode_json(info) or {}, decode_json(events) or []
        except ValueError:  # content JSON cannot carry: read it the slow way
            doc: Doc[Any] = Doc(doc=self._doc)
            return plain(doc.get(INFO, type=Map)) or {}, plain(doc.get(EVENTS, type=Array)) or []
