"""Write records for changed documents, and rebasing them on a concurrent write.

Two writers of one replica file (a sync loop and a CLI command, or central's
sync session and its merchant API) may each read a document, change it, and
write it back. :func:`rebase` runs inside the write transaction: where the
stored state holds something the write lacks, the write becomes the CRDT merge
of both, so nothing either writer recorded is lost.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, merge_updates

from ._records import DocWrite
from .documents import Content, doc_type_of, load, read_content
from .projection import project
from .scopes import scope_keys
from .yencoding import covers, decode_state_vector

ScopeKeys = tuple[str, str, str]


def doc_write(
    doc_id: str,
    doc_type: str,
    doc: Doc[Any],
    previous_scope: ScopeKeys | None,
    updates: list[bytes],
    origin_device: str,
) -> DocWrite:
    """A write record for a loaded, changed document."""
    with doc.transaction():
        content = read_content(doc)
        state, state_vector = doc.get_update(), doc.get_state()
    return write_record(
        doc_id, doc_type, state, state_vector, content, previous_scope, updates, origin_device
    )


def write_record(
    doc_id: str,
    doc_type: str,
    state: bytes,
    state_vector: bytes,
    content: Content,
    previous_scope: ScopeKeys | None,
    updates: list[bytes],
    origin_device: str,
    stored_events: int = 0,
) -> DocWrite:
    """A write record for a document now holding ``state`` (vector ``state_vector``),
    whose content is ``content``; ``stored_events``: see :func:`.projection.project`."""
    return DocWrite(
        doc_id=doc_id,
        doc_type=doc_type,
        state=state,
        state_vector=state_vector,
        scope=scope_keys(content.info),
        previous_scope=previous_scope,
        updates=updates,
        origin_device=origin_device,
        projection=project(doc_id, doc_type_of(doc_type), content, stored_events),
    )


def lacks(write: DocWrite, stored_vector: bytes) -> bool:
    """True when the stored state (state vector ``stored_vector``) holds something
    ``write`` does not, so the write must be rebased on it."""
    return not covers(decode_state_vector(write.state_vector), decode_state_vector(stored_vector))


def rebase(write: DocWrite, stored_state: bytes | None) -> None:
    """Merge what ``stored_state`` has and ``write`` lacks into ``write``, and
    project it whole (``None``: nothing is stored, so no rows either)."""
    state = write.state if stored_state is None else merge_updates(stored_state, write.state)
    merged = doc_write(write.doc_id, write.doc_type, load(state), None, [], "")
    write.state, write.state_vector = merged.state, merged.state_vector
    write.scope, write.projection = merged.scope, merged.projection
