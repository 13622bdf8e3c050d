"""Row builders of the office tables, one per table, over one :class:`Sources`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from protocol.alerts import Alert, DeviceSeen
from protocol.kpis import KpiRow
from protocol.money import CURRENCY_EXPONENTS, Money
from protocol.reconcile import Reconciliation
from protocol.statement import Statement

from .views import Cell

Rows = list[list[Cell]]


@dataclass(frozen=True, slots=True)
class Sources:
    """What the row builders read: the reconciliation and its companions."""

    recon: Reconciliation
    statements: list[Statement]  # for the requested period
    devices: list[DeviceSeen]
    alerts: list[Alert]
    kpis: list[KpiRow] = field(default_factory=list)  # for the requested group
    audit: list[tuple[int, int, str, str, str, str, str]] = field(default_factory=list)
    kpi_days: list[tuple[str, KpiRow]] = field(default_factory=list)  # (day, row) per key


SHIPMENT_PAGE = "/office/shipments/"
CONFLICT_PAGE = "/office/conflicts/"


def conflict_page(doc_id: str, conflict_id: str) -> str:
    """The side-by-side page of one open conflict."""
    return f"{CONFLICT_PAGE}{quote(doc_id, safe='')}/{quote(conflict_id, safe='')}"


def _money(amount: int, currency: str) -> str:
    if currency not in CURRENCY_EXPONENTS:
        return f"{amount} {currency}".strip()
    return Money(amount, currency).format()


def shipments(s: Sources) -> Rows:
    return [
        [
            line.info.tracking_number,
            line.doc_id,
            line.info.merchant_id,
            line.info.depot_id,
            line.info.courier_id,
            line.info.route_day,
            line.state.status.value,
            line.state.attempts,
            line.expected,
            line.info.currency,
            line.state.delivered_at,
            len(line.state.open_conflicts),
        ]
        for line in sorted(s.recon.lines.values(), key=lambda x: x.info.tracking_number)
    ]


def cod(s: Sources) -> Rows:
    return [
        [
            line.info.tracking_number,
            line.doc_id,
            line.info.merchant_id,
            line.info.depot_id,
            line.collected_by or line.info.courier_id,
            line.state.status.value,
            line.expected,
            line.collected,
            line.outstanding,
            line.refused,
            line.reversed,
            line.info.currency,
            line.method,
            line.collected_at,
            line.handover_id,
            line.handover_depot,
            line.counted_at,
            "yes" if line.deposited else "no",
            line.remitted_batch,
            "yes" if line.frozen else "no",
        ]
        for line in sorted(s.recon.cod, key=lambda x: x.info.tracking_number)
    ]


def couriers(s: Sources) -> Rows:
    return [
        [
            c.courier_id,
            c.collected,
            c.reversed,
            c.handed_over,
            c.in_hand,
            c.limit,
            c.overdue,
            c.currency,
            "yes" if c.over_limit else "no",
        ]
        for c in s.recon.couriers
    ]


def depots(s: Sources) -> Rows:
    return [
        [
            d.depot_id,
            d.handed_over,
            d.counted,
            d.discrepancy,
            d.uncounted,
            d.deposited,
            d.at_desk,
            d.currency,
        ]
        for d in s.recon.depots
    ]


def merchants(s: Sources) -> Rows:
    return [
        [
            st.merchant_id,
            st.period.start,
            st.period.end,
            st.terms.percent_bp,
            st.terms.fixed_minor,
            len(st.lines),
            st.delivered_cod,
            st.fees,
            st.reversals,
            st.frozen,
            st.payable,
            st.remitted,
            st.payable_now,
            st.in_transit,
            st.currency,
            "yes" if st.final else "no",
        ]
        for st in s.statements
    ]


def statement(s: Sources) -> Rows:
    return [
        [
            st.merchant_id,
            line.tracking_number,
            line.doc_id,
            line.day,
            line.status,
            line.collected,
            line.fee,
            line.reversed,
            line.frozen,
            line.payable,
            line.in_transit,
            line.where,
            st.currency,
            line.remitted_batch,
        ]
        for st in s.statements
        for line in st.lines
    ]


def remittances(s: Sources) -> Rows:
    return [
        [r.batch_id, r.merchant_id, r.amount, r.currency, len(r.shipment_ids), r.hlc, r.actor]
        for r in s.recon.remittances
    ]


def discrepancies(s: Sources) -> Rows:
    lines = s.recon.lines
    return [
        [
            d.id,
            d.kind.value,
            d.doc_id,
            d.doc_id if d.doc_id in lines else "",
            lines[d.doc_id].info.tracking_number if d.doc_id in lines else "",
            lines[d.doc_id].info.merchant_id if d.doc_id in lines else "",
            d.amount,
            d.currency,
            d.who,
            d.action,
            " ".join(d.event_ids),
            SHIPMENT_PAGE + quote(d.doc_id, safe="") if d.doc_id in lines else "",
        ]
        for d in s.recon.discrepancies
    ]


def ledger(s: Sources) -> Rows:
    """The journal's balance per account and currency (zero balances left out)."""
    return [
        [account, account.split(":", 1)[0], balance, currency]
        for (account, currency), balance in s.recon.journal.balances().items()
    ]


