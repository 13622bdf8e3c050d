"""Returns (RMA): status, per-item grades and dispositions, stock movements, refunds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .conflicts import Conflict, make_conflict, mark_resolved
from .events import (
    Event,
    ItemInspection,
    ItemsInspected,
    Refunded,
    ReturnPickedUp,
    ReturnReceived,
    SentBackToMerchant,
)
from .info import ReturnInfo
from .lifecycle import sort_events
from .stock import fold_stock
from .vocab import ConflictKind, Disposition, Grade, ReturnStatus, StockState

_RANK = {s: i for i, s in enumerate(ReturnStatus)}


@dataclass(frozen=True, slots=True)
class ReturnState:
    """Derived state of one return."""

    status: ReturnStatus
    items: tuple[ItemInspection, ...]
    stock: tuple[tuple[str, str, int], ...]  # (depot_id, sku, units available)
    refunded_minor: int
    conflicts: tuple[Conflict, ...]
    levels: tuple[tuple[str, str, StockState, int], ...] = ()  # (depot_id, sku, state, units)
    graded_left: tuple[tuple[str, StockState, int], ...] = ()  # (sku, target, units to move)


def fold_return(events: Iterable[Event]) -> ReturnState:
    """Fold a return's events; a second inspection is a conflict, the first stands.

    Stock moves as :mod:`protocol.stock` says, within what the first inspection graded."""
    ordered = sort_events(events)
    status = ReturnStatus.REQUESTED
    inspection: ItemsInspected | None = None
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
            case Refunded():
                refunded += event.payload.amount
            case SentBackToMerchant():
                advance(ReturnStatus.COMPLETED)
    if status == ReturnStatus.INSPECTED and refunded:
        status = ReturnStatus.COMPLETED
    items = tuple(inspection.payload.items) if inspection else ()
    book = fold_stock(items, ordered)
    levels = sorted(book.levels.items())
    return ReturnState(
        status=status,
        items=items,
        stock=tuple((d, s, q) for (d, s, state), q in levels if state == StockState.AVAILABLE),
        refunded_minor=refunded,
        conflicts=mark_resolved(conflicts, ordered),
        levels=tuple((d, s, state, q) for (d, s, state), q in levels),
        graded_left=tuple((s, t, q) for (s, t), q in sorted(book.graded.items())),
    )


REFUNDABLE_GRADES = frozenset({Grade.SELLABLE, Grade.REFURBISH})
_NOT_REFUNDED = {
    Grade.DAMAGED: "damaged on inspection",
    Grade.MISSING_PARTS: "parts missing on inspection",
    Grade.WRONG_ITEM: "not the item that was sold",
}


@dataclass(frozen=True, slots=True)
class RefundLine:
    """One graded item line and what refunding it is worth; ``reason`` says why not."""

    sku: str
    quantity: int
    grade: Grade
    disposition: Disposition
    unit_price: int
    amount: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundRecommendation:
    """The refund a merchant is advised to approve, in the return's currency."""

    lines: tuple[RefundLine, ...]
    total: int
    currency: str


def recommend_refund(info: ReturnInfo, state: ReturnState) -> RefundRecommendation | None:
    """The refund recommended for a graded return; ``None`` before grading.

    The rule, per graded line in grading order:

    * a ``sellable`` or ``refurbish`` item refunds ``unit_price x quantity``, the
      unit price being the one the RMA carries for that SKU (copied from the
      shipment when the RMA was made);
    * the quantity counted is capped by what the RMA still requests of that SKU
      after the earlier lines of that SKU (refundable or not), so grading more
      units than were requested never refunds more (the reason names the cap);
    * ``damaged``, ``missing_parts`` and ``wrong_item`` refund 0, and a SKU the
      RMA does not list refunds 0; the reason says which.

    The total is the sum of the lines, in minor units of ``info.currency``.
    """
    if not state.items:
        return None
    prices: dict[str, int] = {}
    left: dict[str, int] = {}
    for item in info.items:
        prices.setdefault(item.sku, item.unit_price)
        left[item.sku] = left.get(item.sku, 0) + item.quantity
    lines = [_line(graded, prices, left) for graded in state.items]
    return RefundRecommendation(tuple(lines), sum(li.amount for li in lines), info.currency)


def _line(graded: ItemInspection, prices: dict[str, int], left: dict[str, int]) -> RefundLine:
    """One line priced, consuming the SKU's requested quantity from ``left``."""
    price = prices.get(graded.sku, 0)
    counted = min(graded.quantity, left.get(graded.sku, 0))
    if graded.sku in left:
        left[graded.sku] -= counted
    if graded.sku not in prices:
        reason = "not listed in the return"
    elif graded.grade not in REFUNDABLE_GRADES:
        reason = _NOT_REFUNDED[graded.grade]
    elif counted < graded.quantity:
        reason = f"only {counted} of {graded.quantity} were requested in the return"
    else:
        reason = ""
    amount = price * counted if graded.grade in REFUNDABLE_GRADES else 0
    return RefundLine(
        graded.sku, graded.quantity, graded.grade, graded.disposition, price, amount, reason
    )
