"""A shipment document read back whole, for a device that may see it."""

from __future__ import annotations

from litestar.exceptions import NotFoundException

from protocol.events import Event
from protocol.info import ShipmentInfo
from protocol.permissions import Device
from protocol.vocab import DocType
from sync.documents import load, read_content
from sync.store import ReplicaStore

from ._rows import visible


async def visible_shipment(
    store: ReplicaStore, device: Device, shipment_id: str
) -> tuple[ShipmentInfo, list[Event]]:
    """The shipment's info and events, if ``device`` may see it (else 404)."""
    stored = (await store.load([shipment_id])).get(shipment_id)
    if stored is not None and stored.doc_type == DocType.SHIPMENT:
        content = read_content(load(stored.state))
        info = content.typed_info(DocType.SHIPMENT) if content.info else None
        if isinstance(info, ShipmentInfo) and visible(device, info.merchant_id):
            return info, content.typed_events(DocType.SHIPMENT)
    raise NotFoundException(f"no shipment {shipment_id!r}")