def returns(s: Sources) -> Rows:
    return [
        [
            r.doc_id,
            r.record.info.shipment_id,
            r.record.info.merchant_id,
            r.record.info.depot_id,
            r.state.status.value,
            ", ".join(f"{i.quantity}x {i.sku} {i.grade}/{i.disposition}" for i in r.state.items),
            r.state.refunded_minor,
            r.record.info.currency,
        ]
        for r in s.recon.returns
    ]


def stock(s: Sources) -> Rows:
    return [[m, d, sku, q] for (m, d, sku), q in s.recon.stock.items()]


def conflicts(s: Sources) -> Rows:
    origin = {r.doc_id: r.record.info.shipment_id for r in s.recon.returns}
    return [
        [
            oc.doc_id,
            origin.get(oc.doc_id, "") if oc.doc_type == "return" else oc.doc_id,
            oc.doc_type,
            oc.merchant_id,
            oc.conflict.id,
            oc.conflict.kind.value,
            oc.conflict.message,
            " ".join(oc.conflict.event_ids),
            conflict_page(oc.doc_id, oc.conflict.id),
        ]
        for oc in s.recon.conflicts
    ]


def kpis(s: Sources) -> Rows:
    return [
        [
            k.key,
            k.shipments,
            k.delivered,
            k.attempted,
            k.first_attempt,
            k.first_attempt_rate,
            k.with_slot,
            k.on_time,
            k.on_time_rate,
            k.returned_to_origin,
            k.rto_rate,
            k.customer_returns,
            k.customer_return_rate,
            k.cod_outstanding,
            k.cod_overdue,
            k.currency,
            k.remitted,
            k.avg_remit_seconds,
        ]
        for k in s.kpis
    ]


def devices(s: Sources) -> Rows:
    return [
        [
            d.device_id,
            d.role,
            d.depot_id,
            d.courier_id,
            d.last_seen_ms,
            d.waiting,
            d.oldest_unsent_age_s,
            d.quarantined,
        ]
        for d in s.devices
    ]


def exceptions(s: Sources) -> Rows:
    """One list of what needs someone: the alerts and the cash discrepancies, each with
    the page that answers it (an open conflict is listed once, as "conflict to decide")."""
    cash = {c.courier_id: c for c in s.recon.couriers}
    found: Rows = []
    for a in s.alerts:
        if a.kind == "unresolved_conflict":
            continue  # listed below from the conflicts, each with its own page
        subject, detail, answer = _alert_row(a)
        courier = cash.get(a.subject)
        if a.kind == "cash_over_limit" and courier is not None:
            detail = (
                f"{_money(courier.in_hand, courier.currency)} in hand, "
                f"limit {_money(courier.limit or 0, courier.currency)}"
            )
        elif a.kind == "handover_overdue" and courier is not None:
            detail = f"{_money(courier.overdue, courier.currency)} from earlier days"
        found.append([a.kind, subject, detail, a.since_ms or None, a.who, answer])
    for oc in s.recon.conflicts:
        subject = f"{oc.doc_type}:{oc.doc_id}"
        answer = conflict_page(oc.doc_id, oc.conflict.id)
        found.append(["unresolved_conflict", subject, oc.conflict.message, None, "office", answer])
    for d in s.recon.discrepancies:
        subject = f"shipment:{d.doc_id}" if d.doc_id in s.recon.lines else d.doc_id
        answer = SHIPMENT_PAGE + quote(d.doc_id, safe="") if d.doc_id in s.recon.lines else ""
        detail = f"{_money(d.amount, d.currency)}: {d.action}"
        found.append([d.kind.value, subject, detail, None, d.who, answer])
    return found


def _alert_row(a: Alert) -> tuple[str, str, str]:
    """An alert's subject (``kind:id``), detail and answering page."""
    if a.kind in ("late", "stuck"):
        return f"shipment:{a.subject}", a.detail, SHIPMENT_PAGE + quote(a.subject, safe="")
    if a.kind.startswith("device_"):
        return f"device:{a.subject}", a.detail, "/office/tables/devices"
    return f"courier:{a.subject}", a.detail, f"/office/tables/couriers?courier={quote(a.subject)}"


def audit(s: Sources) -> Rows:
    return [list(entry) for entry in s.audit]


def kpi_days(s: Sources) -> Rows:
    """One row per group key, day and currency: the numbers behind the KPI charts."""
    return [
        [
            k.key,
            day,
            k.shipments,
            k.delivered,
            k.first_attempt_rate,
            k.on_time_rate,
            k.rto_rate,
            k.cod_outstanding,
            k.currency,
        ]
        for day, k in s.kpi_days
    ]
