"""Returns (RMA): requested by the merchant for items of a delivered shipment,
read back with their grades and recommended refund, refunded by the merchant."""

from __future__ import annotations

import asyncio

import msgspec
from litestar.exceptions import ClientException, NotFoundException

from protocol.commands import DocCommand
from protocol.events import AmountPayload, Event, Refunded, ReturnRequested
from protocol.hlc import HybridClock
from protocol.ids import new_id
from protocol.info import Item, ReturnInfo, ShipmentInfo
from protocol.lifecycle import fold_shipment
from protocol.permissions import Device
from protocol.return_rules import rma_refusal, units
from protocol.returns import ReturnState, recommend_refund
from protocol.vocab import DocType, ReturnStatus, ShipmentStatus
from sync.ingest import commit_commands
from sync.store import ReplicaStore

from ._return_doc import folded_return, refund_out
from ._rows import visible
from ._shipment_doc import visible_shipment
from .schemas import ReturnIn, ReturnItemOut, ReturnOut
from .services import Notify


class ReturnService:
    """Create, read and refund returns over central's store."""

    def __init__(self, store: ReplicaStore, clock: HybridClock, notify: Notify, device_id: str):
        self.store, self.clock, self.notify, self.device_id = store, clock, notify, device_id
        self._lock = asyncio.Lock()

    async def create(self, device: Device, data: ReturnIn) -> ReturnOut:
        """An RMA for ``data.items``, priced from the shipment and picked up at its
        recipient's address: 409 unless it was delivered, 400 naming ``items[n]`` when
        an item was not shipped or more units are asked for than were shipped (less
        the shipment's earlier returns)."""
        async with self._lock:
            shipment, status = await self._shipment(device, data.shipment_id)
            items = [Item(i.sku, i.quantity) for i in data.items]
            earlier = await self._requested(data.shipment_id)
            refusal = rma_refusal(items, shipment, status, earlier)
            if refusal is not None:
                code = 409 if refusal.code == "not_delivered" else 400
                raise ClientException(refusal.message, status_code=code)
            prices = unit_prices(shipment)
            info = ReturnInfo(
                shipment_id=data.shipment_id,
                merchant_id=shipment.merchant_id,
                reason=data.reason,
                currency=shipment.currency,
                items=[Item(i.sku, i.quantity, prices.get(i.sku, 0)) for i in items],
                depot_id=shipment.depot_id,
                **{k: getattr(shipment, k) for k in PICKUP_FIELDS},
            )
            event = ReturnRequested(
                id=new_id(), hlc=self.clock.now().encode(), device=self.device_id, actor=device.id
            )
            return_id = new_id()
            await self._commit(return_id, "request_return", event, msgspec.to_builtins(info))
        return await self.get(device, return_id)

    async def get(self, device: Device, return_id: str) -> ReturnOut:
        """One return with its items, their grades and, once graded, the recommended refund."""
        info, state = await self._folded(device, return_id)
        if state.items:
            items = [
                ReturnItemOut(i.sku, i.quantity, i.grade.value, i.disposition.value)
                for i in state.items
            ]
        else:
            items = [ReturnItemOut(i.sku, i.quantity) for i in info.items]
        recommendation = recommend_refund(info, state)
        return ReturnOut(
            return_id,
            info.shipment_id,
            info.merchant_id,
            state.status.value,
            state.refunded_minor,
            info.currency,
            items,
            refund_out(recommendation) if recommendation else None,
        )

    async def refund(self, device: Device, return_id: str, amount: int) -> ReturnOut:
        """Record the merchant's refund of ``amount``: 409 unless the return is inspected,
        400 naming ``amount`` unless it is positive and at most the recommendation."""
        async with self._lock:
            info, state = await self._folded(device, return_id)
            recommendation = recommend_refund(info, state)
            if state.status != ReturnStatus.INSPECTED or recommendation is None:
                raise ClientException(
                    f"return is {state.status}: only an inspected return can be refunded",
                    status_code=409,
                )
            most = recommendation.total - state.refunded_minor
            if not 0 < amount <= most:
                raise ClientException(
                    f"amount {amount} must be positive and at most the recommended refund {most}"
                )
            event = Refunded(
                id=new_id(),
                hlc=self.clock.now().encode(),
                device=self.device_id,
                actor=device.id,
                payload=AmountPayload(amount, info.currency),
            )
            await self._commit(return_id, "refund", event)
        return await self.get(device, return_id)

    async def _folded(self, device: Device, return_id: str) -> tuple[ReturnInfo, ReturnState]:
        """The return's info and fold, if ``device`` may see it (else 404)."""
        stored = (await self.store.load([return_id])).get(return_id)
        if stored is not None and stored.doc_type == DocType.RETURN:
            info, state = folded_return(stored.state)
            if visible(device, info.merchant_id):
                return info, state
        raise NotFoundException(f"no return {return_id!r}")

    async def _shipment(
        self, device: Device, shipment_id: str
    ) -> tuple[ShipmentInfo, ShipmentStatus]:
        """The shipment's info and status, if ``device`` may see it (else 404)."""
        info, events = await visible_shipment(self.store, device, shipment_id)
        return info, fold_shipment(events, info.cod).status

    async def _requested(self, shipment_id: str) -> dict[str, int]:
        """Units per SKU the shipment's returns so far asked for."""
        ids = await self.store.returns_of(shipment_id)
        infos = [folded_return(d.state)[0] for d in (await self.store.load(ids)).values()]
        return units(item for info in infos for item in info.items)

    async def _commit(
        self, return_id: str, name: str, event: Event, info: dict[str, object] | None = None
    ) -> None:
        command = DocCommand.build(name, "return", [event], info)
        await commit_commands(
            self.store, [(return_id, command)], device_id=self.device_id, queue=False
        )
        await self.notify(await self.store.head())


PICKUP_FIELDS = ("recipient_name", "recipient_phone", "address", "postcode", "city")


def unit_prices(shipment: ShipmentInfo) -> dict[str, int]:
    """``sku -> unit price`` from the shipment's items (the first line of a SKU wins)."""
    prices: dict[str, int] = {}
    for item in shipment.items:
        prices.setdefault(item.sku, item.unit_price)
    return prices
