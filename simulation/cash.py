"""End of the day's cash: handover at the depot desk, count, deposit, remittance.

Each courier hands over everything in hand once no doorstep step is left on
the route; the desk counts what the fixtures script says it finds (a planted
count mismatch differs from the declared amount); once every handover of a
depot is counted the depot deposits the lot, and head office remits it at
central once the deposit has synced there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge import commands
from edge.errors import UnknownDocument
from fixtures import Handover
from protocol.commands import DocCommand
from protocol.events import BatchPayload, CashRemitted
from protocol.ids import named_id

from .read_store import deposit_booked
from .world import World, hlcs


@dataclass(slots=True)
class CourierCash:
    """One courier's handover as scripted and as done."""

    script: Handover
    handovers: list[commands.Handover] = field(default_factory=list)
    counted_ids: set[str] = field(default_factory=set)
    declared: int = 0
    handed: bool = False
    counted: bool = False


@dataclass(slots=True)
class DepotCash:
    depot_id: str
    couriers: list[CourierCash]
    deposit: commands.Deposit | None = None
    remitted: int = 0
    done: bool = False


async def cash_round(world: World, depots: list[DepotCash], busy: set[str]) -> None:
    """Do every cash step that is ready; ``busy`` lists couriers still on their route."""
    for depot in depots:
        if depot.done:
            continue
        node = world.depot_node[depot.depot_id]
        for cash in depot.couriers:
            if not cash.handed and cash.script.courier_id not in busy:
                await _hand_over(world, cash)
            if cash.handed and not cash.counted:
                await _count(world, node, cash)
        if depot.deposit is None and all(c.counted for c in depot.couriers):
            await _deposit(world, node, depot)
        if depot.deposit is not None and not depot.done:
            await _remit(world, depot)


def desk_counts(
    script: Handover, handovers: list[commands.Handover]
) -> list[tuple[commands.Handover, int]]:
    """What the desk counts for each handover: a planted mismatch lands on the first one."""
    difference = script.counted_minor - script.declared_minor
    return [(h, h.amount + (difference if i == 0 else 0)) for i, h in enumerate(handovers)]


async def _hand_over(world: World, cash: CourierCash) -> None:
    cash.handed = True
    if cash.script.declared_minor == 0:
        cash.counted = True  # nothing in hand: no handover, nothing to count
        return
    ctx = world.contexts[world.handheld_node[cash.script.courier_id]]
    cash.handovers = await commands.handover(ctx)
    cash.declared = sum(h.amount for h in cash.handovers)


async def _count(world: World, node: str, cash: CourierCash) -> None:
    ctx = world.contexts[node]
    for handover, amount in desk_counts(cash.script, cash.handovers):
        if handover.handover_id in cash.counted_ids:
            continue
        try:
            await commands.count_cash(ctx, handover.handover_id, amount)
        except UnknownDocument:
            return  # the handover has not reached the depot yet
        cash.counted_ids.add(handover.handover_id)
    cash.counted = True


async def _deposit(world: World, node: str, depot: DepotCash) -> None:
    ctx = world.contexts[node]
    amount = await commands.undeposited(ctx)
    if amount <= 0:
        depot.done = True
        return
    depot.deposit = await commands.deposit(ctx, amount)


async def _remit(world: World, depot: DepotCash) -> None:
    """Head office remits the deposit once central has seen it."""
    deposit = depot.deposit
    assert deposit is not None
    if not await deposit_booked(world.central, deposit.batch_id):
        return
    seen = await hlcs(world.central, deposit.book_id)
    batch_id = named_id("sim-remit", deposit.book_id)
    payload = BatchPayload(amount=deposit.amount, currency=deposit.currency, batch_id=batch_id)
    event = CashRemitted(**world.office_base(seen), payload=payload)
    await world.office_write(deposit.book_id, DocCommand.build("remit", "cashbook", [event]))
    depot.remitted = deposit.amount
    depot.done = True
