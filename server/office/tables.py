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
from .rows import Rows, Sources
from .views import Column


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


CUR = _c("currency", "Currency")
MERCHANT_NAME = _c("merchant_name", "Merchant name")


def _m(name: str, label: str) -> Column:
    return _c(name, label, "money")


SHIPMENT_PAGE = "/office/shipments/"


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
            _c("merchant_id", "Merchant"),
            _c("depot_id", "Depot"),
            _c("courier_id", "Courier"),
            _c("route_day", "Route day"),
            _c("status", "Status"),
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
            _c("merchant_id", "Merchant"),
            _c("depot_id", "Depot"),
            _c("courier_id", "Collected by"),
            _c("status", "Status"),
            _m("expected", "Expected"),
            _m("collected", "Collected"),
            _m("outstanding", "Outstanding"),
            _m("refused", "Refused / returned"),
            _m("reversed", "Reversed"),
            CUR,
            _c("method", "Method"),
            _c("collected_at", "Collected at", "time"),
            _c("handover_id", "Handover"),
            _c("handover_depot", "Handed over at"),
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
            _c("courier_id", "Courier"),
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
            _c("depot_id", "Depot"),
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
            _c("merchant_id", "Merchant"),
            MERCHANT_NAME,
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
            _c("merchant_id", "Merchant"),
            MERCHANT_NAME,
            _c("tracking_number", "Tracking"),
            _shipment_link("doc_id", "Id"),
            _c("day", "Collected on"),
            _c("status", "Status"),
            _m("collected", "Collected"),
            _m("fee", "Fee"),
            _m("reversed", "Reversed"),
            _m("frozen", "Frozen"),
            _m("payable", "Payable"),
            _m("in_transit", "In transit"),
            _c("where", "Cash is at"),
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
            _c("merchant_id", "Merchant"),
            _m("amount", "Amount"),
            CUR,
            _c("shipments", "Shipments", "int"),
            _c("at", "Paid at", "time"),
            _c("by", "By"),
        ],
        rows.remittances,
        {"merchant": "merchant_id", "from": "at", "to": "at"},
    ),
    "discrepancies": Spec(
        "Cash discrepancies",
        [
            _c("discrepancy_id", "Discrepancy"),
            _c("kind", "Kind"),
            _c("doc_id", "Document"),
            _shipment_link("shipment_id", "Shipment"),
            _c("tracking_number", "Tracking"),
            _c("merchant_id", "Merchant"),
            _m("amount", "Amount"),
            CUR,
            _c("who", "Who must act"),
            _c("action", "Action"),
            _c("event_ids", "Events"),
        ],
        rows.discrepancies,
        {"kind": "kind", "who": "who", "merchant": "merchant_id"},
    ),
    "ledger": Spec(
        "COD ledger balances (double entry, per currency)",
        [_c("account", "Account"), _c("kind", "Kind"), _m("balance", "Balance"), CUR],
        rows.ledger,
        {"kind": "kind", "account": "account"},
    ),
    "returns": Spec(
        "Returns",
        [
            _c("doc_id", "Return"),
            _shipment_link("shipment_id", "Shipment"),
            _c("merchant_id", "Merchant"),
            _c("depot_id", "Depot"),
            _c("status", "Status"),
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
            _c("merchant_id", "Merchant"),
            _c("depot_id", "Depot"),
            _c("sku", "SKU"),
            _c("quantity", "Quantity", "int"),
        ],
        rows.stock,
        {"merchant": "merchant_id", "depot": "depot_id", "sku": "sku"},
    ),
    "conflicts": Spec(
        "Open sync conflicts",
        [
            _c("doc_id", "Document"),
            _shipment_link("shipment_id", "Shipment"),
            _c("doc_type", "Type"),
            _c("merchant_id", "Merchant"),
            _c("conflict_id", "Conflict"),
            _c("kind", "Kind"),
            _c("message", "What happened"),
            _c("event_ids", "Events"),
        ],
        rows.conflicts,
        {"kind": "kind", "merchant": "merchant_id", "type": "doc_type"},
    ),
    "devices": Spec(
        "Devices",
        [
            _c("device_id", "Device"),
            _c("role", "Role"),
            _c("depot_id", "Depot"),
            _c("courier_id", "Courier"),
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
        {"group": "", "key": "key"},
        choices={"group": tuple(g for g in GROUPS if g != "all")},
    ),
    "exceptions": Spec(
        "Exceptions",
        [
            _c("kind", "Kind"),
            _c("subject", "Subject"),
            _c("detail", "Detail"),
            _c("since", "Since", "time"),
            _c("who", "Who must act"),
        ],
        rows.exceptions,
        {"kind": "kind", "who": "who"},
    ),
}
