"""Shared pieces of the courier and depot commands: results, scope checks, books."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

from protocol.commands import DocCommand
from protocol.events import Event
from protocol.info import CashBookInfo
from protocol.money import Money

from ..context import EdgeContext
from ..docs import ReturnView, ShipmentView
from ..errors import InvalidInput, OutOfScope

E = TypeVar("E", bound=StrEnum)


class Outcome(msgspec.Struct, frozen=True):
    """What a command wrote: the document, its status after, the new event ids."""

    doc_id: str
    status: str
    events: list[str]
    message: str
    tracking_number: str = ""


def outcome(
    view: ShipmentView | ReturnView, status: str, events: list[Event], message: str
) -> Outcome:
    """An :class:`Outcome` for a command on the viewed document."""
    number = view.info.tracking_number if isinstance(view, ShipmentView) else ""
    return Outcome(view.doc_id, status, [e.id for e in events], message, number)


def shipment_command(name: str, events: list[Event], **args: Any) -> DocCommand:
    """A command appending ``events`` to a shipment."""
    return DocCommand.build(name, "shipment", events, **args)


async def write_event(
    ctx: EdgeContext,
    view: ShipmentView | ReturnView,
    kind: Callable[..., Event],
    payload: object,
    command: str,
    **args: Any,
) -> list[Event]:
    """Stamp one ``kind`` event and append it to the viewed document as ``command``
    (``args``: the command's arguments, e.g. its ``attachments``).

    The node's clock first observes the document's events; the write is ONE
    local transaction. Returns the written events.
    """
    clock = await ctx.clock(view.hlcs)
    events: list[Event] = [kind(**ctx.base(clock.now()), payload=payload)]
    doc_type = "shipment" if isinstance(view, ShipmentView) else "return"
    await ctx.commit(clock, [(view.doc_id, DocCommand.build(command, doc_type, events, **args))])
    return events


def one_of(kind: type[E], value: E | str, what: str) -> E:
    """``value`` as a member of ``kind``, else ``InvalidInput`` naming the members."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"{what} must be one of {', '.join(kind)}") from None


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
