"""Convergence checks: compare replicas by decoded state and projected content.

Yjs encodings are not canonical, so raw bytes are never compared: state
vectors are decoded and content is hashed from projection rows in a canonical
order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sync import ReplicaStore
from sync.projection import PROJECTION_TABLES
from sync.yencoding import decode_state_vector


async def state_vectors(store: ReplicaStore) -> dict[str, dict[int, int]]:
    """Decoded state vector of every document a replica holds."""
    return {doc: decode_state_vector(sv) for doc, sv in (await store.state_vectors()).items()}


async def projection_rows(
    store: ReplicaStore, doc_ids: Iterable[str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's rows (of ``doc_ids`` if given), sorted."""
    wanted = set(doc_ids) if doc_ids is not None else None
    result = {}
    for table in PROJECTION_TABLES:
        rows = await store.query(f"SELECT * FROM {table}")
        result[table] = sorted((r for r in rows if wanted is None or r[0] in wanted), key=repr)
    return result


async def content_digest(store: ReplicaStore, doc_ids: Iterable[str] | None = None) -> str:
    """SHA-256 over the canonical projection of the documents."""
    digest = hashlib.sha256()
    for table, rows in (await projection_rows(store, doc_ids)).items():
        digest.update(table.encode())
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()
