"""Bodies of the office JSON API (msgspec: a bad field is a 400 naming it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from protocol.money import CURRENCY_EXPONENTS
from protocol.vocab import ShipmentStatus

Minor = Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1)]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
Currency = Annotated[str, msgspec.Meta(pattern="^(" + "|".join(CURRENCY_EXPONENTS) + ")$")]


class TermsIn(msgspec.Struct, forbid_unknown_fields=True):
    """A merchant's COD fee: basis points of the collected amount plus a fixed fee.

    ``name`` is the merchant's name for people (tables, statements, CSV);
    left out, the stored name stays; ``""`` clears it.
    """

    fee_percent_bp: Annotated[int, msgspec.Meta(ge=0, le=10_000)]
    fee_fixed_minor: Minor = 0
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TermsOut(msgspec.Struct):
    merchant_id: str
    fee_percent_bp: int
    fee_fixed_minor: int
    name: str = ""


class CashLimitIn(msgspec.Struct, forbid_unknown_fields=True):
    """The most cash a courier may hold; it reaches the handheld through sync."""

    cash_limit_minor: Minor
    currency: Currency = "EUR"
    reason: Reason = ""  # why, for the audit log


class CashLimitOut(msgspec.Struct):
    courier_id: str
    cash_limit_minor: int
    currency: str = "EUR"
    book_id: str = ""  # the courier's cash book of the day that carries it to the handheld


class RemittanceIn(
    msgspec.Struct, forbid_unknown_fields=True, rename={"start": "from", "end": "to"}
):
    """Pay a merchant what its statement for ``from``..``to`` (UTC days) makes payable."""

    merchant_id: Annotated[str, msgspec.Meta(min_length=1)]
    start: date
    end: date
    reason: Reason = ""  # why, for the audit log

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("'from' must not be after 'to'")


class RemittanceOut(msgspec.Struct):
    batch_id: str
    book_id: str
    merchant_id: str
    currency: str
    amount: int
    shipment_ids: list[str]


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    """How head office settles a conflict: an optional status to set, and why."""

    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    status: ShipmentStatus | None = None
    keep: Annotated[str, msgspec.Meta(max_length=200)] = ""  # the competing event that stands


class ResolveOut(msgspec.Struct):
    doc_id: str
    conflict_id: str
    event_id: str


class ReversalIn(msgspec.Struct, forbid_unknown_fields=True):
    """A reversing entry: ``amount`` of the collection ``entry_id`` names (its
    ``cod_collected`` event or cash book entry) goes back to the recipient, or, when
    ``entry_id`` is a handover id, a count adjustment; ``discrepancy`` is the id of
    the discrepancy it answers (closed on every replica once synced)."""

    entry_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    amount: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    discrepancy: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ReversalOut(msgspec.Struct):
    event_id: str
    book_id: str
    entry_id: str
    amount: int
    currency: str
    discrepancy: str


class StockOut(msgspec.Struct):
    merchant_id: str
    depot_id: str
    sku: str
    quantity: int


class ReorderOut(msgspec.Struct):
    """A reorder suggestion for one merchant's SKU at one depot, as of ``as_of``."""

    merchant_id: str
    depot_id: str
    sku: str
    on_hand: int
    method: str  # croston_sba | ses | no_demand
    daily_demand: float  # forecast units per day
    days_of_cover: float | None  # None: no demand
    stockout_date: str | None  # YYYY-MM-DD, None: no demand
    safety_stock: int
    reorder_point: int
    reorder_quantity: int
    alert: str  # "" | reorder | stockout_within_lead_time | out_of_stock
    advice: str
    as_of: str
