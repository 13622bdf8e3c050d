"""Merchant API messages (JSON; their JSON Schema feeds the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from protocol.slots import SLOT_PATTERN

Text = Annotated[str, msgspec.Meta(max_length=200)]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Minor = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
Slot = Annotated[str, msgspec.Meta(max_length=40, pattern=SLOT_PATTERN)]
MAX_BULK = 1000


class ParcelIn(msgspec.Struct, forbid_unknown_fields=True):
    barcode: Ref
    weight_g: Annotated[int, msgspec.Meta(ge=0, le=10**7)] = 0


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Ref
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10**6)] = 1
    unit_price: Minor = 0


class ShipmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A shipment to create; ``order_ref`` makes the request idempotent."""

    order_ref: Ref
    currency: Currency
    recipient_name: Text = ""
    recipient_phone: Text = ""
    recipient_email: Annotated[
        str, msgspec.Meta(max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    ] = ""
    address: Text = ""
    postcode: Text = ""
    city: Text = ""
    cod_amount: Minor = 0
    depot_id: Text = ""
    # HH:MM[:SS] on the route day, or YYYY-MM-DDTHH:MM[:SS] with an optional Z / offset
    slot_start: Slot = ""
    slot_end: Slot = ""
    parcels: Annotated[list[ParcelIn], msgspec.Meta(max_length=100)] = []
    items: Annotated[list[ItemIn], msgspec.Meta(max_length=500)] = []
    merchant_id: Text = ""  # office tokens only: the merchant to create for
    # The recipient must give a PIN at the door: central makes one (6 digits), returns
    # it once in the creation result, and keeps only its scrypt digest.
    otp_required: bool = False


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    shipments: Annotated[list[ShipmentIn], msgspec.Meta(min_length=1, max_length=MAX_BULK)]


class EventOut(msgspec.Struct):
    id: str
    type: str
    hlc: str
    actor: str
    payload: dict[str, Any]


class ShipmentOut(msgspec.Struct):
    id: str
    tracking_number: str
    merchant_id: str
    order_ref: str
    status: str
    depot_id: str
    courier_id: str
    attempts: int
    cod_amount: int
    cod_collected: int
    currency: str
    delivered_at: str | None
    updated_hlc: str
    open_conflicts: int
    events: list[EventOut] = []
    otp: str | None = None  # the delivery PIN (otp_required): only in the answer that created it


class CreateResult(msgspec.Struct):
    """One bulk item's outcome, in request order."""

    index: int
    order_ref: str
    ok: bool
    created: bool = False
    id: str | None = None
    tracking_number: str | None = None
    error: str | None = None
    otp: str | None = None  # the delivery PIN, when asked for: shown only when created


class BulkOut(msgspec.Struct):
    results: list[CreateResult]
    created: int
    existing: int
    failed: int


class ShipmentPage(msgspec.Struct):
    items: list[ShipmentOut]
    next_cursor: str | None


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text = ""


class ReturnItemIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Ref
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10**6)] = 1


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    """An RMA for items of a delivered shipment."""

    shipment_id: Ref
    items: Annotated[list[ReturnItemIn], msgspec.Meta(min_length=1, max_length=500)]
    reason: Text = ""


class ReturnItemOut(msgspec.Struct):
    sku: str
    quantity: int
    grade: str | None = None
    disposition: str | None = None


class ReturnOut(msgspec.Struct):
    id: str
    shipment_id: str
    merchant_id: str
    status: str
    refunded: int
    currency: str
    items: list[ReturnItemOut]
    refund_recommendation: RefundOut | None = None


class RefundLineOut(msgspec.Struct):
    """One graded line: ``refund`` is the recommended amount, ``reason`` why it is 0 or capped."""

    sku: str
    quantity: int
    grade: str
    disposition: str
    unit_price: int
    refund: int
    reason: str


class RefundOut(msgspec.Struct):
    """The recommended refund of a graded return, in minor units of ``currency``."""

    items: list[RefundLineOut]
    total: int
    currency: str


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    """The merchant approves a refund of ``amount`` (minor units, at most the recommendation)."""

    amount: int
