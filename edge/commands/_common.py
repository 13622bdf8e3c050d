"""Shared pieces of the courier and depot commands: results, scope checks, books."""

from __future__ import annotations

import msgspec

from protocol.commands import DocCommand
from protocol.events import Event
from protocol.ids import named_id
from protocol.info import CashBookInfo
from protocol.money import Money

from ..context import EdgeContext
from ..docs import ReturnView, ShipmentView
from ..errors import InvalidInput, OutOfScope


class Outcome(msgspec.Struct, frozen=True):
    """What a command wrote: the document, its status after, the new event ids."""

    doc_id: str
    status: str
    events: list[str]
    message: str
    tracking_number: str = ""


def outcome(view: ShipmentView, status: str, events: list[Event], message: str) -> Outcome:
    """An :class:`Outcome` for a shipment command."""
    return Outcome(view.doc_id, status, [e.id for e in events], message, view.info.tracking_number)


def shipment_command(name: str, events: list[Event], **args: object) -> DocCommand:
    """A command appending ``events`` to a shipment."""
    return DocCommand.build(name, "shipment", events, **args)


def on_my_route(ctx: EdgeContext, view: ShipmentView) -> None:
    """``OutOfScope`` unless the shipment is assigned to this node's courier."""
    if view.info.courier_id != ctx.identity.courier_id:
        owner = view.info.courier_id or "nobody"
        raise OutOfScope(
            f"{view.info.tracking_number} is assigned to {owner}, not to courier "
            f"{ctx.identity.courier_id}: ask the depot to reassign it"
        )


def in_my_depot(ctx: EdgeContext, view: ShipmentView | ReturnView) -> None:
    """``OutOfScope`` unless the document belongs to this node's depot."""
    if view.info.depot_id != ctx.identity.depot_id:
        raise OutOfScope(
            f"{view.doc_id} belongs to depot {view.info.depot_id or '(none)'}, "
            f"not {ctx.identity.depot_id}"
        )


def positive(amount: int, what: str) -> int:
    """``amount`` if it is a positive integer, else ``InvalidInput``."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(f"{what} must be a positive whole number, got {amount!r}")
    return amount


def courier_book_id(courier_id: str, day: str) -> str:
    """The id every node gives a courier's cash book of one day."""
    return named_id("cashbook", courier_id, day)


def depot_book_id(depot_id: str, day: str) -> str:
    """The id every node gives a depot's cash book of one day."""
    return named_id("cashbook", "depot", depot_id, day)


def book_info(
    kind: str, owner: str, ctx: EdgeContext, day: str, currency: str
) -> dict[str, object]:
    """The info map of a new cash book."""
    info = CashBookInfo(
        owner_kind=kind,
        owner_id=owner,
        day=day,
        currency=currency,
        depot_id=ctx.identity.depot_id,
        courier_id=owner if kind == "courier" else "",
    )
    built: dict[str, object] = msgspec.to_builtins(info)
    return built


def money(amount: int, currency: str) -> str:
    """Human text for an amount."""
    return Money(amount, currency).format()
