"""Immutable domain events: ``{id, type, hlc, device, actor, payload}``.

Each document type has its own tagged union. Events are stored in a Yjs
``events`` Array as plain maps; :func:`decode_event` turns what Yjs gives back
(floats for integers) into typed, validated structs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypedDict

import msgspec

from .errors import InvalidEvent
from .money import check_currency, minor_units
from .vocab import (
    Disposition,
    DocType,
    FailureReason,
    Grade,
    PaymentMethod,
    PodRelation,
    ShipmentStatus,
    StockSource,
    StockState,
)

MAX_ATTEMPTS_LIMIT = 10


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Base of event payloads; unknown fields are kept compatible (ignored)."""


class NoPayload(Payload, frozen=True):
    pass


class AmountPayload(Payload, frozen=True):
    """A payload carrying money: integer minor units + ISO currency, positive."""

    amount: int
    currency: str
    _least: ClassVar[int] = 1

    def __post_init__(self) -> None:
        minor_units(self.amount, "payload.amount")
        if self.amount < self._least:
            raise ValueError("payload.amount must be positive: the event type gives the direction")
        check_currency(self.currency, "payload.currency")


class Event(msgspec.Struct, frozen=True, tag_field="type", forbid_unknown_fields=False):
    """Fields every event carries. ``hlc`` is an encoded HLC timestamp."""

    id: str
    hlc: str
    device: str
    actor: str

    @property
    def sort_key(self) -> tuple[str, str]:
        """The total order every fold uses."""
        return (self.hlc, self.id)


class Stamp(TypedDict):
    """The fields of :class:`Event` every writer fills the same way (``Event(**stamp,
    payload=...)``)."""

    id: str
    hlc: str
    device: str
    actor: str


# ---- shipment ---------------------------------------------------------------


class ShipmentCreated(Event, frozen=True, tag="created"):
    class Body(Payload, frozen=True):
        """``max_attempts``: failed attempts before the automatic return, stamped from
        the merchant's setting when the shipment is made (0: the default)."""

        max_attempts: int = 0

        def __post_init__(self) -> None:
            if not 0 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
                raise ValueError(f"payload.max_attempts must be 0..{MAX_ATTEMPTS_LIMIT}")

    payload: Body = Body()


class ReceivedAtDepot(Event, frozen=True, tag="received_at_depot"):
    class Body(Payload, frozen=True):
        depot_id: str

    payload: Body


class OutForDelivery(Event, frozen=True, tag="out_for_delivery"):
    class Body(Payload, frozen=True):
        courier_id: str

    payload: Body


class ProofOfDelivery(Payload, frozen=True):
    recipient_name: str
    relation: PodRelation
    device_time_ms: int
    signature_sha256: str | None = None
    photo_sha256: str | None = None
    photo_ref: str | None = None
    lat: float | None = None
    lon: float | None = None
    otp_verified: bool = False
    otp: str = ""  # the PIN the recipient gave, re-checked by central (spent once delivered)


class Delivered(Event, frozen=True, tag="delivered"):
    payload: ProofOfDelivery


class AttemptFailed(Event, frozen=True, tag="attempt_failed"):
    class Body(Payload, frozen=True):
        reason: FailureReason
        note: str = ""

    payload: Body


class CodCollectedPayload(AmountPayload, frozen=True):
    method: PaymentMethod = PaymentMethod.CASH
    reason: str = ""


class CodCollected(Event, frozen=True, tag="cod_collected"):
    payload: CodCollectedPayload


class DeliveryFields(Payload, frozen=True):
    """Where and when to deliver instead: every field left empty keeps the current one."""

    route_day: str = ""  # YYYY-MM-DD
    address: str = ""
    postcode: str = ""
    city: str = ""
    slot_start: str = ""
    slot_end: str = ""
    reason: str = ""


class SenderDecision(Event, frozen=True, tag="sender_decision"):
    """The sender's answer to a hold: deliver again (on a date, to an address, in a
    slot) or return to origin."""

    class Body(DeliveryFields, frozen=True, kw_only=True):
        decision: Literal["reattempt", "return"]

    payload: Body


class ReturnedToOrigin(Event, frozen=True, tag="returned_to_origin"):
    payload: NoPayload = NoPayload()


class MarkedLost(Event, frozen=True, tag="marked_lost"):
    class Body(Payload, frozen=True):
        note: str = ""
        liable: str = ""  # who bears the loss: a courier, a depot, a carrier, "company"

    payload: Body = Body()


class Cancelled(Event, frozen=True, tag="cancelled"):
    class Body(Payload, frozen=True):
        reason: str = ""

    payload: Body = Body()


