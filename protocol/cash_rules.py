"""Money rules refused at the boundary (central and the depot relay), as pure functions.

Each answers ``None`` (allowed) or a :class:`~protocol.permissions.Refusal`
naming the rule. Amounts are positive by decoding (:class:`AmountPayload`);
what is left is decided from one document, or from a cash book entry and the
shipment it names:

* :func:`collection_refusal` - a shipment's ``cod_collected`` is in the
  shipment's currency, on a shipment that has a COD;
* :func:`book_refusal` - a handover is no larger than the cash in hand in its
  currency at its place in the book's ``(hlc, id)`` order;
* :func:`entry_refusal` - a ``collected`` entry names a known COD shipment, in
  its currency, with its COD amount or with a reason (on the entry, or on the
  shipment's collection of that amount).

Whether the courier still holds the shipment is not refused here: a depot may
reassign a parcel while its courier, offline, collects it, and that cash must
not be lost; the entry then has no collection on its shipment and is listed as
``entry_without_collection`` with the courier to act.

Rules needing documents that may arrive later (a collection without its book
entry) are discrepancies of :mod:`protocol.discrepancies`, not refusals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .cash import count_adjustments
from .events import CashCollected, CashHandedOver, CashReversal, CodCollected, Event
from .info import CashBookInfo, ShipmentInfo
from .lifecycle import sort_events
from .money import Money
from .permissions import Refusal
from .vocab import PaymentMethod


def collection_refusal(info: ShipmentInfo, new_events: Iterable[Event]) -> Refusal | None:
    """A COD collection must be in the shipment's currency, on a COD shipment."""
    for event in new_events:
        if not isinstance(event, CodCollected):
            continue
        got = event.payload.currency
        if not info.cod_amount:
            return Refusal("no_cod", f"{info.tracking_number} is prepaid: no COD to collect")
        if got != info.currency:
            return Refusal(
                "wrong_currency",
                f"payload.currency: {info.tracking_number} is paid in {info.currency}, not {got}",
            )
    return None


def book_refusal(events: Sequence[Event], new_ids: set[str]) -> Refusal | None:
    """A new handover must not exceed the cash in hand in its currency just before it."""
    in_hand: dict[str, int] = {}
    adjustments = count_adjustments(events)
    for event in sort_events(events):
        if event.id in adjustments:
            continue
        if isinstance(event, CashCollected | CashReversal | CashHandedOver):
            cur, amount = event.payload.currency, event.payload.amount
            held = in_hand.get(cur, 0)
            if isinstance(event, CashHandedOver) and event.id in new_ids and amount > held:
                return Refusal(
                    "handover_above_cash",
                    f"handover {event.payload.handover_id} of {Money(amount, cur).format()} "
                    f"exceeds the {Money(held, cur).format()} in hand",
                )
            in_hand[cur] = held + (amount if isinstance(event, CashCollected) else -amount)
    return None


def entry_refusal(
    book: CashBookInfo,
    entry: CashCollected,
    shipment: ShipmentInfo | None,
    shipment_events: Iterable[Event],
) -> Refusal | None:
    """A courier's ``collected`` entry checked against the shipment it names."""
    p = entry.payload
    sid = p.shipment_id
    if shipment is None:
        return Refusal("unknown_shipment", f"payload.shipment_id: no shipment {sid!r} is held")
    if book.owner_kind != "courier":
        return Refusal("not_a_courier_book", "a collected entry belongs in a courier's book")
    if p.method != PaymentMethod.CASH:
        return Refusal("card_in_cash_book", "payload.method: card money never enters a cash book")
    if not shipment.cod_amount:
        return Refusal("no_cod", f"{shipment.tracking_number} is prepaid: no COD to collect")
    if p.currency != shipment.currency:
        return Refusal(
            "wrong_currency",
            f"payload.currency: {shipment.tracking_number} is paid in {shipment.currency}, "
            f"not {p.currency}",
        )
    if p.amount == shipment.cod_amount or p.reason.strip():
        return None
    explained = any(
        isinstance(e, CodCollected) and e.payload.amount == p.amount and e.payload.reason.strip()
        for e in shipment_events
    )
    if explained:
        return None
    return Refusal(
        "amount_mismatch",
        f"payload.amount: {Money(p.amount, p.currency).format()} is not the COD of "
        f"{shipment.tracking_number} ({Money(shipment.cod_amount, shipment.currency).format()})"
        " and neither the entry nor the shipment gives a reason",
    )
