"""Courier cash: COD collection, cash in hand with its limit, end-of-day handover.

Cash in hand is folded offline from the courier's cash books, per currency
(:func:`protocol.cash.fold_by_currency`: cash of a parcel paid in another
currency than the handheld's is shown and handed over in its own currency,
never added to it). The limit is head office's last ``cash_limit`` entry
synced into the courier's books (:func:`protocol.cash.latest_limit`), else
the one given at enrolment; it blocks further CASH collections in its
currency until a handover. A limit changed while the handheld is offline
applies from its next sync: until then the handheld enforces the last one it
received, and head office sees cash above the new limit as over limit. A COD
amount different from the expected one needs a reason and is still recorded,
so the fold raises the discrepancy.
"""

from __future__ import annotations

import msgspec

from protocol.cash import fold_by_currency, latest_limit
from protocol.commands import DocCommand
from protocol.events import (
    CashCollected,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    Event,
    HandoverPayload,
)
from protocol.ids import courier_book_id, new_id
from protocol.lifecycle import fold_shipment
from protocol.vocab import PaymentMethod, Role

from ..context import EdgeContext
from ..docs import CashBookView, books_where
from ..errors import AlreadyRecorded, AmountMismatch, CashLimitReached, NothingToDo
from ._common import (
    Outcome,
    book_info,
    money,
    one_of,
    outcome,
    positive,
    shipment_command,
)
from .courier import find, going_out


class CashPosition(msgspec.Struct, frozen=True):
    """The courier's cash in hand over every book this handheld holds."""

    courier_id: str
    currency: str
    in_hand: int
    limit: int | None
    books: list[tuple[str, int]]  # (day, in hand)
    other_currencies: dict[str, int] = {}  # in hand in currencies other than ``currency``

    @property
    def headroom(self) -> int | None:
        """How much more cash may be taken before the limit; None without a limit."""
        return None if self.limit is None else self.limit - self.in_hand


class Handover(msgspec.Struct, frozen=True):
    """One handover recorded by the courier, to be counted at the depot desk."""

    handover_id: str
    book_id: str
    day: str
    amount: int
    currency: str


async def _my_books(ctx: EdgeContext) -> list[CashBookView]:
    return await books_where(ctx.store, owner_kind="courier", owner_id=ctx.identity.courier_id)


def _position(ctx: EdgeContext, books: list[CashBookView]) -> CashPosition:
    currency = ctx.identity.currency
    held: dict[str, int] = {}
    per_book = []
    for b in books:
        states = fold_by_currency(b.events, b.info.currency)
        for cur, state in states.items():
            held[cur] = held.get(cur, 0) + state.in_hand.amount
        mine = states.get(currency)
        per_book.append((b.info.day, mine.in_hand.amount if mine else 0))
    limit = latest_limit([e for b in books for e in b.events], currency)
    return CashPosition(
        courier_id=ctx.identity.courier_id,
        currency=currency,
        in_hand=held.pop(currency, 0),
        limit=ctx.identity.cash_limit if limit is None else limit,
        books=per_book,
        other_currencies={cur: amount for cur, amount in held.items() if amount},
    )


async def cash_position(ctx: EdgeContext) -> CashPosition:
    """Cash in hand now, computed offline from the courier's cash books."""
    ctx.require(Role.COURIER)
    return _position(ctx, await _my_books(ctx))


def _check_limit(position: CashPosition, amount: int) -> None:
    headroom = position.headroom
    if headroom is not None and amount > headroom:
        raise CashLimitReached(
            f"cash in hand {money(position.in_hand, position.currency)} plus "
            f"{money(amount, position.currency)} would pass the limit of "
            f"{money(position.limit or 0, position.currency)}: hand over cash at the depot "
            "first (parcelsync edge handover), or take a card payment"
        )


async def collect(
    ctx: EdgeContext,
    code: str,
    amount: int,
    *,
    method: PaymentMethod | str = PaymentMethod.CASH,
    reason: str = "",
) -> Outcome:
    """Collect the COD of a shipment; cash also enters the courier's cash book of today."""
    positive(amount, "amount")
    method = one_of(PaymentMethod, method, "method")
    async with ctx.lock:
        view = await find(ctx, code)
        expected = view.info.cod
        if expected is None:
            raise NothingToDo(f"{view.info.tracking_number} is prepaid: there is no COD to collect")
        if view.state.collections:
            raise AlreadyRecorded(f"COD of {view.info.tracking_number} was already collected")
        if amount != expected.amount and not reason.strip():
            raise AmountMismatch(
                f"expected {expected.format()}, got {money(amount, expected.currency)}: "
                "give a reason (--reason) to record a different amount"
            )
        day = ctx.today()
        book_id = courier_book_id(ctx.identity.courier_id, day)
        books = await _my_books(ctx)
        if method == PaymentMethod.CASH and expected.currency == ctx.identity.currency:
            _check_limit(_position(ctx, books), amount)
        book = next((b for b in books if b.doc_id == book_id), None)
        clock = await ctx.clock([*view.hlcs, *(book.hlcs if book else [])])
        events = going_out(ctx, view, clock)
        pay = CodCollectedPayload(
            amount=amount, currency=expected.currency, method=method, reason=reason.strip()
        )
        events.append(CodCollected(**ctx.base(clock.now()), payload=pay))
        commands = [
            (view.doc_id, shipment_command("collect", events, amount=amount, reason=reason))
        ]
        cash: list[Event] = []
        if method == PaymentMethod.CASH:  # card money never passes through the courier's hands
            entry = CollectedPayload(
                amount=amount,
                currency=pay.currency,
                shipment_id=view.doc_id,
                method=method,
                reason=pay.reason,
            )
            cash.append(CashCollected(**ctx.base(clock.now()), payload=entry))
            info = (
                None
                if book
                else book_info("courier", ctx.identity.courier_id, ctx, day, pay.currency)
            )
            commands.append((book_id, DocCommand.build("collect", "cashbook", cash, info=info)))
        await ctx.commit(clock, commands)
    note = "" if amount == expected.amount else f" (expected {expected.format()}: discrepancy)"
    after = fold_shipment([*view.events, *events], expected).status
    return outcome(
        view, after, [*events, *cash], f"collected {money(amount, expected.currency)}{note}"
    )


async def handover(ctx: EdgeContext) -> list[Handover]:
    """Hand over all cash in hand at the depot desk: one entry per book and currency."""
    ctx.require(Role.COURIER)
    async with ctx.lock:
        held = [
            (book, state.in_hand)
            for book in await _my_books(ctx)
            for state in fold_by_currency(book.events, book.info.currency).values()
            if state.in_hand.amount > 0
        ]
        if not held:
            raise NothingToDo("no cash in hand to hand over")
        clock = await ctx.clock([h for b, _ in held for h in b.hlcs])
        done, commands = [], []
        for book, cash in held:
            hid = new_id()
            payload = HandoverPayload(
                amount=cash.amount,
                currency=cash.currency,
                handover_id=hid,
                depot_id=ctx.identity.depot_id,
            )
            event = CashHandedOver(**ctx.base(clock.now()), payload=payload)
            commands.append((book.doc_id, DocCommand.build("handover", "cashbook", [event])))
            done.append(Handover(hid, book.doc_id, book.info.day, cash.amount, cash.currency))
        await ctx.commit(clock, commands)
    return done
