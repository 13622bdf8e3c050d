"""Document tails: updates appended beside a stored state instead of merged into it.

A document's state is ``documents.state`` merged with its rows in ``doc_tail``
(in ``id`` order; a CRDT merge does not depend on it). A write that only adds
to a large document (a courier's cash book, one entry per COD delivery) appends
its updates here, so a push writes what it adds rather than the whole state
again; any other write stores the whole state and drops the tail. The writer
folds the tail into the state once it holds :data:`MAX_TAIL` updates or as
many bytes as the state (:func:`due`), so reading a document costs at most
twice its size and a write's share of the folding stays a fraction of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from pycrdt import merge_updates

TAIL_DDL = """
CREATE TABLE doc_tail (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, update_blob BLOB NOT NULL);
CREATE INDEX doc_tail_doc ON doc_tail(doc_id, id);
"""

MAX_TAIL = 256  # updates in a tail before the writer folds it into the state
TAIL_FROM = 8192  # bytes: a smaller state is rewritten whole (as cheap as an append)

T = TypeVar("T")


def due(state_bytes: int, tail_count: int, tail_bytes: int, tail_from: int = TAIL_FROM) -> bool:
    """True when a document of these sizes should be written whole, its tail folded in
    (``tail_from``: the smallest state that keeps a tail)."""
    return state_bytes < tail_from or tail_count >= MAX_TAIL or tail_bytes >= state_bytes


def with_tails(connection: sqlite3.Connection, states: dict[str, bytes]) -> dict[str, bytes]:
    """``states`` (doc id -> stored ``documents.state``) with each one's tail merged in."""
    tails: dict[str, list[bytes]] = {}
    for chunk in chunks(list(states)):
        rows = connection.execute(
            "SELECT doc_id, update_blob FROM doc_tail WHERE doc_id IN "
            f"({','.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        )
        for doc_id, update in rows:
            tails.setdefault(doc_id, []).append(bytes(update))
    return {
        doc_id: merge_updates(state, *tails[doc_id]) if doc_id in tails else state
        for doc_id, state in states.items()
    }


def tail_sizes(
    connection: sqlite3.Connection, doc_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Doc id -> ``(updates, bytes)`` of its tail, for those with one."""
    sizes: dict[str, tuple[int, int]] = {}
    for chunk in chunks(doc_ids):
        rows = connection.execute(
            "SELECT doc_id, count(*), sum(length(update_blob)) FROM doc_tail WHERE doc_id IN "
            f"({','.join('?' * len(chunk))}) GROUP BY doc_id",
            chunk,
        )
        sizes.update({r[0]: (int(r[1]), int(r[2])) for r in rows})
    return sizes


def drop_tails(connection: sqlite3.Connection, doc_ids: Iterable[str]) -> None:
    """Forget the tails of ``doc_ids`` (their whole state is stored, or they are gone)."""
    connection.executemany("DELETE FROM doc_tail WHERE doc_id = ?", [(d,) for d in doc_ids])


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (SQLite caps a statement's parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