class PinMismatch(Event, frozen=True, tag="pin_mismatch"):
    """Central found that a delivery's recorded PIN does not match the shipment's."""

    class Body(Payload, frozen=True):
        delivered_event_id: str
        reason: str = ""

    payload: Body


class ConflictResolved(Event, frozen=True, tag="conflict_resolved"):
    class Body(Payload, frozen=True):
        conflict_id: str
        status: ShipmentStatus | None = None
        note: str = ""
        keep: str = ""  # a double collection: the id of the collection that stands

    payload: Body


class DeliveryChanged(Event, frozen=True, tag="delivery_changed"):
    """The merchant (or head office) corrects the address or slot before the parcel
    is out for delivery."""

    payload: DeliveryFields


class ChangeRequested(Event, frozen=True, tag="change_requested"):
    """A correction asked for once the parcel is out: the depot accepts or refuses it."""

    payload: DeliveryFields


class ChangeAnswered(Event, frozen=True, tag="change_answered"):
    class Body(Payload, frozen=True):
        request_id: str
        accepted: bool
        reason: str = ""

    payload: Body


class HandedToMerchant(Event, frozen=True, tag="handed_to_merchant"):
    """A returned parcel given back to its merchant at the depot, signed for."""

    class Body(Payload, frozen=True):
        received_by: str
        signature_sha256: str
        depot_id: str = ""

        def __post_init__(self) -> None:
            if not self.received_by.strip():
                raise ValueError("payload.received_by: say who took the parcel back")
            if len(self.signature_sha256) != 64:
                raise ValueError("payload.signature_sha256 must be a SHA-256 hex digest")

    payload: Body


class FoundAgain(Event, frozen=True, tag="found"):
    """A parcel marked lost turned up again, at ``depot_id``."""

    class Body(Payload, frozen=True):
        depot_id: str = ""
        note: str = ""

    payload: Body = Body()


class Reassigned(Event, frozen=True, tag="reassigned"):
    """Who moved a parcel to which route and why (the routing fields change with it)."""

    class Body(Payload, frozen=True):
        courier_id: str
        route_day: str = ""
        reason: str = ""
        route_seq: int = 0

    payload: Body


MAX_INSTRUCTIONS = 300  # characters of a recipient's delivery instructions


class RecipientRequest(Event, frozen=True, tag="recipient_request"):
    """The recipient, on the tracking page (central writes it): a new delivery day
    and/or instructions for the courier ("ring twice")."""

    class Body(Payload, frozen=True):
        route_day: str = ""  # YYYY-MM-DD; "": keep the day
        instructions: str = ""

        def __post_init__(self) -> None:
            if len(self.instructions) > MAX_INSTRUCTIONS:
                raise ValueError(f"payload.instructions: at most {MAX_INSTRUCTIONS} characters")

    payload: Body


ShipmentEvent = (
    ShipmentCreated
    | ReceivedAtDepot
    | OutForDelivery
    | Delivered
    | AttemptFailed
    | CodCollected
    | SenderDecision
    | ReturnedToOrigin
    | MarkedLost
    | Cancelled
    | PinMismatch
    | ConflictResolved
    | DeliveryChanged
    | ChangeRequested
    | ChangeAnswered
    | HandedToMerchant
    | FoundAgain
    | Reassigned
    | RecipientRequest
)

# ---- return (RMA) -------------------------------------------------------------


class ReturnRequested(Event, frozen=True, tag="requested"):
    payload: NoPayload = NoPayload()


class ReturnPickedUp(Event, frozen=True, tag="picked_up"):
    """The courier took the return from the customer; the proof as for a delivery."""

    class Body(Payload, frozen=True):
        courier_id: str
        handed_by: str = ""  # who gave the parcel to the courier
        device_time_ms: int = 0
        signature_sha256: str | None = None
        photo_sha256: str | None = None
        lat: float | None = None
        lon: float | None = None

    payload: Body


class ReturnReceived(Event, frozen=True, tag="received"):
    class Body(Payload, frozen=True):
        depot_id: str

    payload: Body


class ItemInspection(Payload, frozen=True):
    sku: str
    grade: Grade
    disposition: Disposition
    quantity: int = 1


class ItemsInspected(Event, frozen=True, tag="inspected"):
    class Body(Payload, frozen=True):
        items: list[ItemInspection]

    payload: Body


class StockMovement(Payload, frozen=True):
    sku: str
    quantity: int
    depot_id: str


