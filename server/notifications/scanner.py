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
from sync._sqlite import run_in_one_trip
from sync.documents import load, read_content
from sync.store import ReplicaStore, whole_states

from .channels import Channel

STALE_MS = 86_400_000  # an event synced a day late is not worth a message any more
_CHANGED = (
    "SELECT s.doc_id, d.state FROM p_shipments s JOIN documents d ON d.doc_id = s.doc_id "
    "WHERE s.doc_id IN (SELECT doc_id FROM update_log WHERE seq > ? AND seq <= ?) "
    "AND EXISTS (SELECT 1 FROM p_events e WHERE e.doc_id = s.doc_id "
    "AND e.type IN ('out_for_delivery', 'delivered', 'attempt_failed'))"
)


async def notices_scanned_up_to(store: ReplicaStore) -> int | None:
    """The log sequence read so far (None before the first scan)."""
    rows = await store.query("SELECT value FROM notification_scan WHERE key = 'log_seq'")
    return int(rows[0][0]) if rows else None


async def queue_notices(
    store: ReplicaStore, channels: Sequence[Channel], public_url: str, now_ms: int
) -> int:
    """Queue the notices of changes since the last scan; returns how many rows were added."""
    async with store.transaction() as db:
        rows = await db.execute_fetchall(
            "SELECT (SELECT value FROM notification_scan WHERE key = 'log_seq'), "
            "(SELECT coalesce(max(seq), 0) FROM update_log)"
        )
        cursor, head = next(iter(rows))
        queued: list[tuple[object, ...]] = []
        if cursor is not None and head > cursor:
            changed = await db.execute_fetchall(_CHANGED, (cursor, head))
            states = await whole_states(db, {doc_id: bytes(state) for doc_id, state in changed})
            for doc_id, state in states.items():
                queued += _rows(doc_id, state, channels, public_url, now_ms)
        await run_in_one_trip(
            db,
            [
                (
                    "INSERT OR IGNORE INTO notification_queue (key, channel, recipient, "
                    "shipment_id, kind, subject, body, next_at, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    queued,
                ),
                ("INSERT OR REPLACE INTO notification_scan VALUES ('log_seq', ?)", [(head,)]),
            ],
        )
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
