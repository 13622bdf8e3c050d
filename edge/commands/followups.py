"""Depot follow-ups of a shipment: answer a change request, a returned parcel back at
the depot, handed back to its merchant with a signature.

Same contract as the other commands: fold first, refuse with a typed error and
write nothing, else write ONE local transaction (synced up like any event).
"""

from __future__ import annotations

import msgspec

from protocol.delivery import FIELDS, pending_requests
from protocol.events import ChangeAnswered, Event, HandedToMerchant, NoPayload, ReturnedToOrigin
from protocol.followups import answer_refused
from protocol.vocab import Role, ShipmentStatus

from ..context import EdgeContext
from ..docs import shipment_by_id
from ..errors import AlreadyRecorded, InvalidInput, InvalidTransition, UnknownDocument
from ..read_store import change_requested_ids
from ._common import Outcome, outcome, shipment_command, write_event
from .courier import Attachment
from .depot import find

S = ShipmentStatus


class ChangeRow(msgspec.Struct, frozen=True):
    """A merchant's change request still waiting for this depot's answer."""

    doc_id: str
    tracking_number: str
    status: str
    request_id: str
    asked: str  # "address Damrak 1B, slot_start 14:00"
    reason: str
    by: str


async def pending_changes(ctx: EdgeContext) -> list[ChangeRow]:
    """The open change requests on this depot's shipments, oldest first."""
    ctx.require(Role.DEPOT)
    found = []
    for doc_id in await change_requested_ids(ctx.store, ctx.identity.depot_id):
        view = await shipment_by_id(ctx.store, doc_id)
        if view is None:
            continue
        for r in pending_requests(view.events):
            asked = ", ".join(
                f"{k} {getattr(r.payload, k)}" for k in FIELDS if getattr(r.payload, k)
            )
            found.append(
                ChangeRow(
                    view.doc_id,
                    view.info.tracking_number,
                    view.state.status.value,
                    r.id,
                    asked,
                    r.payload.reason,
                    r.actor,
                )
            )
    return sorted(found, key=lambda row: row.request_id)


async def answer_change(
    ctx: EdgeContext, code: str, request_id: str, accepted: bool, reason: str = ""
) -> Outcome:
    """Accept or refuse the merchant's open change request ``request_id``; a refusal
    says why."""
    ctx.require(Role.DEPOT)
    if not accepted and not reason.strip():
        raise InvalidInput("reason: say why the change is refused")
    async with ctx.lock:
        view = await find(ctx, code)
        refused = answer_refused(request_id, pending_requests(view.events))
        if refused is not None:
            raise UnknownDocument(str(refused))
        body = ChangeAnswered.Body(request_id=request_id, accepted=accepted, reason=reason.strip())
        events = await write_event(ctx, view, ChangeAnswered, body, "answer_change")
    verdict = "accepted" if accepted else "refused"
    return outcome(view, view.state.status, events, f"change request {request_id} {verdict}")


async def back_at_origin(ctx: EdgeContext, code: str) -> Outcome:
    """A parcel returning to origin is back at this depot."""
    ctx.require(Role.DEPOT)
    async with ctx.lock:
        view = await find(ctx, code)
        status = view.state.status
        if status == S.RETURNED_TO_ORIGIN:
            raise AlreadyRecorded(f"{view.info.tracking_number} is already back at the depot")
        if status != S.RETURNING_TO_ORIGIN:
            raise InvalidTransition(
                f"{view.info.tracking_number} is {status}: only a parcel returning to origin "
                "comes back"
            )
        events = await write_event(ctx, view, ReturnedToOrigin, NoPayload(), "back_at_origin")
    return outcome(view, S.RETURNED_TO_ORIGIN, events, "back at the origin depot")


async def hand_back(
    ctx: EdgeContext, code: str, received_by: str, signature: Attachment
) -> Outcome:
    """Hand a returned parcel back to its merchant, who signs for it; its frozen COD is
    released to the recipient in the ledger."""
    ctx.require(Role.DEPOT)
    if not received_by.strip():
        raise InvalidInput("received_by: say who took the parcel back for the merchant")
    async with ctx.lock:
        view = await find(ctx, code)
        if view.state.handed_back_at:
            raise AlreadyRecorded(f"{view.info.tracking_number} was already handed back")
        if view.state.status != S.RETURNED_TO_ORIGIN:
            raise InvalidTransition(
                f"{view.info.tracking_number} is {view.state.status}: only a parcel back at "
                "the origin depot is handed back"
            )
        clock = await ctx.clock(view.hlcs)
        body = HandedToMerchant.Body(
            received_by=received_by.strip(),
            signature_sha256=signature.sha256,
            depot_id=ctx.identity.depot_id,
        )
        events: list[Event] = [HandedToMerchant(**ctx.base(clock.now()), payload=body)]
        attached = [{"kind": "signature", "sha256": signature.sha256, "path": signature.path}]
        command = shipment_command("hand_back", events, attachments=attached)
        await ctx.commit(clock, [(view.doc_id, command)])
    return outcome(view, S.RETURNED_TO_ORIGIN, events, f"handed back to {received_by.strip()}")
