"""Turning changes into store writes: local commands and trusted incoming updates.

Both paths end in :class:`DocWrite` records that the store persists in one
transaction together with the projection rows (and, for local commands, the
outbox entries).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from pycrdt import Doc

from protocol.commands import DocCommand
from protocol.wire import DocUpdate

from ._records import DocWrite, OutboxEntry, StoredDoc
from ._sqlite import Step
from ._writes import doc_write, write_record
from ._ydoc import NativeDoc
from .documents import Content, doc_type_of, load, write_command
from .errors import BadUpdate
from .ports import SyncStore
from .store import client_id_in, load_stored
from .yencoding import decode_state_vector


async def commit_commands(
    store: SyncStore,
    commands: Sequence[tuple[str, DocCommand]],
    *,
    device_id: str,
    queue: bool = True,
    origin_device: str | None = None,
    replaying_held: bool = False,
    also: Sequence[Step] = (),
) -> list[bytes]:
    """Apply local commands in ONE transaction; returns each command's update.

    With ``queue`` the updates also enter the outbox for the upstream. With
    ``replaying_held`` the commands replay the held entries of rebuilt
    documents, which leave the outbox in the same transaction. ``also``: more
    steps of the caller's in that transaction. The documents are read, changed
    and written in one trip to SQLite's thread.
    """
    for _, command in commands:
        doc_type_of(command.doc_type)
    updates: list[bytes] = []

    def build(connection: sqlite3.Connection) -> list[DocWrite]:
        return _command_writes(
            commands,
            load_stored(connection, list(dict.fromkeys(d for d, _ in commands))),
            client_id_in(connection),
            updates,
            device_id=device_id,
            queue=queue,
            origin_device=origin_device,
        )

    docs = list(dict.fromkeys(d for d, _ in commands)) if replaying_held else []
    await store.write_built(build, release_held=docs, also=also)
    return updates


def _command_writes(
    commands: Sequence[tuple[str, DocCommand]],
    stored: Mapping[str, StoredDoc],
    client_id: int,
    updates: list[bytes],
    *,
    device_id: str,
    queue: bool,
    origin_device: str | None,
) -> list[DocWrite]:
    """The writes of ``commands`` applied to the ``stored`` documents as ``client_id``;
    each command's update is appended to ``updates``."""
    docs: dict[str, tuple[Doc[Any], str, list[bytes], list[OutboxEntry]]] = {}
    for doc_id, command in commands:
        if doc_id not in docs:
            known = stored.get(doc_id)
            docs[doc_id] = (
                load(known.state if known else None, client_id),
                command.doc_type,
                [],
                [],
            )
        doc, _, doc_updates, outbox = docs[doc_id]
        update = write_command(doc, command)
        updates.append(update)
        doc_updates.append(update)
        if queue:
            outbox.append(
                OutboxEntry(doc_id, command.doc_type, update, command.encode(), origin_device)
            )
    writes = []
    for doc_id, (doc, doc_type, doc_updates, outbox) in docs.items():
        previous = stored[doc_id].scope if doc_id in stored else None
        write = doc_write(doc_id, doc_type, doc, previous, doc_updates, origin_device or device_id)
        write.outbox = outbox
        writes.append(write)
    return writes


def merge_incoming(
    stored: Mapping[str, StoredDoc],
    incoming: Sequence[DocUpdate],
    origin_device: str,
    replace: frozenset[str] = frozenset(),
) -> list[DocWrite]:
    """Merge trusted updates (from the upstream) into documents.

    Updates that bring nothing new are dropped, so an echo of our own change
    is not logged twice. Documents in ``replace`` take the incoming state as
    is (a resync after a rejection). Documents are held natively
    (:class:`._ydoc.NativeDoc`): a fresh replica pulls every document once.
    """
    docs: dict[str, tuple[NativeDoc, str, list[bytes]]] = {}
    for item in incoming:
        doc_type_of(item.doc_type)
        if item.doc_id in docs:
            doc, doc_type, updates = docs[item.doc_id]
        else:
            known = stored.get(item.doc_id)
            keep = known is not None and item.doc_id not in replace
            doc, doc_type, updates = (
                _native(known.state if keep and known else None),
                item.doc_type,
                [],
            )
            docs[item.doc_id] = (doc, doc_type, updates)
        before = decode_state_vector(doc.state_vector())
        try:
            doc.apply(item.update)
        except ValueError as exc:
            raise BadUpdate(f"update of {item.doc_id} does not decode: {exc}") from exc
        if decode_state_vector(doc.state_vector()) != before or item.doc_id in replace:
            updates.append(item.update)
    writes = []
    for doc_id, (doc, doc_type, updates) in docs.items():
        if not updates:
            continue
        known = stored.get(doc_id)
        state, state_vector = doc.encode()
        write = write_record(
            doc_id,
            doc_type,
            state,
            state_vector,
            Content(*doc.read()),
            known.scope if known else None,
            updates,
            origin_device,
        )
        write.replaces = doc_id in replace
        writes.append(write)
    return writes


def _native(state: bytes | None) -> NativeDoc:
    try:
        return NativeDoc(state)
    except ValueError as exc:
        raise BadUpdate(f"stored state does not decode: {exc}") from exc
