"""Replaying a shipment's scripted steps on the node whose people do them.

A :class:`Track` follows one :class:`fixtures.ShipmentPlan`: the depot scans
the parcel in, the courier's handheld runs the doorstep steps through the edge
command functions, head office decides holds and opens customer returns at
central, the depot sends parcels back to origin and grades returns. A step
runs only once its node holds the event the previous step wrote (or, for the
first step, the document): data reaches a node only by syncing.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from edge import commands
from edge.context import EdgeContext
from fixtures import ShipmentPlan, ShipmentSpec, Step, StepKind
from protocol.commands import DocCommand
from protocol.events import (
    ItemInspection,
    ReturnedToOrigin,
    ReturnRequested,
    SenderDecision,
)
from protocol.ids import named_id
from protocol.info import Item, ReturnInfo
from protocol.vocab import Disposition

from .world import World, hlcs

K = StepKind
COURIER_STEPS = frozenset({K.OUT_FOR_DELIVERY, K.FAIL, K.COLLECT, K.DELIVER})
OFFICE_STEPS = frozenset({K.HOLD_DECISION, K.CUSTOMER_RETURN})
SCAN = "scan"  # the depot's inbound scan, before the plan's own steps


@dataclass(slots=True)
class Track:
    """Progress of one shipment through its plan."""

    spec: ShipmentSpec
    plan: ShipmentPlan
    at: int = -1  # -1: the inbound scan is next; then an index into plan.outcome
    after: tuple[str, str] | None = None  # (doc, event) the next node must hold
    return_id: str = ""

    @property
    def done(self) -> bool:
        return self.at >= len(self.plan.outcome)

    @property
    def step(self) -> Step | None:
        """The next scripted step (None for the scan, or when done)."""
        return self.plan.outcome[self.at] if 0 <= self.at < len(self.plan.outcome) else None


def node_of(world: World, track: Track) -> str:
    """The node that performs the track's next step."""
    step = track.step
    if step is None or step.kind in (K.RETURN_TO_ORIGIN, K.INSPECT):
        return world.depot_node[track.spec.depot_id]
    if step.kind in COURIER_STEPS:
        return world.handheld_node[track.spec.courier_id]
    return "central"


async def ready(world: World, track: Track, node: str) -> bool:
    """True when ``node`` holds what the next step needs."""
    if track.after is None:  # the inbound scan needs the document itself
        return bool(await world.net.nodes[node].store.load([track.spec.id]))
    return await world.has_event(node, *track.after)


async def advance(world: World, track: Track, node: str) -> None:
    """Run the next step on ``node`` and move the track on."""
    step = track.step
    doc_id = track.spec.id
    if step is None:
        outcome = await commands.receive(world.contexts[node], doc_id)
        track.after = (doc_id, world.record(outcome.events)[-1])
    elif step.kind in COURIER_STEPS:
        track.after = (doc_id, await _courier(world, node, track.spec, step))
    elif step.kind == K.HOLD_DECISION:
        track.after = (doc_id, await _decide(world, doc_id, step))
    elif step.kind == K.CUSTOMER_RETURN:
        track.return_id = named_id("sim-return", track.spec.id)
        track.after = (track.return_id, await _open_return(world, track, step))
    elif step.kind == K.RETURN_TO_ORIGIN:
        event_id = await return_to_origin(world.contexts[node], doc_id)
        track.after = (doc_id, world.record([event_id])[-1])
    else:
        track.after = (track.return_id, await _inspect(world, node, track.return_id, step))
    track.at += 1


async def _courier(world: World, node: str, spec: ShipmentSpec, step: Step) -> str:
    ctx = world.contexts[node]
    match step.kind:
        case K.OUT_FOR_DELIVERY:
            outcome = await commands.out_for_delivery(ctx, spec.id)
        case K.FAIL:
            assert step.reason is not None
            outcome = await commands.fail(ctx, spec.id, step.reason)
        case K.COLLECT:
            assert step.amount is not None and step.method is not None
            outcome = await commands.collect(
                ctx, spec.id, step.amount, method=step.method, reason=step.note
            )
            ids = world.record(outcome.events)
            # the cash book entry comes last; the shipment's own event is the one to wait for
            return ids[-2] if step.method == "cash" else ids[-1]
        case _:
            outcome = await commands.deliver(
                ctx, spec.id, recipient_name=spec.recipient_name, otp=spec.otp
            )
    return world.record(outcome.events)[-1]


async def _decide(world: World, doc_id: str, step: Step) -> str:
    """Head office records the sender's answer to a shipment on hold."""
    assert step.decision is not None
    seen = await hlcs(world.central, doc_id)
    event = SenderDecision(
        **world.office_base(seen), payload=SenderDecision.Body(decision=step.decision)
    )
    await world.office_write(doc_id, DocCommand.build("decide", "shipment", [event]))
    return event.id


async def _open_return(world: World, track: Track, step: Step) -> str:
    """Head office opens an RMA for the delivered shipment (dropped off at the depot)."""
    spec = track.spec
    info = ReturnInfo(
        shipment_id=spec.id,
        merchant_id=spec.merchant_id,
        reason=step.note,
        currency=spec.currency,
        items=[Item(line.sku, line.quantity) for line in step.items],
        depot_id=spec.depot_id,
    )
    event = ReturnRequested(**world.office_base(await hlcs(world.central, spec.id)))
    command = DocCommand.build("request_return", "return", [event], info=msgspec.to_builtins(info))
    await world.office_write(track.return_id, command)
    return event.id


async def return_to_origin(ctx: EdgeContext, doc_id: str) -> str:
    """The depot hands the parcel back to the sender's pickup; returns the event's id."""
    async with ctx.lock:
        clock = await ctx.clock(await hlcs(ctx.store, doc_id))
        event = ReturnedToOrigin(**ctx.base(clock.now()))
        await ctx.commit(clock, [(doc_id, DocCommand.build("rto", "shipment", [event]))])
    return event.id


async def _inspect(world: World, node: str, return_id: str, step: Step) -> str:
    """The returns desk receives the parcel, grades each line and restocks."""
    ctx = world.contexts[node]
    world.record((await commands.receive_return(ctx, return_id)).events)
    lines = [ItemInspection(g.sku, g.grade, g.disposition, g.quantity) for g in step.grades]
    last = world.record((await commands.inspect(ctx, return_id, lines)).events)[-1]
    for line in lines:
        if line.disposition == Disposition.RESTOCK:
            last = world.record(
                (await commands.restock(ctx, return_id, line.sku, line.quantity)).events
            )[-1]
    return last
