"""What the merchant sees of its recipients' notifications: each message's fate."""

from __future__ import annotations

import msgspec
from litestar.exceptions import NotFoundException

from protocol.permissions import Device
from sync.store import ReplicaStore

from ..merchant_api._rows import shipment_row, visible
from .store import shipment_messages


class NotificationOut(msgspec.Struct):
    channel: str  # email | sms
    kind: str  # out_for_delivery | delivered | attempt_failed
    recipient: str
    subject: str
    text: str
    state: str  # queued | sent | failed (given up)
    attempts: int
    last_error: str
    queued_at_ms: int
    sent_at_ms: int | None


async def shipment_notifications(
    store: ReplicaStore, device: Device, shipment_id: str
) -> list[NotificationOut]:
    """The shipment's messages, oldest first; 404 unless ``device`` may see the shipment."""
    row = await shipment_row(store, "doc_id", shipment_id)
    if row is None or not visible(device, row[2]):
        raise NotFoundException(f"no shipment {shipment_id!r}")
    rows = await shipment_messages(store, shipment_id)
    return [
        NotificationOut(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            "sent" if r[5] is not None else "failed" if r[6] is not None else "queued",
            int(r[7]),
            r[8],
            int(r[9]),
            None if r[5] is None else int(r[5]),
        )
        for r in rows
    ]
