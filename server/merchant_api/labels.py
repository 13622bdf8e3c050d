"""``GET /api/v1/shipments/{id}/label.pdf``: the shipping label, rendered from the document."""

from __future__ import annotations

import anyio.to_thread
from litestar.exceptions import ClientException

from paper import label_pdf
from protocol.lifecycle import fold_shipment
from protocol.permissions import Device
from protocol.vocab import TERMINAL_STATUSES
from sync.store import ReplicaStore

from ._shipment_doc import visible_shipment
from .store import merchant_name


async def shipment_label(store: ReplicaStore, device: Device, shipment_id: str) -> bytes:
    """The label PDF; 404 unless ``device`` may see it, 409 when no label applies."""
    info, events = await visible_shipment(store, device, shipment_id)
    status = fold_shipment(events, info.cod).status
    if status in TERMINAL_STATUSES:
        raise ClientException(f"shipment is {status}: it needs no label", status_code=409)
    if not info.depot_id.strip():
        raise ClientException(
            "shipment has no depot_id: a label's sort code needs the depot", status_code=409
        )
    sender = await merchant_name(store, info.merchant_id)
    return await anyio.to_thread.run_sync(label_pdf, info, sender)
