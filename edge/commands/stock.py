"""Depot stock of returned units: move them between states (see :mod:`protocol.stock`).

Graded units go where their disposition says (restock, quarantine, dispose,
back to the merchant); quarantined units are released to available, disposed
or sent back; available units are dispatched (sold on), quarantined, disposed
or sent back. Sending back names who at the merchant received the units and
may carry their signature. Each movement is one event of the return, refused
with the reason (and nothing written) when its source does not hold the units.
"""

from __future__ import annotations

from protocol.commands import DocCommand
from protocol.events import (
    Dispatched,
    Event,
    Restocked,
    Stamp,
    StockMoved,
    StockMovement,
    StockTransfer,
)
from protocol.lifecycle import sort_events
from protocol.stock import fold_stock, movement_error
from protocol.vocab import StockSource, StockState

from ..context import EdgeContext
from ..errors import InvalidInput, InvalidTransition, NothingToDo
from ._common import Outcome, one_of, outcome, positive
from .courier import Attachment
from .returns_desk import desk_view

OUT = "dispatched"  # the target of a dispatch: the units leave the depot's states


def _event(stamp: Stamp, source: StockSource, target: str, move: StockTransfer) -> Event:
    """The stock event of one movement: restocked, dispatched or stock_moved."""
    plain = StockMovement(sku=move.sku, quantity=move.quantity, depot_id=move.depot_id)
    if target == OUT:
        if source != StockSource.AVAILABLE:
            raise InvalidInput(f"target: only available units are dispatched, not {source}")
        return Dispatched(**stamp, payload=plain)
    if source == StockSource.GRADED and target == StockState.AVAILABLE:
        return Restocked(**stamp, payload=plain)
    return StockMoved(**stamp, payload=move)


def _verb(source: StockSource, goal: str) -> str:
    if goal == StockState.AVAILABLE:
        return "restocked" if source == StockSource.GRADED else "released to stock"
    return VERBS.get(goal, goal)


VERBS = {
    OUT: "dispatched",
    StockState.QUARANTINED: "quarantined",
    StockState.DISPOSED: "disposed",
    StockState.RETURNED_TO_MERCHANT: "sent back to the merchant",
}


async def move_stock(
    ctx: EdgeContext,
    return_id: str,
    sku: str,
    quantity: int,
    source: StockSource | str,
    target: StockState | str,
    *,
    received_by: str = "",
    signature: Attachment | None = None,
) -> Outcome:
    """Move ``quantity`` units of ``sku`` of a return from ``source`` to ``target``
    (a :class:`StockState`, or ``dispatched``) at this depot."""
    positive(quantity, "quantity")
    source = one_of(StockSource, source, "source")
    goal = str(target) if target == OUT else one_of(StockState, target, "target")
    async with ctx.lock:
        view = await desk_view(ctx, return_id)
        if not view.state.items:
            raise InvalidTransition(f"return {return_id} is not inspected yet: inspect it first")
        clock = await ctx.clock(view.hlcs)
        move = StockTransfer(
            sku=sku,
            quantity=quantity,
            depot_id=ctx.identity.depot_id,
            source=source,
            target=StockState.AVAILABLE if goal == OUT else StockState(goal),
            received_by=received_by.strip(),
            signature_sha256=signature.sha256 if signature else None,
        )
        event = _event(ctx.base(clock.now()), source, goal, move)
        book = fold_stock(view.state.items, sort_events(view.events))
        error = movement_error(book, event)
        if error:
            raise NothingToDo(error.removeprefix("payload."))
        attached = [
            {"kind": "signature", "sha256": signed.sha256, "path": signed.path}
            for signed in ([signature] if signature else [])
        ]
        command = DocCommand.build("move_stock", "return", [event], attachments=attached)
        await ctx.commit(clock, [(view.doc_id, command)])
        book.apply(event)
    left = book.level(ctx.identity.depot_id, sku, StockState.AVAILABLE)
    text = f"{sku}: {quantity} {_verb(source, goal)}; {left} in stock here"
    return outcome(view, view.state.status, [event], text)


async def restock(ctx: EdgeContext, return_id: str, sku: str, quantity: int = 1) -> Outcome:
    """Put graded-for-restock units back on the shelf (available)."""
    return await move_stock(ctx, return_id, sku, quantity, StockSource.GRADED, StockState.AVAILABLE)


async def dispatch(ctx: EdgeContext, return_id: str, sku: str, quantity: int = 1) -> Outcome:
    """Take available units out of stock (sold on)."""
    return await move_stock(ctx, return_id, sku, quantity, StockSource.AVAILABLE, OUT)
