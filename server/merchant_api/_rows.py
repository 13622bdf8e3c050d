"""Reading shipments back from the projection tables."""

from __future__ import annotations

from typing import Any

import msgspec

from protocol.permissions import Device
from protocol.vocab import Role
from sync.store import ReplicaStore

from .schemas import EventOut, ShipmentOut

SHIPMENT_COLUMNS = (
    "doc_id, tracking_number, merchant_id, order_ref, status, depot_id, courier_id, attempts, "
    "cod_amount, cod_collected, currency, delivered_at, last_hlc, open_conflicts"
)


def visible(device: Device, merchant_id: str) -> bool:
    """Office sees every merchant's objects; a merchant only its own."""
    if device.role == Role.OFFICE:
        return True
    return device.role == Role.MERCHANT and device.merchant_id == merchant_id


def shipment_out(row: tuple[Any, ...], events: list[EventOut] | None = None) -> ShipmentOut:
    """A ``ShipmentOut`` from a ``SHIPMENT_COLUMNS`` row."""
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


async def shipment_row(store: ReplicaStore, where: str, value: str) -> tuple[Any, ...] | None:
    """One projected shipment by ``doc_id`` or ``tracking_number``."""
    rows = await store.query(
        f"SELECT {SHIPMENT_COLUMNS} FROM p_shipments WHERE {where} = ? LIMIT 1", (value,)
    )
    return rows[0] if rows else None


async def shipment_events(store: ReplicaStore, doc_id: str) -> list[EventOut]:
    """A document's events in fold order."""
    rows = await store.query(
        "SELECT event_id, type, hlc, actor, payload FROM p_events WHERE doc_id = ? "
        "ORDER BY hlc, event_id",
        (doc_id,),
    )
    return [EventOut(r[0], r[1], r[2], r[3], msgspec.json.decode(r[4] or "{}")) for r in rows]
