"""Depot returns desk: receive a return, grade its items, move stock.

Stock per SKU changes only through ``restocked``/``dispatched`` entries, and
only within what the inspection allows (restock what was graded for restock,
dispatch what is in stock).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from protocol.events import (
    Dispatched,
    ItemInspection,
    ItemsInspected,
    Restocked,
    ReturnReceived,
    StockMovement,
)
from protocol.vocab import Disposition, Grade, ReturnStatus, Role

from ..context import EdgeContext
from ..docs import ReturnView, return_by_id
from ..errors import AlreadyRecorded, InvalidInput, InvalidTransition, NothingToDo
from ..read_store import depot_returns
from ..read_store import stock_levels as stock_levels_at
from ._common import Outcome, in_my_depot, outcome, positive, write_event

R = ReturnStatus


class StockLevel(msgspec.Struct, frozen=True):
    sku: str
    quantity: int


async def _view(ctx: EdgeContext, return_id: str) -> ReturnView:
    ctx.require(Role.DEPOT)
    view = await return_by_id(ctx.store, return_id)
    in_my_depot(ctx, view)
    return view


async def receive_return(ctx: EdgeContext, return_id: str) -> Outcome:
    """A returned parcel arrived at the returns desk."""
    async with ctx.lock:
        view = await _view(ctx, return_id)
        if view.state.status not in (R.REQUESTED, R.PICKED_UP):
            raise AlreadyRecorded(f"return {return_id} is already {view.state.status}")
        body = ReturnReceived.Body(depot_id=ctx.identity.depot_id)
        events = await write_event(ctx, view, ReturnReceived, body, "receive_return")
    return outcome(view, R.RECEIVED, events, "received at returns desk")


def parse_item(text: str) -> ItemInspection:
    """``SKU:GRADE:DISPOSITION[:QTY]`` into an inspection line (CLI helper)."""
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise InvalidInput(f"item {text!r}: expected SKU:GRADE:DISPOSITION[:QTY]")
    try:
        qty = int(parts[3]) if len(parts) == 4 else 1
        return ItemInspection(
            parts[0], Grade(parts[1]), Disposition(parts[2]), positive(qty, "qty")
        )
    except ValueError:
        raise InvalidInput(
            f"item {text!r}: grade is one of {', '.join(Grade)}; "
            f"disposition one of {', '.join(Disposition)}"
        ) from None


async def inspect(ctx: EdgeContext, return_id: str, items: Sequence[ItemInspection]) -> Outcome:
    """Grade every item of a received return and choose its disposition."""
    if not items:
        raise InvalidInput("inspect needs at least one item")
    for item in items:
        positive(item.quantity, f"quantity of {item.sku}")
    async with ctx.lock:
        view = await _view(ctx, return_id)
        if view.state.status in (R.INSPECTED, R.COMPLETED) or view.state.items:
            raise AlreadyRecorded(f"return {return_id} was already inspected")
        if view.state.status != R.RECEIVED:
            raise InvalidTransition(f"return {return_id} is {view.state.status}: receive it first")
        body = ItemsInspected.Body(items=list(items))
        events = await write_event(ctx, view, ItemsInspected, body, "inspect")
    return outcome(view, R.INSPECTED, events, f"{len(items)} item(s) graded")


def _stock(view: ReturnView, depot_id: str, sku: str) -> int:
    return sum(q for d, s, q in view.state.stock if d == depot_id and s == sku)


async def _move(
    ctx: EdgeContext, return_id: str, sku: str, quantity: int, restock: bool
) -> Outcome:
    positive(quantity, "quantity")
    depot = ctx.identity.depot_id
    async with ctx.lock:
        view = await _view(ctx, return_id)
        if not view.state.items:
            raise InvalidTransition(f"return {return_id} is not inspected yet: inspect it first")
        in_stock = _stock(view, depot, sku)
        if restock:
            allowed = sum(
                i.quantity
                for i in view.state.items
                if i.sku == sku and i.disposition == Disposition.RESTOCK
            )
            restocked = sum(
                e.payload.quantity
                for e in view.events
                if isinstance(e, Restocked) and e.payload.sku == sku
            )
            if quantity > allowed - restocked:
                raise NothingToDo(
                    f"{sku}: {allowed - restocked} unit(s) graded for restock are left, "
                    f"cannot restock {quantity}"
                )
        elif quantity > in_stock:
            raise NothingToDo(f"{sku}: only {in_stock} in stock here, cannot dispatch {quantity}")
        kind, name = (Restocked, "restock") if restock else (Dispatched, "dispatch")
        payload = StockMovement(sku=sku, quantity=quantity, depot_id=depot)
        events = await write_event(ctx, view, kind, payload, name)
    after = in_stock + (quantity if restock else -quantity)
    return outcome(view, view.state.status, events, f"{sku}: {after} in stock")


async def restock(ctx: EdgeContext, return_id: str, sku: str, quantity: int = 1) -> Outcome:
    """Put graded-for-restock units back on the shelf."""
    return await _move(ctx, return_id, sku, quantity, restock=True)


async def dispatch(ctx: EdgeContext, return_id: str, sku: str, quantity: int = 1) -> Outcome:
    """Take units out of stock (back to the merchant, sold on)."""
    return await _move(ctx, return_id, sku, quantity, restock=False)


async def stock_levels(ctx: EdgeContext) -> list[StockLevel]:
    """Stock per SKU at this depot, from the restock/dispatch entries."""
    rows = await stock_levels_at(ctx.store, ctx.identity.depot_id)
    return [StockLevel(sku, quantity) for sku, quantity in rows]


class ReturnRow(msgspec.Struct, frozen=True):
    doc_id: str
    shipment_id: str
    status: str


async def returns_here(ctx: EdgeContext) -> list[ReturnRow]:
    """The returns of this depot, the ones still to handle first."""
    ctx.require(Role.DEPOT)
    return [ReturnRow(*r) for r in await depot_returns(ctx.store, ctx.identity.depot_id)]
