"""The depot cash desk's adjustment of its own count of a handover.

When a recount settles a ``count_mismatch`` (the courier pays the shortfall,
or takes back what was over), the desk records it as a ``reversal`` naming the
handover, with the reason and the discrepancy it answers; once synced, the
discrepancy is closed on every replica (see :mod:`protocol.discrepancies`).
"""

from __future__ import annotations

import msgspec

from protocol.cash import fold_by_currency
from protocol.commands import DocCommand
from protocol.events import CashReversal, ReversalPayload
from protocol.vocab import Role

from ..context import EdgeContext
from ..docs import cash_books
from ..errors import AmountMismatch, InvalidInput, NothingToDo, UnknownDocument
from ..read_store import handover_book_ids
from ._common import money, positive


class Adjustment(msgspec.Struct, frozen=True):
    handover_id: str
    book_id: str
    event_id: str
    amount: int
    currency: str


async def adjust_count(
    ctx: EdgeContext, handover_id: str, amount: int, reason: str, discrepancy: str = ""
) -> Adjustment:
    """Record ``amount`` of a counted handover's gap as settled, with ``reason``."""
    ctx.require(Role.DEPOT)
    positive(amount, "amount")
    if not reason.strip():
        raise InvalidInput("reason: say why the count is adjusted")
    async with ctx.lock:
        books = await cash_books(ctx.store, await handover_book_ids(ctx.store, handover_id))
        if not books or books[0].info.depot_id != ctx.identity.depot_id:
            raise UnknownDocument(f"no handover {handover_id} to this depot here")
        book = books[0]
        count = next(
            h
            for state in fold_by_currency(book.events, book.info.currency).values()
            for h in state.handovers
            if h.handover_id == handover_id
        )
        if count.discrepancy is None or count.discrepancy.amount == 0:
            raise NothingToDo(f"handover {handover_id} has no counted difference to adjust")
        gap, currency = abs(count.discrepancy.amount), count.handed_over.currency
        if amount > gap:
            raise AmountMismatch(
                f"the count differs by {money(gap, currency)}: cannot adjust "
                f"{money(amount, currency)}"
            )
        clock = await ctx.clock(book.hlcs)
        payload = ReversalPayload(
            amount=amount,
            currency=currency,
            entry_id=handover_id,
            reason=reason.strip(),
            discrepancy=discrepancy,
        )
        event = CashReversal(**ctx.base(clock.now()), payload=payload)
        await ctx.commit(clock, [(book.doc_id, DocCommand.build("adjust", "cashbook", [event]))])
    return Adjustment(handover_id, book.doc_id, event.id, amount, currency)
