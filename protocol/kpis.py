"""Delivery and cash KPIs from a :class:`protocol.reconcile.Reconciliation`, grouped.

Definitions (a ratio is ``None`` while its denominator is 0):

* first-attempt rate - delivered with no failed attempt before / shipments
  attempted at least once (delivered, or with a failed attempt);
* on-time rate - delivered by the end of the promised slot (``route_day`` +
  ``slot_end``, UTC) / delivered shipments that had a slot;
* return-to-origin rate - returning or returned to origin / shipments;
* customer return rate - returns opened for the group's shipments / delivered;
* COD outstanding - cash collected and not yet remitted to the merchant;
  overdue - the part of it collected more than ``overdue_ms`` before ``now_ms``;
* delivery to remittance - mean seconds from the delivery to the batch that
  paid the merchant, over remitted shipments.

A row is one group key in one currency (the shipments'): amounts are never
summed across currencies, so a group with parcels in two currencies has two rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ledger import RETURNING, CodLine, day_of, hlc_ms
from .reconcile import Reconciliation
from .slots import slot_moment
from .vocab import ShipmentStatus

GROUPS = ("all", "depot", "courier", "merchant", "day")


@dataclass(slots=True)
class KpiRow:
    group: str
    key: str
    shipments: int = 0
    delivered: int = 0
    attempted: int = 0
    first_attempt: int = 0
    with_slot: int = 0
    on_time: int = 0
    returned_to_origin: int = 0
    customer_returns: int = 0
    cod_outstanding: int = 0
    cod_overdue: int = 0
    remitted: int = 0
    remit_seconds: int = 0
    currency: str = ""  # of every amount of the row

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def first_attempt_rate(self) -> float | None:
        return self._ratio(self.first_attempt, self.attempted)

    @property
    def on_time_rate(self) -> float | None:
        return self._ratio(self.on_time, self.with_slot)

    @property
    def rto_rate(self) -> float | None:
        return self._ratio(self.returned_to_origin, self.shipments)

    @property
    def customer_return_rate(self) -> float | None:
        return self._ratio(self.customer_returns, self.delivered)

    @property
    def avg_remit_seconds(self) -> float | None:
        return self.remit_seconds / self.remitted if self.remitted else None


def slot_end_ms(line: CodLine) -> int | None:
    """End of the promised slot in Unix ms, if the shipment has one (every format of
    :mod:`protocol.slots`)."""
    moment = slot_moment(line.info.slot_end, line.info.route_day)
    return int(moment.timestamp() * 1000) if moment else None


def _key(group: str) -> Callable[[CodLine], str]:
    match group:
        case "all":
            return lambda line: "all"
        case "depot":
            return lambda line: line.info.depot_id
        case "courier":
            return lambda line: line.collected_by or line.info.courier_id
        case "merchant":
            return lambda line: line.info.merchant_id
        case "day":
            return lambda line: line.info.route_day or day_of(line.state.delivered_at or "")
    raise ValueError(f"group must be one of {', '.join(GROUPS)}, got {group!r}")


def _add(row: KpiRow, line: CodLine, remitted_at: dict[str, str], since: int) -> None:
    state = line.state
    row.shipments += 1
    row.returned_to_origin += state.status in RETURNING
    delivered_at = state.delivered_at if state.status == ShipmentStatus.DELIVERED else None
    row.attempted += bool(delivered_at) or state.attempts > 0
    if delivered_at:
        row.delivered += 1
        row.first_attempt += state.attempts == 0
        end = slot_end_ms(line)
        if end is not None:
            row.with_slot += 1
            row.on_time += hlc_ms(delivered_at) <= end
        paid = remitted_at.get(line.remitted_batch)
        if paid:
            row.remitted += 1
            row.remit_seconds += max(hlc_ms(paid) - hlc_ms(delivered_at), 0) // 1000
    if line.collected and not line.remitted_batch:
        cash = line.collected - line.reversed
        row.cod_outstanding += cash
        row.cod_overdue += cash if hlc_ms(line.collected_at) < since else 0


def kpis(recon: Reconciliation, group: str, now_ms: int, overdue_ms: int) -> list[KpiRow]:
    """KPI rows per ``group`` (one of :data:`GROUPS`), sorted by key."""
    key_of = _key(group)
    remitted_at = {r.batch_id: r.hlc for r in recon.remittances}
    rows: dict[tuple[str, str], KpiRow] = {}

    def row_of(line: CodLine) -> KpiRow:
        key, currency = key_of(line), line.info.currency
        return rows.setdefault((key, currency), KpiRow(group, key, currency=currency))

    for line in recon.lines.values():
        _add(row_of(line), line, remitted_at, now_ms - overdue_ms)
    for ret in recon.returns:
        origin = recon.lines.get(ret.record.info.shipment_id)
        if origin is not None:
            row_of(origin).customer_returns += 1
    return [rows[k] for k in sorted(rows)]


_COUNTS = (
    "shipments",
    "delivered",
    "attempted",
    "first_attempt",
    "with_slot",
    "on_time",
    "returned_to_origin",
    "customer_returns",
    "remitted",
    "remit_seconds",
)


def counts_of(rows: list[KpiRow], group: str = "all", key: str = "all") -> KpiRow:
    """The delivery counts of ``rows`` added up, with no amounts (those stay per currency)."""
    merged = KpiRow(group, key)
    for row in rows:
        for name in _COUNTS:
            setattr(merged, name, getattr(merged, name) + getattr(row, name))
    return merged
