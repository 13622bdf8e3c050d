"""Cash discrepancies, each with the events that cause it and who must act.

Kinds (amounts signed, minor units):

* ``short_collection`` - delivered but less COD collected than expected
  (``collected - expected`` < 0); the courier must account for it.
* ``excess_collection`` - the standing collection is above the COD (> 0);
  head office refunds the recipient or the courier corrects it.
* ``double_collection`` - a parcel collected more than once: the extra is in
  suspense until a reversal naming it refunds the recipient (office).
* ``foreign_currency`` - a collection in a currency other than the shipment's;
  kept in its own currency until refunded (office).
* ``count_mismatch`` - the desk counted a handover differently from what the
  courier declared (``counted - declared``); the depot desk and courier, until
  an adjustment (a reversal naming the handover) covers the gap.
* ``collected_on_returned`` - cash collected on a parcel now returning or
  returned to origin (or cancelled, lost); head office decides the refund.
* ``missing_book_entry`` - a cash collection no courier's book records (courier).
* ``entry_without_collection`` - a book entry whose shipment recorded no
  collection (courier).
* ``handover_above_cash`` - a handover larger than the cash in hand (a replica
  that skipped the boundary check); the depot desk and courier.

A discrepancy is closed when the money settles it (a refund, an adjustment)
or when a ``reversal`` names its :attr:`Discrepancy.id` in ``discrepancy``:
head office's or the desk's recorded answer, which syncs to every replica.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .cash import count_adjustments
from .cash_links import HandoverEntry, Links
from .events import CashCollected, CashHandedOver, CashReversal
from .ledger import NO_MORE_CASH, CashBookRecord, CodLine
from .lifecycle import sort_events
from .vocab import ShipmentStatus

S = ShipmentStatus


class DiscrepancyKind(StrEnum):
    SHORT_COLLECTION = "short_collection"
    EXCESS_COLLECTION = "excess_collection"
    DOUBLE_COLLECTION = "double_collection"
    FOREIGN_CURRENCY = "foreign_currency"
    COUNT_MISMATCH = "count_mismatch"
    COLLECTED_ON_RETURNED = "collected_on_returned"
    MISSING_BOOK_ENTRY = "missing_book_entry"
    ENTRY_WITHOUT_COLLECTION = "entry_without_collection"
    HANDOVER_ABOVE_CASH = "handover_above_cash"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: DiscrepancyKind
    doc_id: str
    amount: int
    currency: str
    event_ids: tuple[str, ...]
    who: str  # "courier:<id>", "depot:<id>" or "office"
    action: str
    key: str = ""  # what in the document it is about (a handover, an entry), if not all of it

    @property
    def id(self) -> str:
        """Stable on every replica: kind, document and key."""
        return ":".join(part for part in (self.kind.value, self.doc_id, self.key) if part)


def _courier(line: CodLine) -> str:
    return f"courier:{line.collected_by or line.info.courier_id or '?'}"


def _d(
    kind: DiscrepancyKind, line: CodLine, amount: int, ids: Iterable[str], who: str, action: str
) -> Discrepancy:
    return Discrepancy(
        kind, line.doc_id, amount, line.info.currency, tuple(sorted(set(ids) - {""})), who, action
    )


def shipment_discrepancies(line: CodLine) -> list[Discrepancy]:
    """Collection discrepancies of one ledger line (none for a clean one)."""
    found: list[Discrepancy] = []
    K = DiscrepancyKind
    ids = [line.standing.event_id] if line.standing else []
    status = line.state.status
    if status == S.DELIVERED and line.collected < line.expected:
        found.append(
            _d(
                K.SHORT_COLLECTION,
                line,
                line.collected - line.expected,
                [*ids, line.status_event_id],
                _courier(line),
                "collect the missing COD or record the reason with a reversal",
            )
        )
    if line.collected > line.expected:
        found.append(
            _d(
                K.EXCESS_COLLECTION,
                line,
                line.collected - line.expected,
                ids,
                "office",
                "refund the recipient the excess with a reversal of the collection",
            )
        )
    if line.extra > line.refunded:
        extra_ids = [t.event_id for t in line.extras]
        found.append(
            _d(
                K.DOUBLE_COLLECTION,
                line,
                line.extra - line.refunded,
                [*ids, *extra_ids],
                "office",
                f"the extra collection is in suspense: refund the recipient "
                f"with a reversal of {', '.join(extra_ids)}",
            )
        )
    for t in line.foreign:
        found.append(
            Discrepancy(
                K.FOREIGN_CURRENCY,
                line.doc_id,
                t.amount,
                t.currency,
                (t.event_id,),
                "office",
                f"collected in {t.currency}, the parcel is paid in "
                f"{line.info.currency}: refund it with a reversal",
                t.event_id,
            )
        )
    if status in NO_MORE_CASH and line.collected > line.reversed:
        found.append(
            _d(
                K.COLLECTED_ON_RETURNED,
                line,
                line.collected - line.reversed,
                [*ids, line.status_event_id],
                "office",
                f"cash collected on a parcel now {status}: refund the recipient",
            )
        )
    if line.method == "cash" and not line.cash_entry_id:
        found.append(
            _d(
                K.MISSING_BOOK_ENTRY,
                line,
                line.collected,
                ids,
                _courier(line),
                "record the collection in the courier's cash book of the day",
            )
        )
    return found


def count_discrepancy(handover: HandoverEntry, adjusted: int = 0) -> Discrepancy | None:
    """The desk's count of a handover differs from the courier's declaration."""
    if handover.counted is None or abs(handover.discrepancy) <= adjusted:
        return None
    return Discrepancy(
        DiscrepancyKind.COUNT_MISMATCH,
        handover.book_id,
        handover.discrepancy,
        handover.currency,
        tuple(sorted(handover.event_ids)),
        f"depot:{handover.depot_id}",
        f"recount handover {handover.handover_id} with courier {handover.courier_id}, "
        "then record the adjustment (a reversal naming the handover)",
        handover.handover_id,
    )


def _above_cash(book: CashBookRecord) -> list[Discrepancy]:
    found, in_hand = [], dict[str, int]()
    adjustments = count_adjustments(book.events)
    for e in sort_events(book.events):
        if isinstance(e, CashCollected | CashReversal | CashHandedOver) and e.id not in adjustments:
            cur, amount = e.payload.currency, e.payload.amount
            held = in_hand.get(cur, 0)
            if isinstance(e, CashHandedOver) and amount > held:
                found.append(
                    Discrepancy(
                        DiscrepancyKind.HANDOVER_ABOVE_CASH,
                        book.doc_id,
                        held - amount,
                        cur,
                        (e.id,),
                        f"depot:{e.payload.depot_id}",
                        f"handover {e.payload.handover_id} exceeds the cash in hand: recount it",
                        e.payload.handover_id,
                    )
                )
            in_hand[cur] = held + (amount if isinstance(e, CashCollected) else -amount)
    return found


def discrepancies(
    lines: Iterable[CodLine], links: Links, books: Sequence[CashBookRecord]
) -> list[Discrepancy]:
    """Every open discrepancy of the ledger and the desk counts, in a stable order."""
    found = [d for line in lines for d in shipment_discrepancies(line)]
    adjusted: dict[str, int] = {}
    for r in links.reversals:
        if r.handover is not None:
            hid = r.handover.handover_id
            adjusted[hid] = adjusted.get(hid, 0) + r.event.payload.amount
    found += [
        d for h in links.handovers if (d := count_discrepancy(h, adjusted.get(h.handover_id, 0)))
    ]
    found += [
        Discrepancy(
            DiscrepancyKind.ENTRY_WITHOUT_COLLECTION,
            o.book_id,
            o.entry.payload.amount,
            o.entry.payload.currency,
            (o.entry.id,),
            f"courier:{o.courier_id}",
            f"the shipment {o.entry.payload.shipment_id} records no collection: "
            "record it on the shipment or have the entry reversed",
            o.entry.id,
        )
        for o in links.orphans
    ]
    found += [d for book in books if book.info.owner_kind == "courier" for d in _above_cash(book)]
    answered = {
        e.payload.discrepancy
        for book in books
        for e in book.events
        if isinstance(e, CashReversal) and e.payload.discrepancy
    }
    open_ = [d for d in found if d.id not in answered]
    return sorted(open_, key=lambda d: (d.kind, d.doc_id, d.event_ids))
