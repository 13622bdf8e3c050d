"""What ``parcelsync edge status`` shows: sync health read from the replica file.

A depot also lists the health its handhelds last reported to it.
"""

from __future__ import annotations

import msgspec

from protocol.wire import RelayedHealth
from sync.device_health import own_health

from .context import read_identity
from .store import EdgeStore
from .sync_loop import LAST_ERROR_KEY, UPSTREAM_HEAD_KEY

UPSTREAM = "upstream"


class QuarantinedItem(msgspec.Struct, frozen=True):
    doc_id: str
    doc_type: str
    code: str
    message: str
    command: str


class NodeStatus(msgspec.Struct, frozen=True):
    device_id: str
    role: str
    depot_id: str
    courier_id: str
    upstream: str
    documents: int
    last_sync_ms: int | None
    last_sync_age_s: float | None
    last_error: str
    waiting: int
    oldest_unsent_age_s: float | None
    quarantined: list[QuarantinedItem]
    cursor: int
    upstream_head: int
    cursor_lag: int
    handhelds: list[RelayedHealth] = []  # a depot: what its handhelds last reported here


def _command_name(raw: bytes) -> str:
    try:
        return str(msgspec.msgpack.decode(raw).get("name", ""))
    except (msgspec.DecodeError, AttributeError):
        return ""


async def node_status(store: EdgeStore, now_ms: int, synced_ms: int | None = None) -> NodeStatus:
    """Sync health of the node owning ``store``, as of ``now_ms``; ``synced_ms``:
    a later sync than the one stored (a running node's idle rounds write nothing)."""
    identity = await read_identity(store)
    health, handhelds = await own_health(store, UPSTREAM, now_ms)
    cursor, stored = await store.cursor(UPSTREAM)
    last = max(stored or 0, synced_ms or 0) or None
    head = int(await store.meta(UPSTREAM_HEAD_KEY) or 0)
    return NodeStatus(
        device_id=identity.device_id if identity else "",
        role=identity.role if identity else "",
        depot_id=identity.depot_id if identity else "",
        courier_id=identity.courier_id if identity else "",
        upstream=identity.upstream if identity else "",
        documents=await store.document_count(),
        last_sync_ms=last,
        last_sync_age_s=(now_ms - last) / 1000 if last else None,
        last_error=await store.meta(LAST_ERROR_KEY) or "",
        waiting=health.waiting,
        oldest_unsent_age_s=health.oldest_unsent_age_s,
        quarantined=[
            QuarantinedItem(q.doc_id, q.doc_type, q.code, q.message, _command_name(q.command))
            for q in await store.quarantined()
        ],
        cursor=cursor,
        upstream_head=max(head, cursor),
        cursor_lag=max(0, head - cursor),
        handhelds=handhelds,
    )
