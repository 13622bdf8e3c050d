"""Reverse pickups: the depot puts a return (RMA) on a courier's route like a shipment,
and the courier picks it up from the customer with a proof as for a delivery.

Routing a return sets its ``courier_id``, ``route_day`` and ``route_seq``, so it
enters that courier's scope and reaches the handheld with the next sync.
"""

from __future__ import annotations

import msgspec

from protocol.commands import DocCommand
from protocol.events import ReturnPickedUp
from protocol.vocab import ReturnStatus, Role

from ..context import EdgeContext
from ..docs import ReturnView, return_by_id, returns_by_id
from ..errors import AlreadyRecorded, InvalidInput, InvalidTransition, OutOfScope
from ._common import Outcome, outcome, write_event
from .courier import Attachment
from .returns_desk import desk_view


class Pickup(msgspec.Struct, frozen=True):
    """A return to pick up, as the planning desk and the courier's route list it."""

    doc_id: str
    status: str
    recipient_name: str
    address: str
    postcode: str
    city: str
    recipient_phone: str
    courier_id: str
    route_day: str
    route_seq: int
    units: int


def _pickup(view: ReturnView) -> Pickup:
    i = view.info
    return Pickup(
        view.doc_id,
        view.state.status.value,
        i.recipient_name,
        i.address,
        i.postcode,
        i.city,
        i.recipient_phone,
        i.courier_id,
        i.route_day,
        i.route_seq,
        sum(item.quantity for item in i.items),
    )


async def assign_return(
    ctx: EdgeContext, return_id: str, courier_id: str, route_day: str, route_seq: int
) -> Outcome:
    """Put a return still to pick up on a courier's route (or move it to another)."""
    if not courier_id.strip() or not route_day.strip():
        raise InvalidInput("courier id and route day are required")
    if route_seq < 0:
        raise InvalidInput(f"route sequence must not be negative, got {route_seq}")
    async with ctx.lock:
        view = await desk_view(ctx, return_id)
        if view.state.status != ReturnStatus.REQUESTED:
            raise InvalidTransition(
                f"return {return_id} is {view.state.status}: there is nothing to pick up"
            )
        fields: dict[str, object] = {
            "courier_id": courier_id.strip(),
            "route_day": route_day.strip(),
            "route_seq": route_seq,
        }
        if {k: getattr(view.info, k) for k in fields} == fields:
            raise AlreadyRecorded(f"return {return_id} is already on that route stop")
        clock = await ctx.clock(view.hlcs)
        await ctx.commit(clock, [(view.doc_id, DocCommand.build("assign", "return", info=fields))])
    text = f"pickup assigned to {courier_id} on {route_day} stop {route_seq}"
    return outcome(view, view.state.status, [], text)


async def pickups_to_plan(ctx: EdgeContext) -> list[Pickup]:
    """This depot's returns still to pick up, by courier, day and stop."""
    ctx.require(Role.DEPOT)
    views = await returns_by_id(ctx.store, await ctx.store.returns_at(ctx.identity.depot_id))
    rows = [_pickup(v) for v in views if v.state.status == ReturnStatus.REQUESTED]
    return sorted(rows, key=lambda p: (p.courier_id, p.route_day, p.route_seq, p.doc_id))


async def my_pickups(ctx: EdgeContext, day: str | None = None) -> list[Pickup]:
    """The returns on this courier's route of ``day`` (default today), in stop order."""
    ctx.require(Role.COURIER)
    ids = await ctx.store.returns_of_courier(ctx.identity.courier_id)
    wanted = day or ctx.today()
    rows = [_pickup(v) for v in await returns_by_id(ctx.store, ids) if v.info.route_day == wanted]
    return sorted(rows, key=lambda p: (p.route_seq, p.doc_id))


async def my_return(ctx: EdgeContext, return_id: str) -> ReturnView:
    """A return on this courier's route; ``OutOfScope`` when it is another's."""
    ctx.require(Role.COURIER)
    view = await return_by_id(ctx.store, return_id)
    if view.info.courier_id != ctx.identity.courier_id:
        raise OutOfScope(f"return {return_id} is not assigned to {ctx.identity.courier_id}")
    return view


async def pickup_return(
    ctx: EdgeContext,
    return_id: str,
    *,
    handed_by: str = "",
    signature: Attachment | None = None,
    photo: Attachment | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Outcome:
    """Record the reverse pickup of a return from the customer, with its proof."""
    async with ctx.lock:
        view = await my_return(ctx, return_id)
        if view.state.status != ReturnStatus.REQUESTED:
            raise AlreadyRecorded(f"return {return_id} is already {view.state.status}")
        body = ReturnPickedUp.Body(
            courier_id=ctx.identity.courier_id,
            handed_by=handed_by.strip(),
            device_time_ms=ctx.wall(),
            signature_sha256=signature.sha256 if signature else None,
            photo_sha256=photo.sha256 if photo else None,
            lat=lat,
            lon=lon,
        )
        attached = [
            {"kind": kind, "sha256": a.sha256, "path": a.path}
            for kind, a in (("signature", signature), ("photo", photo))
            if a is not None
        ]
        events = await write_event(
            ctx, view, ReturnPickedUp, body, "pickup_return", attachments=attached
        )
    who = f" from {body.handed_by}" if body.handed_by else ""
    return outcome(view, ReturnStatus.PICKED_UP, events, f"picked up{who}")
