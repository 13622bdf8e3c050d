"""Turning changes into store writes: local commands and trusted incoming updates.

Both paths end in :class:`DocWrite` records that the store persists in one
transaction together with the projection rows (and, for local commands, the
outbox entries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pycrdt import Doc

from protocol.commands import DocCommand
from protocol.wire import DocUpdate

from ._records import DocWrite, OutboxEntry, StoredDoc
from ._writes import doc_write
from .documents import doc_type_of, load, write_command
from .ports import SyncStore
from .yencoding import decode_state_vector


async def commit_commands(
    store: SyncStore,
    commands: Sequence[tuple[str, DocCommand]],
    *,
    device_id: str,
    queue: bool = True,
    origin_device: str | None = None,
    replaying_held: bool = False,
) -> list[bytes]:
    """Apply local commands in ONE transaction; returns each command's update.

    With ``queue`` the updates also enter the outbox for the upstream. With
    ``replaying_held`` the commands replay the held entries of rebuilt
    documents, which leave the outbox in the same transaction.
    """
    client_id = await store.client_id()
    stored = await store.load(doc_id for doc_id, _ in commands)
    docs: dict[str, tuple[Doc[Any], str, list[bytes], list[OutboxEntry]]] = {}
    updates: list[bytes] = []
    for doc_id, command in commands:
        doc_type_of(command.doc_type)
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
    await store.write(writes, release_held=list(docs) if replaying_held else ())
    return updates


def merge_incoming(
    stored: Mapping[str, StoredDoc],
    incoming: Sequence[DocUpdate],
    origin_device: str,
    replace: frozenset[str] = frozenset(),
) -> list[DocWrite]:
    """Merge trusted updates (from the upstream) into documents.

    Updates that bring nothing new are dropped, so an echo of our own change
    is not logged twice. Documents in ``replace`` take the incoming state as
    is (a resync after a rejection).
    """
    docs: dict[str, tuple[Doc[Any], str, list[bytes]]] = {}
    for item in incoming:
        doc_type_of(item.doc_type)
        if item.doc_id in docs:
            doc, doc_type, updates = docs[item.doc_id]
        else:
            known = stored.get(item.doc_id)
            keep = known is not None and item.doc_id not in replace
            doc, doc_type, updates = (
                load(known.state if keep and known else None),
                item.doc_type,
                [],
            )
            docs[item.doc_id] = (doc, doc_type, updates)
        before = decode_state_vector(doc.get_state())
        doc.apply_update(item.update)
        if decode_state_vector(doc.get_state()) != before or item.doc_id in replace:
            updates.append(item.update)
    writes = []
    for doc_id, (doc, doc_type, updates) in docs.items():
        if not updates:
            continue
        known = stored.get(doc_id)
        write = doc_write(
            doc_id, doc_type, doc, known.scope if known else None, updates, origin_device
        )
        write.replaces = doc_id in replace
        writes.append(write)
    return writes
