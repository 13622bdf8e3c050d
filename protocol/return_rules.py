"""What an RMA, its grading and its stock movements may say: pure rules every receiver runs.

* An RMA names only items of its delivered shipment, each SKU at most the
  quantity shipped less what earlier RMAs of that shipment already asked for.
* Its items, shipment, merchant and currency are fixed once it is requested.
* A grading names only items of the RMA, each SKU at most its RMA quantity.
* A stock movement moves at most what its source holds (:mod:`protocol.stock`).

Each rule answers a :class:`protocol.permissions.Refusal` naming the field, or ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .events import Event, ItemInspection, ItemsInspected, ReturnRequested
from .info import Item, ReturnInfo, ShipmentInfo
from .lifecycle import sort_events
from .permissions import Change, Refusal
from .stock import StockBook, movement_error
from .vocab import DocType, ShipmentStatus

FIXED_FIELDS = frozenset({"shipment_id", "merchant_id", "currency", "items"})


def units(items: Iterable[Item | ItemInspection]) -> dict[str, int]:
    """Units per SKU over ``items``."""
    out: dict[str, int] = {}
    for item in items:
        out[item.sku] = out.get(item.sku, 0) + item.quantity
    return out


def _within(
    lines: Sequence[Item | ItemInspection], allowed: Mapping[str, int], field: str, of: str
) -> Refusal | None:
    """The first line of ``lines`` beyond ``allowed`` units of its SKU, as a refusal."""
    used: dict[str, int] = {}
    for n, line in enumerate(lines):
        if line.quantity <= 0:
            return Refusal(
                "invalid_quantity", f"{field}[{n}].quantity must be positive, got {line.quantity}"
            )
        if line.sku not in allowed:
            return Refusal("item_not_listed", f"{field}[{n}].sku: {line.sku!r} is not in {of}")
        used[line.sku] = used.get(line.sku, 0) + line.quantity
        if used[line.sku] > allowed[line.sku]:
            return Refusal(
                "quantity_too_large",
                f"{field}[{n}].quantity: {used[line.sku]} unit(s) of {line.sku!r}, "
                f"only {allowed[line.sku]} in {of}",
            )
    return None


def rma_refusal(
    items: Sequence[Item],
    shipment: ShipmentInfo | None,
    status: ShipmentStatus | None,
    earlier: Mapping[str, int],
    field: str = "items",
) -> Refusal | None:
    """Why an RMA of ``items`` for ``shipment`` (its ``status``) may not be made, given the
    units per SKU ``earlier`` RMAs of it asked for; ``None`` when it may."""
    if shipment is None:
        return Refusal("unknown_shipment", "shipment_id: no such shipment")
    if status != ShipmentStatus.DELIVERED:
        return Refusal("not_delivered", f"shipment_id: the shipment is {status}, not delivered")
    if not items:
        return Refusal("no_items", f"{field}: a return names at least one item")
    shipped = units(shipment.items)
    left = {sku: n - earlier.get(sku, 0) for sku, n in shipped.items()}
    return _within(items, left, field, "the shipment (less earlier returns)")


def grading_refusal(
    info: ReturnInfo, graded: Sequence[ItemInspection], field: str = "payload.items"
) -> Refusal | None:
    """Why grading ``graded`` does not fit the RMA ``info``; ``None`` when it does."""
    return _within(graded, units(info.items), field, "the return")


def requested_in(change: Change) -> bool:
    """True when ``change`` makes an RMA (creates a return with its ``requested`` event)."""
    return change.doc_type == DocType.RETURN and (
        change.created or any(isinstance(e, ReturnRequested) for e in change.new_events)
    )


def return_refusal(
    change: Change, info: ReturnInfo, events: Sequence[Event], new_ids: set[str]
) -> Refusal | None:
    """The rules one return document decides: fixed fields, gradings and stock movements
    of the events ``new_ids`` (``events``: all the document holds after the change)."""
    fixed = change.changed_fields & FIXED_FIELDS
    if fixed and not change.created:
        return Refusal("info_locked", f"info.{min(fixed)} of a return is fixed once requested")
    ordered = sort_events(events)
    first = next((e for e in ordered if isinstance(e, ItemsInspected)), None)
    for event in ordered:
        if event.id in new_ids and isinstance(event, ItemsInspected):
            refusal = grading_refusal(info, event.payload.items)
            if refusal:
                return Refusal(refusal.code, f"event {event.id}: {refusal.message}")
    book = StockBook.of(first.payload.items if first else ())
    for event in ordered:
        error = movement_error(book, event) if event.id in new_ids else None
        if error:
            return Refusal("stock_refused", f"event {event.id}: {error}")
        book.apply(event)
    return None
