"""Reading shipments back from the projection tables."""

from __future__ import annotations

from typing import Any

from protocol.permissions import Device
from protocol.vocab import Role

from .schemas import EventOut, ShipmentOut
from .store import shipment_events, shipment_row

__all__ = ["shipment_events", "shipment_out", "shipment_row", "visible"]


def visible(device: Device, merchant_id: str) -> bool:
    """Office sees every merchant's objects; a merchant only its own."""
    if device.role == Role.OFFICE:
        return True
    return device.role == Role.MERCHANT and device.merchant_id == merchant_id


def shipment_out(row: tuple[Any, ...], events: list[EventOut] | None = None) -> ShipmentOut:
    """A ``ShipmentOut`` from a :data:`.store.SHIPMENT_COLUMNS` row."""
    return ShipmentOut(
        id=row[0],
        tracking_number=row[1] or "",
        merchant_id=row[2] or "",
        order_ref=row[3] or "",
        status=row[4],
        depot_id=row[5] or "",
        courier_id=row[6] or "",
        attempts=int(row[7] or 0),
        cod_amount=int(row[8] or 0),
        cod_collected=int(row[9] or 0),
        currency=row[10] or "",
        delivered_at=row[11],
        updated_hlc=row[12] or "",
        open_conflicts=int(row[13] or 0),
        events=events or [],
    )
