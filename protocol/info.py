"""The ``info`` map of each document type, validated at the Yjs boundary.

Yjs gives numbers back as floats; :func:`decode_info` restores integers and
checks types, so nothing downstream ever sees ``1250.0``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .errors import InvalidEvent
from .events import ints_from_floats
from .money import Money, check_currency, minor_units
from .vocab import DocType


class Parcel(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    barcode: str
    weight_g: int = 0


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    sku: str
    quantity: int = 1
    unit_price: int = 0


class ShipmentInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    merchant_id: str
    tracking_number: str
    currency: str
    order_ref: str = ""
    recipient_name: str = ""
    recipient_phone: str = ""
    recipient_email: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    cod_amount: int = 0
    depot_id: str = ""
    courier_id: str = ""
    route_day: str = ""
    route_seq: int = 0
    slot_start: str = ""
    slot_end: str = ""
    otp_digest: str = ""  # the recipient's PIN as protocol.pin.pin_digest; "": no PIN
    otp_sha256: str = ""  # legacy (unsalted): documents made before otp_digest, still checked
    parcels: list[Parcel] = []
    items: list[Item] = []

    def __post_init__(self) -> None:
        check_currency(self.currency, "info.currency")
        minor_units(self.cod_amount, "info.cod_amount")
        if self.cod_amount < 0:
            raise ValueError("info.cod_amount must not be negative")

    @property
    def otp_required(self) -> bool:
        """True when the recipient must give a PIN."""
        return bool(self.otp_digest or self.otp_sha256)

    @property
    def cod(self) -> Money | None:
        """Expected cash on delivery, or ``None`` for a prepaid parcel."""
        return Money(self.cod_amount, self.currency) if self.cod_amount else None


class ReturnInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """An RMA: the items of a delivered shipment coming back, and where to pick them up
    (the shipment's recipient, copied when the RMA was made); the depot routes the
    reverse pickup like a shipment (``courier_id``, ``route_day``, ``route_seq``)."""

    shipment_id: str
    merchant_id: str
    reason: str = ""
    currency: str = "EUR"
    items: list[Item] = []
    depot_id: str = ""
    courier_id: str = ""
    route_day: str = ""
    route_seq: int = 0
    recipient_name: str = ""
    recipient_phone: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""


class CashBookInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    owner_kind: str  # "courier" | "depot" | "office"
    owner_id: str
    day: str
    currency: str
    depot_id: str = ""
    courier_id: str = ""
    merchant_id: str = ""

    def __post_init__(self) -> None:
        check_currency(self.currency, "info.currency")


DocInfo = ShipmentInfo | ReturnInfo | CashBookInfo

_INFO_TYPES: dict[DocType, type[DocInfo]] = {
    DocType.SHIPMENT: ShipmentInfo,
    DocType.RETURN: ReturnInfo,
    DocType.CASHBOOK: CashBookInfo,
}


def decode_info(doc_type: DocType, raw: dict[str, Any]) -> DocInfo:
    """Validate a document's info map; raises ``InvalidEvent`` naming the field."""
    try:
        info: DocInfo = msgspec.convert(ints_from_floats(raw), _INFO_TYPES[doc_type])
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise InvalidEvent(f"{doc_type} info does not validate: {exc}") from exc
    return info
