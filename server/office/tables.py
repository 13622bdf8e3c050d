"""The office tables: columns and rows built from one reconciliation.

Each :class:`Spec` names its columns, the filters it accepts (filter name ->
the column compared) and a row builder over a :class:`Sources`. Money cells
are integer minor units with a ``currency`` column; time cells are HLC
timestamps or Unix milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.kpis import GROUPS

from . import rows
from .rows import SHIPMENT_PAGE, Rows, Sources
from .views import Column
from .words import PHRASES


@dataclass(frozen=True, slots=True)
class Spec:
    """One table: title, columns, row builder, accepted filters."""

    title: str
    columns: list[Column]
    rows: Callable[[Sources], Rows]
    filters: dict[str, str]  # filter -> column; "from"/"to" compare that column's day
    period: bool = False  # "from"/"to" choose the statement period instead
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # filter -> its values


def _c(name: str, label: str, kind: str = "text") -> Column:
    return Column(name, label, kind, "currency" if kind == "money" else "")


def _ref(name: str, label: str, ref: str) -> Column:
    """An id shown by its name (``ref``: merchant, depot, courier, device, or "who" for
    ``kind:id`` references)."""
    return Column(name, label, ref=ref)


def _w(name: str, label: str, words: str) -> Column:
    """A code shown in plain words of vocabulary ``words``."""
    return Column(name, label, words=words)


def _action(name: str, label: str) -> Column:
    """A page path: the action that answers the row, a link named ``label``."""
    return Column(name, label, "action")


CUR = _c("currency", "Currency")
MERCHANT = _ref("merchant_id", "Merchant", "merchant")
DEPOT = _ref("depot_id", "Depot", "depot")
COURIER = _ref("courier_id", "Courier", "courier")
STATUS = _w("status", "Status", "status")


def _m(name: str, label: str) -> Column:
    return _c(name, label, "money")


def _shipment_link(name: str, label: str) -> Column:
    """A shipment id linking to its detail page."""
    return Column(name, label, "link", link=SHIPMENT_PAGE)


_SHIP_FILTERS = {"status": "status", "depot": "depot_id", "merchant": "merchant_id"}

SPECS: dict[str, Spec] = {
    "shipments": Spec(
        "Shipments",
        [
            _c("tracking_number", "Tracking"),
            _shipment_link("doc_id", "Id"),
            MERCHANT,
            DEPOT,
            COURIER,
            _c("route_day", "Route day"),
            STATUS,
            _c("attempts", "Failed attempts", "int"),
            _m("cod_amount", "COD"),
            CUR,
            _c("delivered_at", "Delivered", "time"),
            _c("open_conflicts", "Open conflicts", "int"),
        ],
        rows.shipments,
        _SHIP_FILTERS | {"courier": "courier_id", "from": "route_day", "to": "route_day"},
    ),
    "cod": Spec(
        "COD ledger per shipment",
        [
            _c("tracking_number", "Tracking"),
            _shipment_link("doc_id", "Id"),
            MERCHANT,
            DEPOT,
            _ref("courier_id", "Collected by", "courier"),
            STATUS,
            _m("expected", "Expected"),
            _m("collected", "Collected"),
            _m("outstanding", "Outstanding"),
            _m("refused", "Refused / returned"),
            _m("reversed", "Reversed"),
            CUR,
            _w("method", "Method", "method"),
            _c("collected_at", "Collected at", "time"),
            _c("handover_id", "Handover"),
            _ref("handover_depot", "Handed over at", "depot"),
            _c("counted_at", "Counted at", "time"),
            _c("deposited", "Deposited"),
            _c("remitted_batch", "Remittance batch"),
            _c("frozen", "Frozen"),
        ],
        rows.cod,
        _SHIP_FILTERS | {"courier": "courier_id", "from": "collected_at", "to": "collected_at"},
    ),
    "couriers": Spec(
        "Courier cash",
        [
            COURIER,
            _m("collected", "Collected"),
            _m("reversed", "Reversed"),
            _m("handed_over", "Handed over"),
            _m("in_hand", "In hand"),
            _m("limit", "Limit"),
            _m("overdue", "Overdue handover"),
            CUR,
            _c("over_limit", "Over limit"),
        ],
        rows.couriers,
        {"courier": "courier_id"},
    ),
    "depots": Spec(
        "Depot cash desks",
        [
            DEPOT,
            _m("handed_over", "Handed over"),
            _m("counted", "Counted"),
            _m("discrepancy", "Count discrepancy"),
            _m("uncounted", "Not counted yet"),
            _m("deposited", "Deposited"),
            _m("at_desk", "At desk"),
            CUR,
        ],
        rows.depots,
        {"depot": "depot_id"},
    ),
    "merchants": Spec(
        "Merchant statements",
        [
            MERCHANT,
            _c("from", "From"),
            _c("to", "To"),
            _c("fee_percent_bp", "Fee (bp)", "int"),
            _m("fee_fixed_minor", "Fixed fee"),
            _c("lines", "Shipments", "int"),
            _m("delivered_cod", "Delivered COD"),
            _m("fees", "Fees"),
            _m("reversals", "Reversals"),
            _m("frozen", "Frozen"),
            _m("payable", "Payable"),
            _m("remitted", "Remitted"),
            _m("payable_now", "Payable now"),
            _m("in_transit", "In transit (courier, desk)"),
            CUR,
            _c("final", "Final"),
        ],
        rows.merchants,
        {"merchant": "merchant_id", "from": "", "to": ""},
        period=True,
    ),
    "statement": Spec(
        "Merchant statement lines",
        [
            MERCHANT,
            _c("tracking_number", "Tracking"),
            _shipment_link("doc_id", "Id"),
            _c("day", "Collected on"),
            STATUS,
            _m("collected", "Collected"),
            _m("fee", "Fee"),
            _m("reversed", "Reversed"),
            _m("frozen", "Frozen"),
            _m("payable", "Payable"),
            _m("in_transit", "In transit"),
            _w("where", "Cash is at", "kind"),
            CUR,
            _c("remitted_batch", "Remittance batch"),
        ],
        rows.statement,
        {"merchant": "merchant_id", "from": "", "to": ""},
        period=True,
    ),
    "remittances": Spec(
        "Remittance batches",
        [
            _c("batch_id", "Batch"),
            MERCHANT,
            _m("amount", "Amount"),
            CUR,
            _c("shipments", "Shipments", "int"),
            _c("at", "Paid at", "time"),
            _ref("by", "By", "device"),
        ],
        rows.remittances,
        {"merchant": "merchant_id", "from": "at", "to": "at"},
    ),
    "discrepancies": Spec(
        "Cash discrepancies",
        [
            _c("discrepancy_id", "Discrepancy"),
            _w("kind", "Kind", "kind"),
            _ref("doc_id", "Document", "shipment"),
            _shipment_link("shipment_id", "Shipment"),
            _c("tracking_number", "Tracking"),
            MERCHANT,
            _m("amount", "Amount"),
            CUR,
            _ref("who", "Who must act", "who"),
            _c("action", "Action"),
            _c("event_ids", "Events"),
            _action("answer", "Answer"),
        ],
        rows.discrepancies,
        {"kind": "kind", "who": "who", "merchant": "merchant_id"},
    ),
    "ledger": Spec(
        "COD ledger balances (double entry, per currency)",
        [
            _ref("account", "Account", "who"),
            _w("kind", "Kind", "kind"),
            _m("balance", "Balance"),
            CUR,
        ],
        rows.ledger,
        {"kind": "kind", "account": "account"},
    ),
    "returns": Spec(
        "Returns",
        [
            _c("doc_id", "Return"),
            _shipment_link("shipment_id", "Shipment"),
            MERCHANT,
            DEPOT,
            STATUS,
            _c("items", "Grades and dispositions"),
            _m("refunded", "Refunded"),
            CUR,
        ],
        rows.returns,
        {"status": "status", "merchant": "merchant_id", "depot": "depot_id"},
    ),
    "stock": Spec(
        "Stock per SKU per depot",
        [
            MERCHANT,
            DEPOT,
            _c("sku", "SKU"),
            _c("quantity", "Quantity", "int"),
        ],
        rows.stock,
        {"merchant": "merchant_id", "depot": "depot_id", "sku": "sku"},
    ),
    "conflicts": Spec(
        "Open sync conflicts",
        [
            _ref("doc_id", "Document", "shipment"),
            _shipment_link("shipment_id", "Shipment"),
            _w("doc_type", "Type", "type"),
            MERCHANT,
            _c("conflict_id", "Conflict"),
            _w("kind", "Kind", "kind"),
            _c("message", "What happened"),
            _c("event_ids", "Events"),
            _action("decide", "Decide"),
        ],
        rows.conflicts,
        {"kind": "kind", "merchant": "merchant_id", "type": "doc_type"},
    ),
    "devices": Spec(
        "Devices",
        [
            _ref("device_id", "Device", "device"),
            _w("role", "Role", "role"),
            DEPOT,
            COURIER,
            _c("last_seen", "Last seen", "time"),
            _c("waiting", "Waiting to sync", "int"),
            _c("oldest_unsent_age_s", "Oldest unsent", "seconds"),
            _c("quarantined", "Quarantined items", "int"),
        ],
        rows.devices,
        {"role": "role", "depot": "depot_id"},
    ),
    "kpis": Spec(
        "Delivery and cash KPIs",
        [
            _c("key", "Group"),
            _c("shipments", "Shipments", "int"),
            _c("delivered", "Delivered", "int"),
            _c("attempted", "Attempted", "int"),
            _c("first_attempt", "First attempt", "int"),
            _c("first_attempt_rate", "First-attempt rate", "ratio"),
            _c("with_slot", "Delivered with a slot", "int"),
            _c("on_time", "On time", "int"),
            _c("on_time_rate", "On-time rate", "ratio"),
            _c("returned_to_origin", "Return to origin", "int"),
            _c("rto_rate", "Return-to-origin rate", "ratio"),
            _c("customer_returns", "Customer returns", "int"),
            _c("customer_return_rate", "Customer return rate", "ratio"),
            _m("cod_outstanding", "COD not remitted"),
            _m("cod_overdue", "COD overdue"),
            CUR,
            _c("remitted", "Remitted shipments", "int"),
            _c("avg_remit_seconds", "Delivery to remittance", "seconds"),
        ],
        rows.kpis,
        {"group": "", "key": "key", "from": "", "to": ""},
        choices={"group": tuple(g for g in GROUPS if g != "all")},
    ),
    "kpi_days": Spec(
        "KPIs per day (the numbers behind the charts)",
        [
            _c("key", "Group"),
            _c("day", "Day"),
            _c("shipments", "Shipments", "int"),
            _c("delivered", "Delivered", "int"),
            _c("first_attempt_rate", "First-attempt rate", "ratio"),
            _c("on_time_rate", "On-time rate", "ratio"),
            _c("rto_rate", "Return-to-origin rate", "ratio"),
            _m("cod_outstanding", "COD not remitted"),
            CUR,
        ],
        rows.kpi_days,
        {"group": "", "key": "key", "from": "", "to": ""},
        choices={"group": tuple(g for g in GROUPS if g != "day")},
    ),
    "exceptions": Spec(
        "Exceptions",
        [
            _w("kind", "Kind", "kind"),
            _ref("subject", "Subject", "who"),
            _c("detail", "Detail"),
            _c("since", "Since", "time"),
            _ref("who", "Who must act", "who"),
            _action("answer", "Answer"),
        ],
        rows.exceptions,
        {"kind": "kind", "who": "who"},
    ),
    "audit": Spec(
        "Audit log of office actions",
        [
            _c("entry", "Entry", "int"),
            _c("at", "When", "time"),
            _ref("actor", "Who", "device"),
            _w("action", "What", "action"),
            _ref("subject", "About", "who"),
            _c("detail", "Detail"),
            _c("reason", "Why"),
        ],
        rows.audit,
        {"action": "action", "actor": "actor", "from": "at", "to": "at"},
        choices={"action": tuple(PHRASES["action"])},
    ),
}

# what the overview takes: a period (its figures are built by the service, not from rows)
OVERVIEW_FILTERS = Spec("Overview", [], lambda _: [], {"from": "", "to": ""})
