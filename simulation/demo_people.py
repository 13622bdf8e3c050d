"""The people of ``parcelsync demo``: the depot staff and the couriers.

They act through the edge command functions on real edge nodes that sync in
the background (the depot over HTTP to central, the handhelds over HTTP to
the depot relay), at a human pace so the dashboard shows things moving.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge import commands
from edge.context import EdgeContext
from edge.errors import EdgeError
from edge.node import EdgeNode
from fixtures import ShipmentPlan, StepKind
from protocol.events import ItemInspection
from protocol.money import Money, total
from protocol.vocab import Disposition

from .read_store import has_return

Echo = Callable[[str], None]
POLL_S = 0.25  # how often a person looks whether the synced data has arrived


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``check()`` is true: another node's background sync brings the data.

    Polling on purpose: the data arrives through sync loops and HTTP requests
    this person does not own, so there is no event to wait on. Callers bound
    the wait with ``asyncio.timeout``.
    """
    while not await check():  # noqa: ASYNC110
        await asyncio.sleep(POLL_S)


@dataclass(slots=True)
class Stop:
    """One stop of a courier's route: the shipment at central and its script."""

    shipment_id: str
    recipient: str
    cod: int
    plan: ShipmentPlan


@dataclass(slots=True)
class Courier:
    courier_id: str
    name: str  # the person, shown in the progress lines
    db: Path
    stops: list[Stop]
    offline_at: int | None = None  # stop index where the handheld loses its link
    node: EdgeNode | None = None
    handovers: list[commands.Handover] = field(default_factory=list)


async def depot_morning(ctx: EdgeContext, routes: dict[str, list[Stop]], day: str) -> int:
    """Inbound scan of every parcel, then each courier's route in stop order."""
    for courier_id, stops in routes.items():
        for seq, stop in enumerate(stops, start=1):
            await commands.receive(ctx, stop.shipment_id)
            await commands.assign(ctx, stop.shipment_id, courier_id, day, seq)
    return sum(len(s) for s in routes.values())


async def do_stop(ctx: EdgeContext, stop: Stop) -> str:
    """Do the doorstep part of a stop's script (what the courier can do today)."""
    done = "?"
    for step in stop.plan.outcome:
        match step.kind:
            case StepKind.OUT_FOR_DELIVERY:
                await commands.out_for_delivery(ctx, stop.shipment_id)
            case StepKind.FAIL:
                assert step.reason is not None
                await commands.fail(ctx, stop.shipment_id, step.reason)
                return f"failed ({step.reason})"
            case StepKind.COLLECT:
                assert step.method is not None
                await commands.collect(
                    ctx,
                    stop.shipment_id,
                    step.amount or stop.cod,
                    method=step.method,
                    reason=step.note,
                )
            case StepKind.DELIVER:
                await commands.deliver(ctx, stop.shipment_id, recipient_name=stop.recipient)
                done = "delivered"
            case _:
                break
    return done


async def courier_day(courier: Courier, pace: float, echo: Echo) -> None:
    """Drive the route: a stop every ``pace`` seconds; hand the cash over at the end."""
    node = courier.node
    assert node is not None

    async def has_route() -> bool:
        held = await node.ctx.store.load(s.shipment_id for s in courier.stops)
        return len(held) == len(courier.stops)

    async with asyncio.timeout(120):
        await until(has_route)
    who = f"courier {courier.courier_id}, handheld {courier.db.stem}"
    echo(f"{courier.name} ({who}): route of {len(courier.stops)} stops on the handheld")
    index = 0
    while index < len(courier.stops):
        if index == courier.offline_at:
            index += await _offline_stretch(courier, courier.stops[index : index + 3], pace, echo)
            continue
        try:
            outcome = await do_stop(node.ctx, courier.stops[index])
        except EdgeError as exc:
            outcome = f"refused: {exc}"
        index += 1
        echo(f"{courier.name}: stop {index} {outcome}")
        await asyncio.sleep(pace)
    try:
        courier.handovers = await commands.handover(node.ctx)
    except EdgeError:
        return
    if courier.handovers:
        currency = courier.handovers[0].currency
        cash = total((Money(h.amount, h.currency) for h in courier.handovers), currency)
        echo(f"{courier.name}: handed over {cash.format()} at the depot desk")


async def _offline_stretch(courier: Courier, stops: list[Stop], pace: float, echo: Echo) -> int:
    """The handheld loses its link: its sync stops while the courier keeps working."""
    node = courier.node
    assert node is not None
    await node.stop()
    echo(f"{courier.name}: handheld OFFLINE (keeps recording locally)")
    ctx = await EdgeContext.open(courier.db)
    try:
        for stop in stops:
            outcome = await do_stop(ctx, stop)
            echo(f"{courier.name}: {outcome} while offline")
            await asyncio.sleep(pace)
    finally:
        await ctx.close()
    await node.start()
    echo(f"{courier.name}: handheld back ONLINE, syncing what it recorded")
    return len(stops)


async def cash_desk(ctx: EdgeContext, couriers: list[Courier], echo: Echo) -> None:
    """Count each courier's handover once it has synced to the depot; deposit the lot."""
    for courier in couriers:
        for handover in courier.handovers:
            while True:
                try:
                    result = await commands.count_cash(ctx, handover.handover_id, handover.amount)
                    break
                except EdgeError:
                    await asyncio.sleep(POLL_S)
            counted = Money(result.counted, result.currency).format()
            echo(f"depot: counted {counted} from {courier.name}")
    amount = await commands.undeposited(ctx)
    if amount > 0:
        deposit = await commands.deposit(ctx, amount)
        amount_text = Money(deposit.amount, deposit.currency).format()
        echo(f"depot: deposited {amount_text} (batch {deposit.batch_id})")


@dataclass(slots=True)
class CustomerReturn:
    """A return the merchant opened at central for a delivered stop, and its grading."""

    return_id: str
    stop: Stop


def planned_return(stop: Stop) -> tuple[tuple[str, int], ...]:
    """The (sku, quantity) lines the stop's customer sends back, if any."""
    for step in stop.plan.outcome:
        if step.kind == StepKind.CUSTOMER_RETURN:
            return tuple((line.sku, line.quantity) for line in step.items)
    return ()


async def returns_desk(ctx: EdgeContext, returns: list[CustomerReturn], echo: Echo) -> None:
    """Receive each customer return once it has synced to the depot, grade it, restock."""
    for rma in returns:
        async with asyncio.timeout(60):
            await until(functools.partial(_synced, ctx, rma.return_id))
        await commands.receive_return(ctx, rma.return_id)
        grades = [
            ItemInspection(g.sku, g.grade, g.disposition, g.quantity)
            for step in rma.stop.plan.outcome
            if step.kind == StepKind.INSPECT
            for g in step.grades
        ]
        if not grades:
            continue
        await commands.inspect(ctx, rma.return_id, grades)
        for g in grades:
            if g.disposition == Disposition.RESTOCK:
                await commands.restock(ctx, rma.return_id, g.sku, g.quantity)
        verdict = ", ".join(f"{g.sku} {g.grade}/{g.disposition}" for g in grades)
        echo(f"returns desk: received and graded {rma.return_id[-8:]}: {verdict}")


async def _synced(ctx: EdgeContext, return_id: str) -> bool:
    return await has_return(ctx.store, return_id)
