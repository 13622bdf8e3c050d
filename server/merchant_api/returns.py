"""Returns (RMA): requested by the merchant for items of a delivered shipment."""

from __future__ import annotations

import msgspec
from litestar.exceptions import ClientException, NotFoundException

from protocol.commands import DocCommand
from protocol.events import ReturnRequested
from protocol.hlc import HybridClock
from protocol.ids import new_id
from protocol.info import Item, ReturnInfo
from protocol.permissions import Device
from protocol.vocab import ShipmentStatus
from sync.documents import load, read_content
from sync.ingest import commit_commands
from sync.store import ReplicaStore

from ._rows import shipment_row, visible
from .schemas import ReturnIn, ReturnItemOut, ReturnOut
from .services import Notify


class ReturnService:
    """Create and read returns over central's store."""

    def __init__(self, store: ReplicaStore, clock: HybridClock, notify: Notify, device_id: str):
        self.store, self.clock, self.notify, self.device_id = store, clock, notify, device_id

    async def create(self, device: Device, data: ReturnIn) -> ReturnOut:
        """An RMA for ``data.items``; 409 unless the shipment was delivered."""
        shipment = await shipment_row(self.store, "doc_id", data.shipment_id)
        if shipment is None or not visible(device, shipment[2]):
            raise NotFoundException(f"no shipment {data.shipment_id!r}")
        if shipment[4] != ShipmentStatus.DELIVERED:
            raise ClientException(
                f"shipment is {shipment[4]}: a return needs a delivered shipment", status_code=409
            )
        info = ReturnInfo(
            shipment_id=data.shipment_id,
            merchant_id=shipment[2],
            reason=data.reason,
            currency=shipment[10] or "EUR",
            items=[Item(i.sku, i.quantity) for i in data.items],
            depot_id=shipment[5] or "",
        )
        event = ReturnRequested(
            id=new_id(), hlc=self.clock.now().encode(), device=self.device_id, actor=device.id
        )
        command = DocCommand.build("request_return", "return", [event], msgspec.to_builtins(info))
        return_id = new_id()
        await commit_commands(
            self.store, [(return_id, command)], device_id=self.device_id, queue=False
        )
        await self.notify(await self.store.head())
        return await self.get(device, return_id)

    async def get(self, device: Device, return_id: str) -> ReturnOut:
        """One return with its items and, once inspected, their grades."""
        rows = await self.store.query(
            "SELECT doc_id, shipment_id, merchant_id, status, refunded, currency "
            "FROM p_returns WHERE doc_id = ?",
            (return_id,),
        )
        if not rows or not visible(device, rows[0][2]):
            raise NotFoundException(f"no return {return_id!r}")
        graded = await self.store.query(
            "SELECT sku, quantity, grade, disposition FROM p_return_items WHERE doc_id = ? "
            "ORDER BY position",
            (return_id,),
        )
        if graded:
            items = [ReturnItemOut(r[0], int(r[1]), r[2], r[3]) for r in graded]
        else:
            stored = (await self.store.load([return_id]))[return_id]
            raw = read_content(load(stored.state)).info.get("items", [])
            items = [ReturnItemOut(i["sku"], int(i.get("quantity", 1))) for i in raw]
        r = rows[0]
        return ReturnOut(r[0], r[1], r[2], r[3], int(r[4] or 0), r[5] or "", items)
