"""Convergence checks: compare replicas by decoded state and projected content.

Yjs encodings are not canonical, so raw bytes are never compared: state
vectors are decoded and content is hashed from projection rows in a canonical
order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from protocol.wire import Scope
from sync import ReplicaStore
from sync.ports import Projections
from sync.projection import PROJECTION_TABLES
from sync.yencoding import decode_state_vector


async def state_vectors(store: ReplicaStore) -> dict[str, dict[int, int]]:
    """Decoded state vector of every document a replica holds."""
    return {doc: decode_state_vector(sv) for doc, sv in (await store.state_vectors()).items()}


async def projection_rows(
    store: Projections, doc_ids: Iterable[str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's rows (of ``doc_ids`` if given), sorted."""
    wanted = set(doc_ids) if doc_ids is not None else None
    return await _rows(store, None, lambda doc: wanted is None or doc in wanted)


async def scope_rows(
    store: ReplicaStore, scopes: Sequence[Scope]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's rows of the documents in ``scopes``, sorted: what
    :func:`projection_rows` gives for those ids, read through the scope indexes (a
    scope of a large replica, without reading all of it)."""
    return await _rows(store, scopes, lambda _: True)


async def scope_doc_ids(store: ReplicaStore, scopes: Sequence[Scope]) -> set[str]:
    """Ids of the documents in ``scopes``, read through the scope indexes."""
    return await store.scope_doc_ids(scopes)


async def _rows(
    store: Projections, scopes: Sequence[Scope] | None, keep: Callable[[str], bool]
) -> dict[str, list[tuple[Any, ...]]]:
    result = {}
    for table in PROJECTION_TABLES:
        rows = await store.projection_rows(table, scopes)
        result[table] = sorted((r for r in rows if keep(r[0])), key=repr)
    return result


async def content_digest(store: Projections, doc_ids: Iterable[str] | None = None) -> str:
    """SHA-256 over the canonical projection of the documents.

    Ids minted at random when an event is written (the event id, a handover
    or deposit batch id in its payload) are replaced by the event's HLC, which
    the simulated clocks make reproducible, so the same seed and options give
    the same digest in every in-process run. (With ``--processes`` every node
    runs on the real clock, and concurrent writes race for real: the digest
    differs from run to run.)
    """
    rows_by_table = await projection_rows(store, doc_ids)
    labels = minted_id_labels(rows_by_table["p_events"])

    def canonical(value: Any) -> Any:
        if isinstance(value, str):
            return _UUID.sub(lambda m: labels.get(m.group(), m.group()), value)
        return value

    digest = hashlib.sha256()
    for table, rows in rows_by_table.items():
        digest.update(table.encode())
        for row in sorted((tuple(canonical(v) for v in r) for r in rows), key=repr):
            digest.update(repr(row).encode())
    return digest.hexdigest()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MINTED_KEYS = ("handover_id", "batch_id")


def minted_id_labels(events: list[tuple[Any, ...]]) -> dict[str, str]:
    """``random id -> label`` for the ``p_events`` rows: ``event@HLC``, ``handover_id@HLC``."""
    labels: dict[str, str] = {}
    for _doc, event_id, _type, _kind, hlc, *_rest, payload in sorted(events, key=lambda r: r[4]):
        labels[event_id] = f"event@{hlc}"
        body = json.loads(payload) if payload else {}
        for key in _MINTED_KEYS:
            minted = body.get(key) if isinstance(body, dict) else None
            if isinstance(minted, str):
                labels.setdefault(minted, f"{key}@{hlc}")
    return labels
