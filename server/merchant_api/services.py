"""Shipments written by merchants: idempotent create, read, list, cancel.

Writes are CRDT documents committed on central with
:func:`sync.ingest.commit_commands`; reads come from the projections. The
merchant's ``order_ref`` is reserved with the shipment id and tracking number
BEFORE the document is written, so a retry after any failure lands on the
same shipment.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence

import msgspec
from litestar.exceptions import ClientException, NotFoundException

from protocol.commands import DocCommand
from protocol.errors import ProtocolError
from protocol.events import Cancelled, ShipmentCreated
from protocol.hlc import HybridClock
from protocol.ids import make_tracking_number, new_id
from protocol.info import Item, Parcel, ShipmentInfo
from protocol.lifecycle import transition_error
from protocol.money import check_currency
from protocol.permissions import Device
from protocol.pin import PIN_DIGITS, pin_digest
from protocol.vocab import Role, ShipmentStatus
from sync.ingest import commit_commands
from sync.store import ReplicaStore

from ..followups.store import max_attempts
from ._rows import shipment_out, visible
from .schemas import CreateResult, ShipmentIn, ShipmentOut, ShipmentPage
from .store import (
    Key,
    reserve_orders,
    reserved_orders,
    shipment_events,
    shipment_page_rows,
    shipment_row,
)

Notify = Callable[[int], Awaitable[None]]
Serials = Callable[[], int]  # a random tracking serial in 0..99,999,999
MAX_DRAWS = 20


class Reservation(msgspec.Struct):
    shipment_id: str
    tracking_number: str
    stored: bool


def _info(
    merchant_id: str, tracking_number: str, item: ShipmentIn, otp_digest: str = ""
) -> ShipmentInfo:
    fields = msgspec.structs.asdict(item)
    fields.pop("merchant_id")
    fields.pop("otp_required")
    fields["otp_digest"] = otp_digest
    fields["parcels"] = [Parcel(p.barcode, p.weight_g) for p in item.parcels]
    fields["items"] = [Item(i.sku, i.quantity, i.unit_price) for i in item.items]
    return ShipmentInfo(merchant_id=merchant_id, tracking_number=tracking_number, **fields)


def new_pins(refs: Sequence[str]) -> dict[str, tuple[str, str]]:
    """A fresh random PIN per order ref, with its digest: ``{ref: (pin, digest)}``."""
    pins = {ref: f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}" for ref in refs}
    return {ref: (pin, pin_digest(pin, secrets.token_bytes(16))) for ref, pin in pins.items()}


class ShipmentService:
    """Merchant-facing shipment operations over central's store."""

    def __init__(
        self,
        store: ReplicaStore,
        clock: HybridClock,
        notify: Notify,
        device_id: str,
        serials: Serials = lambda: secrets.randbelow(100_000_000),
    ):
        self.store, self.clock, self.notify, self.device_id = store, clock, notify, device_id
        self._serials = serials
        self._lock = asyncio.Lock()

    async def create_many(
        self, merchant_id: str, items: Sequence[ShipmentIn], actor: str
    ) -> list[CreateResult]:
        """Create each shipment not already known by ``order_ref``; one result per item."""
        async with self._lock:
            known = await self._reserved(merchant_id, [i.order_ref for i in items])
            results: list[CreateResult] = []
            fresh: dict[str, int] = {}
            for index, item in enumerate(items):
                try:
                    check_currency(item.currency, "currency")
                except ProtocolError as exc:
                    results.append(CreateResult(index, item.order_ref, False, error=str(exc)))
                    continue
                if item.order_ref not in known or not known[item.order_ref].stored:
                    fresh.setdefault(item.order_ref, index)
                results.append(CreateResult(index, item.order_ref, True))
            known.update(await self._reserve(merchant_id, [r for r in fresh if r not in known]))
            wanted = [ref for ref, i in fresh.items() if items[i].otp_required]
            pins = await asyncio.to_thread(new_pins, wanted)  # scrypt: off the loop
            attempts = await max_attempts(self.store, merchant_id)
            commands = [
                (
                    known[ref].shipment_id,
                    self._create_command(
                        _info(merchant_id, known[ref].tracking_number, items[i], pins[ref][1])
                        if ref in pins
                        else _info(merchant_id, known[ref].tracking_number, items[i]),
                        actor,
                        attempts,
                    ),
                )
                for ref, i in fresh.items()
            ]
            if commands:
                await commit_commands(self.store, commands, device_id=self.device_id, queue=False)
        for result in results:
            if result.ok:
                reservation = known[result.order_ref]
                result.id, result.tracking_number = (
                    reservation.shipment_id,
                    reservation.tracking_number,
                )
                result.created = fresh.get(result.order_ref) == result.index
                if result.created and result.order_ref in pins:
                    result.otp = pins[result.order_ref][0]
        if commands:
            await self.notify(await self.store.head())
        return results

    def _create_command(self, info: ShipmentInfo, actor: str, attempts: int) -> DocCommand:
        """The ``created`` event carries the merchant's attempts before the automatic
        return, so every replica folds the shipment with the same number."""
        event = ShipmentCreated(
            id=new_id(),
            hlc=self.clock.now().encode(),
            device=self.device_id,
            actor=actor,
            payload=ShipmentCreated.Body(max_attempts=attempts),
        )
        return DocCommand.build("create", "shipment", [event], info=msgspec.to_builtins(info))

    async def _reserved(self, merchant_id: str, refs: list[str]) -> dict[str, Reservation]:
        rows = await reserved_orders(self.store, merchant_id, refs)
        return {ref: Reservation(sid, number, stored) for ref, sid, number, stored in rows}

    async def _reserve(self, merchant_id: str, refs: list[str]) -> dict[str, Reservation]:
        """A shipment id and a fresh tracking number for each of ``refs``: random
        serials (not guessable from another parcel's), drawn again on a collision."""
        made: dict[str, Reservation] = {}
        for _attempt in range(MAX_DRAWS):
            wanted = [ref for ref in refs if ref not in made]
            if not wanted:
                break
            drawn = {ref: Reservation(new_id(), self._number(), False) for ref in wanted}
            await reserve_orders(
                self.store,
                merchant_id,
                [(ref, r.shipment_id, r.tracking_number) for ref, r in drawn.items()],
            )
            stored = await self._reserved(merchant_id, wanted)
            made.update(
                {
                    ref: r
                    for ref, r in drawn.items()
                    if ref in stored and stored[ref].shipment_id == r.shipment_id
                }
            )
        if len(made) < len(refs):
            raise RuntimeError(f"no free tracking number after {MAX_DRAWS} draws")
        return made

    def _number(self) -> str:
        return make_tracking_number(self._serials())

    async def get(self, device: Device, where: Key, value: str) -> ShipmentOut:
        """One shipment with its events, if ``device`` may see it (else 404)."""
        row = await shipment_row(self.store, where, value)
        if row is None or not visible(device, row[2]):
            raise NotFoundException(f"no shipment {value!r}")
        return shipment_out(row, await shipment_events(self.store, row[0]))

    async def page(
        self,
        device: Device,
        status: str | None,
        updated_since_ms: int | None,
        cursor: str,
        limit: int,
    ) -> ShipmentPage:
        """Shipments in id order after ``cursor``, filtered; ``next_cursor`` resumes."""
        rows = await shipment_page_rows(
            self.store,
            cursor,
            limit + 1,
            merchant_id=None if device.role == Role.OFFICE else device.merchant_id or "",
            status=status or None,
            since_hlc=None if updated_since_ms is None else f"{updated_since_ms:013d}",
        )
        items = [shipment_out(r) for r in rows[:limit]]
        return ShipmentPage(items, items[-1].id if len(rows) > limit else None)

    async def cancel(self, device: Device, shipment_id: str, reason: str) -> ShipmentOut:
        """Cancel before pickup (created / at depot); 409 once it left the depot."""
        async with self._lock:
            current = await self.get(device, "doc_id", shipment_id)
            if current.status == ShipmentStatus.CANCELLED:
                return current
            error = transition_error(ShipmentStatus(current.status), "cancelled")
            if error:
                raise ClientException(error, status_code=409)
            event = Cancelled(
                id=new_id(),
                hlc=self.clock.now().encode(),
                device=self.device_id,
                actor=device.id,
                payload=Cancelled.Body(reason),
            )
            command = DocCommand.build("cancel", "shipment", [event])
            await commit_commands(
                self.store, [(shipment_id, command)], device_id=self.device_id, queue=False
            )
        await self.notify(await self.store.head())
        return await self.get(device, "doc_id", shipment_id)


def status_filter(value: str | None) -> str | None:
    """Validate a ``status`` query value; ``None`` when absent."""
    if value is None or value == "":
        return None
    try:
        return ShipmentStatus(value).value
    except ValueError:
        allowed = ", ".join(s.value for s in ShipmentStatus)
        raise ClientException(f"status {value!r} is not one of {allowed}") from None
