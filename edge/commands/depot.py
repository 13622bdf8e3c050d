"""Depot commands: inbound scan, route assignment, cash desk count and deposit.

Same contract as the courier commands: fold first, refuse with a typed error
and write nothing, else write ONE local transaction.
"""

from __future__ import annotations

import re

import msgspec

from protocol.cash import fold_by_currency
from protocol.commands import DocCommand
from protocol.events import (
    BatchPayload,
    CashCounted,
    CashDeposited,
    CountPayload,
    Event,
    Reassigned,
    ReceivedAtDepot,
)
from protocol.ids import depot_book_id, new_id
from protocol.vocab import TERMINAL_STATUSES, Role, ShipmentStatus

from ..context import EdgeContext
from ..docs import ShipmentView, books_where, cash_books, find_shipment
from ..errors import (
    AlreadyRecorded,
    AmountMismatch,
    InvalidInput,
    InvalidTransition,
    NothingToDo,
    UnknownDocument,
)
from ..read_store import handover_book_ids, open_shipment_rows
from ._common import (
    Outcome,
    book_info,
    in_my_depot,
    money,
    outcome,
    positive,
    write_event,
)

S = ShipmentStatus
BATCH_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class CountResult(msgspec.Struct, frozen=True):
    """A handover counted at the desk; ``discrepancy`` = counted - declared."""

    handover_id: str
    book_id: str
    courier_id: str
    declared: int
    counted: int
    discrepancy: int
    currency: str


class Deposit(msgspec.Struct, frozen=True):
    batch_id: str
    book_id: str
    amount: int
    currency: str
    remaining: int


async def find(ctx: EdgeContext, code: str) -> ShipmentView:
    """A shipment of this depot by tracking number, barcode or id."""
    ctx.require(Role.DEPOT)
    view = await find_shipment(ctx.store, code)
    in_my_depot(ctx, view)
    return view


async def receive(ctx: EdgeContext, code: str) -> Outcome:
    """Inbound scan: the parcel is physically at this depot."""
    async with ctx.lock:
        view = await find(ctx, code)
        status = view.state.status
        if status == S.AT_DEPOT:
            raise AlreadyRecorded(f"{view.info.tracking_number} is already at the depot")
        if status not in (S.CREATED, S.ATTEMPT_FAILED):
            raise InvalidTransition(f"{view.info.tracking_number} is {status}: cannot scan in")
        body = ReceivedAtDepot.Body(depot_id=ctx.identity.depot_id)
        events = await write_event(ctx, view, ReceivedAtDepot, body, "receive")
    return outcome(view, S.AT_DEPOT, events, "received at depot")


async def assign(
    ctx: EdgeContext, code: str, courier_id: str, route_day: str, route_seq: int, reason: str = ""
) -> Outcome:
    """Assign (or reassign) a shipment to a courier's route: the routing fields, and a
    ``reassigned`` event that keeps who did it and why in the shipment's history."""
    if not courier_id.strip() or not route_day.strip():
        raise InvalidInput("courier id and route day are required")
    if route_seq < 0:
        raise InvalidInput(f"route sequence must not be negative, got {route_seq}")
    async with ctx.lock:
        view = await find(ctx, code)
        if view.state.status in TERMINAL_STATUSES:
            raise InvalidTransition(
                f"{view.info.tracking_number} is {view.state.status}: nothing to route"
            )
        fields = {"courier_id": courier_id, "route_day": route_day, "route_seq": route_seq}
        current = {k: getattr(view.info, k) for k in fields}
        if current == fields:
            raise AlreadyRecorded(f"{view.info.tracking_number} is already on that route stop")
        clock = await ctx.clock(view.hlcs)
        body = Reassigned.Body(
            courier_id=courier_id, route_day=route_day, reason=reason.strip(), route_seq=route_seq
        )
        events: list[Event] = [Reassigned(**ctx.base(clock.now()), payload=body)]
        command = DocCommand.build("assign", "shipment", events, info=fields)
        await ctx.commit(clock, [(view.doc_id, command)])
    message = f"assigned to {courier_id} on {route_day} stop {route_seq}"
    return outcome(view, view.state.status, events, message)


async def count_cash(ctx: EdgeContext, handover_id: str, amount: int) -> CountResult:
    """Record what the desk counted for a courier's handover (difference = discrepancy)."""
    ctx.require(Role.DEPOT)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidInput(f"counted amount must be a whole number >= 0, got {amount!r}")
    async with ctx.lock:
        books = await cash_books(ctx.store, await handover_book_ids(ctx.store, handover_id))
        if not books:
            raise UnknownDocument(
                f"no handover {handover_id} here: let the handheld sync with the depot first"
            )
        book = books[0]
        if book.info.depot_id != ctx.identity.depot_id:
            raise InvalidInput(f"handover {handover_id} was made to depot {book.info.depot_id}")
        count = next(
            h
            for state in fold_by_currency(book.events, book.info.currency).values()
            for h in state.handovers
            if h.handover_id == handover_id
        )
        if count.counted is not None:
            raise AlreadyRecorded(f"handover {handover_id} was already counted")
        clock = await ctx.clock(book.hlcs)
        payload = CountPayload(
            amount=amount,
            currency=count.handed_over.currency,
            handover_id=handover_id,
            depot_id=ctx.identity.depot_id,
        )
        event = CashCounted(**ctx.base(clock.now()), payload=payload)
        await ctx.commit(clock, [(book.doc_id, DocCommand.build("count", "cashbook", [event]))])
    declared = count.handed_over.amount
    return CountResult(
        handover_id,
        book.doc_id,
        book.info.owner_id,
        declared,
        amount,
        amount - declared,
        book.info.currency,
    )


