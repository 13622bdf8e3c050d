"""Cash discrepancies, each with the events that cause it and who must act.

Kinds (amounts signed, minor units):

* ``short_collection`` - delivered but less COD collected than expected
  (``collected - expected`` < 0); the courier must account for it.
* ``excess_collection`` - more collected than expected (> 0); head office
  refunds the recipient or the courier corrects it.
* ``count_mismatch`` - the desk counted a handover differently from what the
  courier declared (``counted - declared``); the depot desk and courier.
* ``collected_on_returned`` - cash collected on a parcel now returning or
  returned to origin (or cancelled, lost); head office decides the refund.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .ledger import NO_MORE_CASH, CodLine, HandoverEntry
from .vocab import ShipmentStatus

S = ShipmentStatus


class DiscrepancyKind(StrEnum):
    SHORT_COLLECTION = "short_collection"
    EXCESS_COLLECTION = "excess_collection"
    COUNT_MISMATCH = "count_mismatch"
    COLLECTED_ON_RETURNED = "collected_on_returned"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: DiscrepancyKind
    doc_id: str
    amount: int
    currency: str
    event_ids: tuple[str, ...]
    who: str  # "courier:<id>", "depot:<id>" or "office"
    action: str


def _courier(line: CodLine) -> str:
    return f"courier:{line.collected_by or line.info.courier_id or '?'}"


def shipment_discrepancies(line: CodLine) -> list[Discrepancy]:
    """Collection discrepancies of one ledger line (none for a clean one)."""
    found: list[Discrepancy] = []
    currency, ids = line.info.currency, tuple(line.event_ids)
    with_status = tuple(sorted({*ids, line.status_event_id} - {""}))
    status = line.state.status
    if status == S.DELIVERED and line.collected < line.expected:
        found.append(
            Discrepancy(
                DiscrepancyKind.SHORT_COLLECTION,
                line.doc_id,
                line.collected - line.expected,
                currency,
                with_status,
                _courier(line),
                "collect the missing COD or record the reason with a reversal",
            )
        )
    if line.collected > line.expected:
        found.append(
            Discrepancy(
                DiscrepancyKind.EXCESS_COLLECTION,
                line.doc_id,
                line.collected - line.expected,
                currency,
                ids,
                "office",
                "refund the recipient the excess or reverse the extra entry",
            )
        )
    if status in NO_MORE_CASH and line.collected > 0:
        found.append(
            Discrepancy(
                DiscrepancyKind.COLLECTED_ON_RETURNED,
                line.doc_id,
                line.collected,
                currency,
                with_status,
                "office",
                f"cash collected on a parcel now {status}: refund the recipient",
            )
        )
    return found


def count_discrepancy(handover: HandoverEntry) -> Discrepancy | None:
    """The desk's count of a handover differs from the courier's declaration."""
    if handover.counted is None or handover.discrepancy == 0:
        return None
    return Discrepancy(
        DiscrepancyKind.COUNT_MISMATCH,
        handover.book_id,
        handover.discrepancy,
        handover.currency,
        tuple(sorted(handover.event_ids)),
        f"depot:{handover.depot_id}",
        f"recount handover {handover.handover_id} with courier {handover.courier_id}",
    )


def discrepancies(
    lines: Iterable[CodLine], handovers: Iterable[HandoverEntry]
) -> list[Discrepancy]:
    """Every discrepancy of the ledger and the desk counts, in a stable order."""
    found = [d for line in lines for d in shipment_discrepancies(line)]
    found += [d for h in handovers if (d := count_discrepancy(h)) is not None]
    return sorted(found, key=lambda d: (d.kind, d.doc_id, d.event_ids))
