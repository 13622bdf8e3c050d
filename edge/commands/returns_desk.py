"""Depot returns desk: receive a return, grade its items (only items of the RMA, up to
their quantities), list the returns and the stock here. Stock movements are
:mod:`edge.commands.stock`.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from protocol.events import ItemInspection, ItemsInspected, ReturnReceived
from protocol.return_rules import grading_refusal
from protocol.vocab import Disposition, Grade, ReturnStatus, Role, StockState

from ..context import EdgeContext
from ..docs import ReturnView, return_by_id
from ..errors import AlreadyRecorded, InvalidInput, InvalidTransition
from ..read_store import depot_returns
from ._common import Outcome, in_my_depot, outcome, positive, write_event

R = ReturnStatus


class StockLevel(msgspec.Struct, frozen=True):
    sku: str
    quantity: int
    state: str = StockState.AVAILABLE.value


async def desk_view(ctx: EdgeContext, return_id: str) -> ReturnView:
    """A return of this depot, folded, for a depot node."""
    ctx.require(Role.DEPOT)
    view = await return_by_id(ctx.store, return_id)
    in_my_depot(ctx, view)
    return view


async def receive_return(ctx: EdgeContext, return_id: str) -> Outcome:
    """A returned parcel arrived at the returns desk."""
    async with ctx.lock:
        view = await desk_view(ctx, return_id)
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
        view = await desk_view(ctx, return_id)
        if view.state.status in (R.INSPECTED, R.COMPLETED) or view.state.items:
            raise AlreadyRecorded(f"return {return_id} was already inspected")
        if view.state.status != R.RECEIVED:
            raise InvalidTransition(f"return {return_id} is {view.state.status}: receive it first")
        refusal = grading_refusal(view.info, items, "items")
        if refusal is not None:
            raise InvalidInput(refusal.message)
        body = ItemsInspected.Body(items=list(items))
        events = await write_event(ctx, view, ItemsInspected, body, "inspect")
    return outcome(view, R.INSPECTED, events, f"{len(items)} item(s) graded")


async def stock_levels(ctx: EdgeContext) -> list[StockLevel]:
    """Units per SKU and state at this depot, from every return's stock movements."""
    ctx.require(Role.DEPOT)
    rows = await ctx.store.stock_levels(ctx.identity.depot_id)
    return [StockLevel(sku, quantity, state) for sku, state, quantity in rows]


class ReturnRow(msgspec.Struct, frozen=True):
    doc_id: str
    shipment_id: str
    status: str


async def returns_here(ctx: EdgeContext) -> list[ReturnRow]:
    """The returns of this depot, the ones still to handle first."""
    ctx.require(Role.DEPOT)
    return [ReturnRow(*r) for r in await depot_returns(ctx.store, ctx.identity.depot_id)]