class StockTransfer(StockMovement, frozen=True):
    """Units of a return moved between stock states (see :mod:`protocol.stock`).

    ``source`` is ``graded`` (units not yet in any state) or a state; sending
    units back to the merchant names who received them and their signature."""

    source: StockSource = StockSource.GRADED
    target: StockState = StockState.AVAILABLE
    received_by: str = ""
    signature_sha256: str | None = None


class Restocked(Event, frozen=True, tag="restocked"):
    payload: StockMovement


class Dispatched(Event, frozen=True, tag="dispatched"):
    payload: StockMovement


class Refunded(Event, frozen=True, tag="refunded"):
    payload: AmountPayload


class SentBackToMerchant(Event, frozen=True, tag="sent_back"):
    payload: NoPayload = NoPayload()


class StockMoved(Event, frozen=True, tag="stock_moved"):
    payload: StockTransfer


ReturnEvent = (
    ReturnRequested
    | ReturnPickedUp
    | ReturnReceived
    | ItemsInspected
    | Restocked
    | Dispatched
    | Refunded
    | SentBackToMerchant
    | StockMoved
    | ConflictResolved
)

# ---- cash book ----------------------------------------------------------------


class CollectedPayload(AmountPayload, frozen=True):
    shipment_id: str
    method: PaymentMethod = PaymentMethod.CASH
    reason: str = ""  # why the amount is not the shipment's COD


class CashCollected(Event, frozen=True, tag="collected"):
    payload: CollectedPayload


class HandoverPayload(AmountPayload, frozen=True):
    handover_id: str
    depot_id: str


class CashHandedOver(Event, frozen=True, tag="handed_over"):
    payload: HandoverPayload


class CountPayload(HandoverPayload, frozen=True):
    """What the desk counted of a handover: 0 when nothing arrived, never negative."""

    _least: ClassVar[int] = 0


class CashCounted(Event, frozen=True, tag="counted_at_depot"):
    payload: CountPayload


class BatchPayload(AmountPayload, frozen=True):
    batch_id: str
    merchant_id: str = ""
    shipment_ids: list[str] = []


class CashDeposited(Event, frozen=True, tag="deposited"):
    payload: BatchPayload


class CashRemitted(Event, frozen=True, tag="remitted"):
    payload: BatchPayload


class ReversalPayload(AmountPayload, frozen=True):
    """Reverses ``amount`` of the entry ``entry_id`` names: a cash book ``collected``
    entry, or a shipment's ``cod_collected`` event; ``discrepancy`` is the one it answers."""

    entry_id: str
    reason: str
    discrepancy: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.reason.strip():
            raise ValueError("payload.reason: a reversal must say why")


class CashReversal(Event, frozen=True, tag="reversal"):
    payload: ReversalPayload


class LimitPayload(Payload, frozen=True):
    """The most cash (minor units of ``currency``) the book's courier may hold."""

    limit_minor: int
    currency: str

    def __post_init__(self) -> None:
        minor_units(self.limit_minor, "payload.limit_minor")
        if self.limit_minor < 0:
            raise ValueError("payload.limit_minor must not be negative")
        check_currency(self.currency, "payload.currency")


class CashLimitSet(Event, frozen=True, tag="cash_limit"):
    """Head office's cash-in-hand limit, synced to the courier's handheld."""

    payload: LimitPayload


CashEvent = (
    CashCollected
    | CashHandedOver
    | CashCounted
    | CashDeposited
    | CashRemitted
    | CashReversal
    | CashLimitSet
)

AnyEvent = ShipmentEvent | ReturnEvent | CashEvent

_DECODERS: dict[DocType, Any] = {
    DocType.SHIPMENT: ShipmentEvent,
    DocType.RETURN: ReturnEvent,
    DocType.CASHBOOK: CashEvent,
}


def ints_from_floats(value: Any) -> Any:
    """Yjs returns every number as a float; restore the integral ones."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: ints_from_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [ints_from_floats(v) for v in value]
    return value


def decode_event(doc_type: DocType, raw: Any) -> Event:
    """Validate a raw event map read from a document of ``doc_type``."""
    try:
        event: Event = msgspec.convert(ints_from_floats(raw), _DECODERS[doc_type])
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise InvalidEvent(f"{doc_type} event does not validate: {exc}") from exc
    return event


def encode_event(event: Event) -> dict[str, Any]:
    """The plain map stored in a document's ``events`` Array."""
    raw: dict[str, Any] = msgspec.to_builtins(event)
    return raw


def event_type(event: Event) -> str:
    """The ``type`` tag of an event."""
    tag = type(event).__struct_config__.tag
    assert isinstance(tag, str)
    return tag
