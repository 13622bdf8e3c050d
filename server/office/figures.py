"""The overview's headline figures: KPIs, exception counts, COD totals per currency."""

from __future__ import annotations

from collections import Counter

from protocol.alerts import Alert
from protocol.kpis import KpiRow
from protocol.reconcile import Reconciliation

from .views import Figure, Overview
from .words import plain

KPIS = "kpis"  # the drill-down table of the KPI figures, per depot by default


def _kpi_figures(row: KpiRow | None) -> list[Figure]:
    if row is None:
        return []
    return [
        Figure(
            "first_attempt_rate",
            "First-attempt delivery",
            row.first_attempt_rate,
            "ratio",
            table=KPIS,
        ),
        Figure("on_time_rate", "On time (promised slot)", row.on_time_rate, "ratio", table=KPIS),
        Figure("rto_rate", "Return to origin", row.rto_rate, "ratio", table=KPIS),
        Figure(
            "customer_return_rate",
            "Customer returns",
            row.customer_return_rate,
            "ratio",
            table=KPIS,
        ),
        Figure(
            "delivery_to_remittance",
            "Delivery to remittance",
            row.avg_remit_seconds,
            "seconds",
            table=KPIS,
        ),
        Figure("shipments", "Shipments", row.shipments, table="shipments"),
        Figure("delivered", "Delivered", row.delivered, table="shipments"),
    ]


def _cod_figures(recon: Reconciliation) -> list[Figure]:
    sums: dict[str, Counter[str]] = {}
    for line in recon.cod:
        c = sums.setdefault(line.info.currency, Counter())
        c["expected"] += line.expected
        c["collected"] += line.collected
        c["outstanding"] += line.outstanding
        if line.collected and not line.remitted_batch:
            c["unremitted"] += line.collected - line.reversed
    for courier in recon.couriers:
        sums.setdefault(courier.currency, Counter())["in_hand"] += courier.in_hand
    for depot in recon.depots:
        if depot.currency:
            sums.setdefault(depot.currency, Counter())["at_desk"] += depot.at_desk
    for r in recon.remittances:
        sums.setdefault(r.currency, Counter())["remitted"] += r.amount
    labels = [
        ("expected", "COD expected", "cod"),
        ("collected", "COD collected", "cod"),
        ("outstanding", "COD still to collect", "cod"),
        ("in_hand", "Cash in couriers' hands", "couriers"),
        ("at_desk", "Counted, not deposited", "depots"),
        ("unremitted", "Collected, not remitted", "merchants"),
        ("remitted", "Remitted to merchants", "remittances"),
    ]
    return [
        Figure(f"{name}_{cur}", f"{label} ({cur})", c[name], "money", cur, table)
        for cur, c in sorted(sums.items())
        for name, label, table in labels
    ]


def overview_of(
    recon: Reconciliation, kpi: KpiRow | None, alerts: list[Alert], head: int
) -> Overview:
    """The overview from one reconciliation, its all-network KPI row and the open alerts."""
    counts = Counter(a.kind for a in alerts if a.kind != "unresolved_conflict")
    exceptions = [
        Figure(kind, plain("kind", kind), n, table=f"exceptions?kind={kind}")
        for kind, n in sorted(counts.items())
    ]
    # each thing counted once: conflicts from the reconciliation (the alert list repeats
    # them), discrepancies beside them; every count links to its rows of the one list
    exceptions.append(
        Figure("conflicts", "Conflicts to decide", len(recon.conflicts), table="conflicts")
    )
    exceptions.append(
        Figure(
            "discrepancies", "Cash discrepancies", len(recon.discrepancies), table="discrepancies"
        )
    )
    return Overview(_kpi_figures(kpi), exceptions, _cod_figures(recon), head)
