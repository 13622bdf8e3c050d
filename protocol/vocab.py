"""The shared vocabulary: statuses, reason codes, grades, roles, cash kinds."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COURIER = "courier"
    DEPOT = "depot"
    OFFICE = "office"
    MERCHANT = "merchant"


class DocType(StrEnum):
    SHIPMENT = "shipment"
    RETURN = "return"
    CASHBOOK = "cashbook"


class ShipmentStatus(StrEnum):
    CREATED = "created"
    AT_DEPOT = "at_depot"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    ATTEMPT_FAILED = "attempt_failed"
    ON_HOLD = "on_hold"
    RETURNING_TO_ORIGIN = "returning_to_origin"
    RETURNED_TO_ORIGIN = "returned_to_origin"
    LOST = "lost"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset(
    {
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED_TO_ORIGIN,
        ShipmentStatus.LOST,
        ShipmentStatus.CANCELLED,
    }
)


class FailureReason(StrEnum):
    # next attempt
    NOT_HOME = "not_home"
    NO_ACCESS = "no_access"
    CASH_NOT_READY = "cash_not_ready"
    VEHICLE_FULL = "vehicle_full"
    MISSORTED = "missorted"
    # hold for the sender's decision
    ADDRESS_INCOMPLETE = "address_incomplete"
    NEW_DATE_REQUESTED = "new_date_requested"
    COD_AMOUNT_DISPUTED = "cod_amount_disputed"
    # direct return
    REFUSED = "refused"
    DAMAGED = "damaged"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


class FailureOutcome(StrEnum):
    NEXT_ATTEMPT = "next_attempt"
    HOLD = "hold"
    RETURN = "return"


FAILURE_OUTCOME: dict[FailureReason, FailureOutcome] = {
    FailureReason.NOT_HOME: FailureOutcome.NEXT_ATTEMPT,
    FailureReason.NO_ACCESS: FailureOutcome.NEXT_ATTEMPT,
    FailureReason.CASH_NOT_READY: FailureOutcome.NEXT_ATTEMPT,
    FailureReason.VEHICLE_FULL: FailureOutcome.NEXT_ATTEMPT,
    FailureReason.MISSORTED: FailureOutcome.NEXT_ATTEMPT,
    FailureReason.ADDRESS_INCOMPLETE: FailureOutcome.HOLD,
    FailureReason.NEW_DATE_REQUESTED: FailureOutcome.HOLD,
    FailureReason.COD_AMOUNT_DISPUTED: FailureOutcome.HOLD,
    FailureReason.REFUSED: FailureOutcome.RETURN,
    FailureReason.DAMAGED: FailureOutcome.RETURN,
    FailureReason.ATTEMPTS_EXHAUSTED: FailureOutcome.RETURN,
}


class PodRelation(StrEnum):
    SELF = "self"
    NEIGHBOUR = "neighbour"
    SAFE_PLACE = "safe_place"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    PICKED_UP = "picked_up"
    RECEIVED = "received"
    INSPECTED = "inspected"
    COMPLETED = "completed"


class Grade(StrEnum):
    SELLABLE = "sellable"
    REFURBISH = "refurbish"
    DAMAGED = "damaged"
    MISSING_PARTS = "missing_parts"
    WRONG_ITEM = "wrong_item"


class Disposition(StrEnum):
    RESTOCK = "restock"
    QUARANTINE = "quarantine"
    DISPOSE = "dispose"
    BACK_TO_MERCHANT = "back_to_merchant"


class StockState(StrEnum):
    """Where units of a returned SKU are at a depot."""

    AVAILABLE = "available"
    QUARANTINED = "quarantined"
    DISPOSED = "disposed"
    RETURNED_TO_MERCHANT = "returned_to_merchant"


class StockSource(StrEnum):
    """Where a stock movement takes units from: graded units not yet moved, or a state."""

    GRADED = "graded"
    AVAILABLE = "available"
    QUARANTINED = "quarantined"


class CashKind(StrEnum):
    COLLECTED = "collected"
    HANDED_OVER = "handed_over"
    COUNTED_AT_DEPOT = "counted_at_depot"
    DEPOSITED = "deposited"
    REMITTED = "remitted"
    REVERSAL = "reversal"


class ConflictKind(StrEnum):
    DELIVERED_AND_LOST = "delivered_and_lost"
    DOUBLE_DELIVERY = "double_delivery"
    DOUBLE_COLLECTION = "double_collection"
    COD_AMOUNT_MISMATCH = "cod_amount_mismatch"
    EVENT_AFTER_FINAL = "event_after_final"
    DOUBLE_GRADING = "double_grading"
    PIN_MISMATCH = "pin_mismatch"
