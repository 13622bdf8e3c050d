"""Queue recipient notifications for new shipment events, durably and once each.

Like the webhook scanner, it keeps a cursor over the update log and works in
ONE transaction: the shipments changed since the cursor, their notices
(:func:`protocol.notify.notices`), one queue row per notice and channel, keyed
``event id:channel`` (``INSERT OR IGNORE``: a rescan never queues twice), and
the cursor moved. A fresh queue starts at the log's head: history is not told.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.hlc import Timestamp
from protocol.info import ShipmentInfo
from protocol.notify import notices
from protocol.vocab import DocType
from sync.documents import load, read_content
from sync.store import ReplicaStore

from .channels import Channel
from .store import queue_messages, scan_cursor, told_shipments

STALE_MS = 86_400_000  # an event synced a day late is not worth a message any more


async def queue_notices(
    store: ReplicaStore, channels: Sequence[Channel], public_url: str, now_ms: int
) -> int:
    """Queue the notices of changes since the last scan; returns how many rows were added."""
    async with store.transaction() as db:
        cursor = await scan_cursor(db)
        head = await store.head_in(db)
        queued: list[tuple[object, ...]] = []
        if cursor is not None and head > cursor:
            told = await told_shipments(db, await store.logged_in(db, cursor, head))
            states = await store.states_in(db, told)
            for doc_id in told:
                queued += _rows(doc_id, states[doc_id], channels, public_url, now_ms)
        await queue_messages(db, queued, head)
    return len(queued)


def _rows(
    doc_id: str, state: bytes, channels: Sequence[Channel], public_url: str, now_ms: int
) -> list[tuple[object, ...]]:
    content = read_content(load(state))
    info = content.typed_info(DocType.SHIPMENT)
    assert isinstance(info, ShipmentInfo)
    events = {e.id: e for e in content.typed_events(DocType.SHIPMENT)}
    url = f"{public_url.rstrip('/')}/track/{info.tracking_number}" if public_url else ""
    out: list[tuple[object, ...]] = []
    for notice in notices(info, events.values(), url):
        if Timestamp.decode(events[notice.event_id].hlc).wall_ms < now_ms - STALE_MS:
            continue
        for channel in channels:
            to = channel.address(info)
            if to:
                key = f"{notice.event_id}:{channel.name}"
                row = (key, channel.name, to, doc_id, notice.kind, notice.subject, notice.text)
                out.append((*row, now_ms, now_ms))
    return out
