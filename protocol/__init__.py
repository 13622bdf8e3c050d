"""parcelsync's shared language: ids, clock, money, vocabulary, events, pure rules, wire."""

from .cash import CashBookState, fold_cash_book
from .conflicts import Conflict
from .errors import (
    CurrencyMismatch,
    InvalidEvent,
    InvalidMoney,
    InvalidTrackingNumber,
    ProtocolError,
    UnsupportedVersion,
)
from .events import Event, decode_event, encode_event, event_type
from .hlc import HybridClock, Timestamp
from .ids import make_tracking_number, named_id, new_id, validate_tracking_number
from .lifecycle import ShipmentState, fold_shipment, sort_events
from .money import Money
from .permissions import Change, Device, Refusal, check_change
from .returns import ReturnState, fold_return
from .vocab import DocType, Role, ShipmentStatus

__all__ = [
    "CashBookState",
    "Change",
    "Conflict",
    "CurrencyMismatch",
    "Device",
    "DocType",
    "Event",
    "HybridClock",
    "InvalidEvent",
    "InvalidMoney",
    "InvalidTrackingNumber",
    "Money",
    "ProtocolError",
    "Refusal",
    "ReturnState",
    "Role",
    "ShipmentState",
    "ShipmentStatus",
    "Timestamp",
    "UnsupportedVersion",
    "check_change",
    "decode_event",
    "encode_event",
    "event_type",
    "fold_cash_book",
    "fold_return",
    "fold_shipment",
    "make_tracking_number",
    "named_id",
    "new_id",
    "sort_events",
    "validate_tracking_number",
]