async def undeposited(ctx: EdgeContext) -> int:
    """Cash counted at this depot's desk and not yet deposited, in the node currency."""
    currency = ctx.identity.currency
    books = await books_where(ctx.store, depot_id=ctx.identity.depot_id)
    counted = sum(
        b.state.counted.amount
        for b in books
        if b.info.owner_kind == "courier" and b.info.currency == currency
    )
    deposited = sum(
        b.state.deposited.amount
        for b in books
        if b.info.owner_kind == "depot" and b.info.currency == currency
    )
    return counted - deposited


class DepositBatch(msgspec.Struct, frozen=True):
    """A deposit batch recorded at this depot, with who recorded it."""

    batch_id: str
    day: str
    amount: int
    currency: str
    actor: str
    hlc: str


async def deposits(ctx: EdgeContext) -> list[DepositBatch]:
    """Every deposit batch in this depot's cash books, newest first."""
    books = await books_where(ctx.store, owner_kind="depot", owner_id=ctx.identity.depot_id)
    found = [
        DepositBatch(
            e.payload.batch_id, b.info.day, e.payload.amount, e.payload.currency, e.actor, e.hlc
        )
        for b in books
        for e in b.events
        if isinstance(e, CashDeposited)
    ]
    return sorted(found, key=lambda d: d.hlc, reverse=True)


def _batch_name(batch_id: str | None) -> str:
    """``batch_id`` (a bank slip number, say) if it is a short plain name, else a new id."""
    name = (batch_id or "").strip()
    if not name:
        return new_id()
    if not BATCH_NAME.fullmatch(name):
        raise InvalidInput(
            f"batch: {name[:40]!r} is not a batch name: up to 64 letters, digits, '.', '-', '_'"
        )
    return name


async def deposit(ctx: EdgeContext, amount: int, batch_id: str | None = None) -> Deposit:
    """Record a deposit batch of counted cash in the depot's cash book of today."""
    ctx.require(Role.DEPOT)
    positive(amount, "deposit amount")
    currency = ctx.identity.currency
    batch = _batch_name(batch_id)
    async with ctx.lock:
        if any(d.batch_id == batch for d in await deposits(ctx)):
            raise AlreadyRecorded(f"batch: a deposit {batch} was already recorded")
        available = await undeposited(ctx)
        if available <= 0:
            raise NothingToDo("no counted cash waiting to be deposited")
        if amount > available:
            raise AmountMismatch(
                f"only {money(available, currency)} counted at the desk is not yet deposited; "
                f"cannot deposit {money(amount, currency)}"
            )
        day = ctx.today()
        book_id = depot_book_id(ctx.identity.depot_id, day)
        existing = await cash_books(ctx.store, [book_id])
        clock = await ctx.clock(existing[0].hlcs if existing else [])
        payload = BatchPayload(amount=amount, currency=currency, batch_id=batch)
        event = CashDeposited(**ctx.base(clock.now()), payload=payload)
        info = None if existing else book_info("depot", ctx.identity.depot_id, ctx, day, currency)
        command = DocCommand.build("deposit", "cashbook", [event], info=info)
        await ctx.commit(clock, [(book_id, command)])
    return Deposit(batch, book_id, amount, currency, available - amount)


class PlanRow(msgspec.Struct, frozen=True):
    """A parcel of this depot as the route planning desk lists it."""

    doc_id: str
    tracking_number: str
    recipient_name: str
    city: str
    status: str
    courier_id: str
    route_day: str
    route_seq: int
    assignments: list[tuple[str, str]] = []  # (actor, hlc) of each reassigned, oldest first


async def to_plan(ctx: EdgeContext) -> list[PlanRow]:
    """This depot's parcels still to deliver, by courier, day and stop, with who routed
    each (the ``reassigned`` events)."""
    ctx.require(Role.DEPOT)
    rows = await open_shipment_rows(ctx.store, ctx.identity.depot_id, TERMINAL_STATUSES)
    trail = await ctx.store.route_records(ctx.identity.depot_id)
    return [
        PlanRow(
            r[0],
            r[1],
            r[2] or "",
            r[3] or "",
            r[4],
            r[5] or "",
            r[6] or "",
            r[7] or 0,
            trail.get(r[0], []),
        )
        for r in rows
    ]
