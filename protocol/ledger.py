"""Plain inputs of head-office reconciliation, and the per-shipment COD line.

Everything here is a pure function of documents given as plain records
``(doc_id, info, events)``: no clock, no database. **collected** comes from
the shipment's own ``cod_collected`` events (cash and card): the collection
that stands is the first in ``(hlc, id)`` order unless a ``conflict_resolved``
keeps another; the rest are extra (suspense) or foreign (another currency).
:mod:`protocol.cash_links` adds what the cash books say (handover, count,
deposit, remittance, reversals).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .delivery import effective_info
from .events import ConflictResolved, Event
from .info import CashBookInfo, ReturnInfo, ShipmentInfo
from .lifecycle import ShipmentState, fold_shipment, sort_events
from .vocab import ShipmentStatus

S = ShipmentStatus
# No more cash is expected from these: what was not collected was refused or returned.
NO_MORE_CASH = frozenset({S.RETURNING_TO_ORIGIN, S.RETURNED_TO_ORIGIN, S.CANCELLED, S.LOST})
RETURNING = frozenset({S.RETURNING_TO_ORIGIN, S.RETURNED_TO_ORIGIN})


_WALL = re.compile(r"[0-9]{1,13}")


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    doc_id: str
    info: ShipmentInfo
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class CashBookRecord:
    doc_id: str
    info: CashBookInfo
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    doc_id: str
    info: ReturnInfo
    events: tuple[Event, ...]


def hlc_ms(hlc: str) -> int:
    """Wall-clock milliseconds of an encoded HLC timestamp: its leading digits (at
    most 13), 0 for an empty or malformed one (stored before the boundary refused
    such clocks, it must not break a fold)."""
    match = _WALL.match(hlc or "")
    return int(match.group()) if match else 0


def day_of(hlc: str) -> str:
    """The UTC day ``YYYY-MM-DD`` of an encoded HLC timestamp ('' for an empty one)."""
    if not hlc:
        return ""
    return datetime.fromtimestamp(hlc_ms(hlc) / 1000, UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class Taken:
    """One COD collection of a shipment: which event, how much, how, by whom."""

    event_id: str
    amount: int
    currency: str
    method: str
    actor: str


@dataclass(slots=True)
class CodLine:
    """Where one COD shipment's cash is. Amounts in minor units of ``currency``.

    ``collected`` is the collection that stands (the first in fold order, or the
    one a resolution keeps): the merchant is owed it once. Further collections in
    the shipment's currency are ``extra`` (suspense until refunded); collections in
    another currency are ``foreign``. Identity: ``expected == collected +
    outstanding + refused``; ``outstanding`` is negative when more was collected
    than expected.
    """

    doc_id: str
    info: ShipmentInfo
    state: ShipmentState
    expected: int
    collected: int
    refused: int
    outstanding: int
    collected_by: str = ""
    collected_at: str = ""
    method: str = ""
    cash_entry_id: str = ""
    cash_courier: str = ""  # owner of the cash book that recorded the line's cash
    handover_id: str = ""
    handover_depot: str = ""
    counted_at: str = ""
    deposited: bool = False
    remitted_batch: str = ""
    reversed: int = 0  # reversals of the standing collection
    refunded: int = 0  # reversals of extra collections (refunds from suspense)
    standing: Taken | None = None
    extras: tuple[Taken, ...] = ()
    foreign: tuple[Taken, ...] = ()
    event_ids: list[str] = field(default_factory=list)  # the COD collections
    status_event_id: str = ""  # the event that set the current status
    release_event_id: str = ""  # the signed hand-back of a returned parcel to its merchant
    released: int = 0  # frozen COD given back to the recipient at the hand-back (in reversed)

    @property
    def extra(self) -> int:
        """Collected beyond the standing collection, in the shipment's currency."""
        return sum(t.amount for t in self.extras)

    @property
    def frozen(self) -> bool:
        """Cash held back from the merchant: returning to origin or in dispute."""
        return self.state.status in RETURNING or bool(self.state.open_conflicts)

    @property
    def banked(self) -> bool:
        """The standing collection reached the bank: deposited cash or a card payment."""
        return self.method == "card" or self.deposited


def _standing_id(events: Iterable[Event], taken: list[Taken]) -> str:
    kept = [
        e.payload.keep
        for e in sort_events(events)
        if isinstance(e, ConflictResolved) and e.payload.keep
    ]
    ids = {t.event_id for t in taken}
    chosen = [k for k in kept if k in ids]
    return chosen[-1] if chosen else (taken[0].event_id if taken else "")


def cod_line(record: ShipmentRecord) -> CodLine:
    """The ledger line of one shipment from its own events (cash book links added later)."""
    info = effective_info(record.info, record.events)
    state = fold_shipment(record.events, info.cod)
    actors = {e.id: e.actor for e in record.events}
    taken = [
        Taken(c.event_id, c.amount.amount, c.amount.currency, c.method, actors.get(c.event_id, ""))
        for c in state.collections
    ]
    own = [t for t in taken if t.currency == info.currency]
    standing_id = _standing_id(record.events, own)
    standing = next((t for t in own if t.event_id == standing_id), None)
    collected = standing.amount if standing else 0
    expected = info.cod_amount
    refused = max(expected - collected, 0) if state.status in NO_MORE_CASH else 0
    line = CodLine(
        doc_id=record.doc_id,
        info=info,
        state=state,
        expected=expected,
        collected=collected,
        refused=refused,
        outstanding=expected - collected - refused,
        standing=standing,
        extras=tuple(t for t in own if t is not standing),
        foreign=tuple(t for t in taken if t.currency != info.currency),
        event_ids=[t.event_id for t in taken],
    )
    if state.history:
        moved_at = state.history[-1][0]
        line.status_event_id = next((e.id for e in record.events if e.hlc == moved_at), "")
    if state.handed_back_at:
        line.release_event_id = next(
            (e.id for e in record.events if e.hlc == state.handed_back_at), ""
        )
    if standing is not None:
        first = next(c for c in state.collections if c.event_id == standing.event_id)
        line.collected_at, line.method = first.hlc, first.method
        line.collected_by = standing.actor
    return line
