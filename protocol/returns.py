"""Returns (RMA): status, per-item grades and dispositions, stock movements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .conflicts import Conflict, make_conflict, mark_resolved
from .events import (
    Dispatched,
    Event,
    ItemInspection,
    ItemsInspected,
    Refunded,
    Restocked,
    ReturnPickedUp,
    ReturnReceived,
    SentBackToMerchant,
)
from .lifecycle import sort_events
from .vocab import ConflictKind, ReturnStatus

_RANK = {s: i for i, s in enumerate(ReturnStatus)}


@dataclass(frozen=True, slots=True)
class ReturnState:
    """Derived state of one return."""

    status: ReturnStatus
    items: tuple[ItemInspection, ...]
    stock: tuple[tuple[str, str, int], ...]  # (depot_id, sku, restocked - dispatched)
    refunded_minor: int
    conflicts: tuple[Conflict, ...]


def fold_return(events: Iterable[Event]) -> ReturnState:
    """Fold a return's events; a second inspection is a conflict, the first stands."""
    ordered = sort_events(events)
    status = ReturnStatus.REQUESTED
    inspection: ItemsInspected | None = None
    stock: dict[tuple[str, str], int] = {}
    refunded = 0
    conflicts: list[Conflict] = []

    def advance(target: ReturnStatus) -> None:
        nonlocal status
        if _RANK[target] > _RANK[status]:
            status = target

    for event in ordered:
        match event:
            case ReturnPickedUp():
                advance(ReturnStatus.PICKED_UP)
            case ReturnReceived():
                advance(ReturnStatus.RECEIVED)
            case ItemsInspected():
                if inspection is None:
                    inspection = event
                    advance(ReturnStatus.INSPECTED)
                else:
                    conflicts.append(
                        make_conflict(
                            ConflictKind.DOUBLE_GRADING,
                            [inspection, event],
                            "items graded twice; the first grading stands",
                        )
                    )
            case Restocked() | Dispatched():
                key = (event.payload.depot_id, event.payload.sku)
                sign = 1 if isinstance(event, Restocked) else -1
                stock[key] = stock.get(key, 0) + sign * event.payload.quantity
            case Refunded():
                refunded += event.payload.amount
            case SentBackToMerchant():
                advance(ReturnStatus.COMPLETED)
    if status == ReturnStatus.INSPECTED and refunded:
        status = ReturnStatus.COMPLETED
    return ReturnState(
        status=status,
        items=tuple(inspection.payload.items) if inspection else (),
        stock=tuple((d, s, q) for (d, s), q in sorted(stock.items())),
        refunded_minor=refunded,
        conflicts=mark_resolved(conflicts, ordered),
    )
