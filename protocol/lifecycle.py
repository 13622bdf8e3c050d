"""Shipment lifecycle: the status of a shipment as a pure fold over its events.

Events are applied in ``(hlc, id)`` order, so every replica holding the same
events computes the same status and the same conflicts whatever order they
arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .conflicts import Conflict, make_conflict, mark_resolved
from .events import (
    AttemptFailed,
    Cancelled,
    CodCollected,
    ConflictResolved,
    Delivered,
    Event,
    FoundAgain,
    HandedToMerchant,
    MarkedLost,
    OutForDelivery,
    PinMismatch,
    ReceivedAtDepot,
    ReturnedToOrigin,
    SenderDecision,
    ShipmentCreated,
)
from .money import Money
from .vocab import (
    FAILURE_OUTCOME,
    TERMINAL_STATUSES,
    ConflictKind,
    FailureOutcome,
    ShipmentStatus,
)

DEFAULT_MAX_ATTEMPTS = 3

S = ShipmentStatus
_PRE_PICKUP = frozenset({S.CREATED, S.AT_DEPOT})
_CAN_GO_OUT = frozenset({S.CREATED, S.AT_DEPOT, S.ATTEMPT_FAILED, S.OUT_FOR_DELIVERY})
_CAN_FAIL = frozenset({S.CREATED, S.AT_DEPOT, S.ATTEMPT_FAILED, S.OUT_FOR_DELIVERY})
_CAN_RETURN = frozenset({S.RETURNING_TO_ORIGIN, S.ON_HOLD, S.AT_DEPOT, S.ATTEMPT_FAILED})
CANCELLABLE = _PRE_PICKUP
CORRECTABLE = _PRE_PICKUP  # the merchant corrects the address or slot itself
REQUESTABLE = frozenset({S.OUT_FOR_DELIVERY, S.ATTEMPT_FAILED})  # then it asks the depot
RESCHEDULABLE = _PRE_PICKUP | {S.ATTEMPT_FAILED}  # the recipient may ask for a new day
INSTRUCTABLE = RESCHEDULABLE | {S.OUT_FOR_DELIVERY, S.ON_HOLD}  # and leave instructions
# Events a writer may append only while the shipment is in one of these statuses.
_ONLY_FROM: dict[str, frozenset[ShipmentStatus]] = {
    "cancelled": CANCELLABLE,
    "sender_decision": frozenset({S.ON_HOLD}),
    "delivery_changed": CORRECTABLE,
    "change_requested": REQUESTABLE,
    "recipient_request": INSTRUCTABLE,
    "handed_to_merchant": frozenset({S.RETURNED_TO_ORIGIN}),
    "found": frozenset({S.LOST}),
}


@dataclass(frozen=True, slots=True)
class Collection:
    """One COD collection recorded on the shipment."""

    event_id: str
    amount: Money
    method: str
    hlc: str


@dataclass(frozen=True, slots=True)
class ShipmentState:
    """Derived state of one shipment."""

    status: ShipmentStatus
    attempts: int
    collections: tuple[Collection, ...]
    conflicts: tuple[Conflict, ...]
    history: tuple[tuple[str, ShipmentStatus], ...]
    delivered_at: str | None = None
    created_at: str | None = None  # hlc of the ``created`` event
    handed_back_at: str | None = None  # hlc of the signed hand-back to the merchant

    @property
    def open_conflicts(self) -> tuple[Conflict, ...]:
        """Conflicts head office has not resolved yet."""
        return tuple(c for c in self.conflicts if not c.resolved)


@dataclass(slots=True)
class _Fold:
    cod_expected: Money | None
    max_attempts: int
    status: ShipmentStatus = S.CREATED
    attempts: int = 0
    delivery: Delivered | None = None
    lost: MarkedLost | None = None
    collections: list[CodCollected] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    history: list[tuple[str, ShipmentStatus]] = field(default_factory=list)
    created_at: str | None = None
    handed_back_at: str | None = None

    def move(self, event: Event, status: ShipmentStatus) -> None:
        if status != self.status:
            self.status = status
            self.history.append((event.hlc, status))

    def conflict(self, kind: ConflictKind, events: list[Event], message: str) -> None:
        self.conflicts.append(make_conflict(kind, events, message))

    def apply(self, event: Event) -> None:
        match event:
            case ShipmentCreated():
                if self.created_at is None:
                    self.created_at = event.hlc
                    self.max_attempts = self.max_attempts or event.payload.max_attempts
            case ReceivedAtDepot():
                if self.status in _PRE_PICKUP or self.status == S.ATTEMPT_FAILED:
                    self.move(event, S.AT_DEPOT)
            case OutForDelivery():
                if self.status in _CAN_GO_OUT:
                    self.move(event, S.OUT_FOR_DELIVERY)
            case Delivered():
                self.delivered(event)
            case AttemptFailed():
                self.failed(event)
            case CodCollected():
                self.collected(event)
            case MarkedLost():
                self.lost_reported(event)
            case SenderDecision():
                if self.status == S.ON_HOLD:
                    target = S.ATTEMPT_FAILED
                    if event.payload.decision == "return":
                        target = S.RETURNING_TO_ORIGIN
                    self.move(event, target)
            case ReturnedToOrigin():
                if self.status in _CAN_RETURN:
                    self.move(event, S.RETURNED_TO_ORIGIN)
                else:
                    self.after_final(event)
            case HandedToMerchant():
                if self.status == S.RETURNED_TO_ORIGIN and self.handed_back_at is None:
                    self.handed_back_at = event.hlc
            case FoundAgain():
                if self.status == S.LOST:
                    self.lost = None
                    self.move(event, S.AT_DEPOT)
            case Cancelled():
                if self.status in _PRE_PICKUP:
                    self.move(event, S.CANCELLED)
                else:
                    self.after_final(event)
            case PinMismatch():
                self.conflict(
                    ConflictKind.PIN_MISMATCH,
                    [event],
                    f"delivery {event.payload.delivered_event_id} did not give the "
                    f"recipient's PIN: {event.payload.reason}",
                )
            case ConflictResolved():
                if event.payload.status is not None:
                    self.move(event, event.payload.status)

    def delivered(self, event: Delivered) -> None:
        if self.delivery is not None:
            self.conflict(
                ConflictKind.DOUBLE_DELIVERY,
                [self.delivery, event],
                "two proofs of delivery recorded; the first one stands",
            )
            return
        if self.lost is not None:
            self.conflict(
                ConflictKind.DELIVERED_AND_LOST,
                [self.lost, event],
                "delivered by the courier but marked lost; the delivery stands",
            )
        elif self.status in (S.CANCELLED, S.RETURNED_TO_ORIGIN):
            self.after_final(event)
        self.delivery = event
        self.move(event, S.DELIVERED)

    def failed(self, event: AttemptFailed) -> None:
        if self.status not in _CAN_FAIL:
            if self.status in TERMINAL_STATUSES:
                self.after_final(event)
            return
        self.attempts += 1
        outcome = FAILURE_OUTCOME[event.payload.reason]
        most = self.max_attempts or DEFAULT_MAX_ATTEMPTS
        if outcome == FailureOutcome.RETURN or (
            outcome == FailureOutcome.NEXT_ATTEMPT and self.attempts >= most
        ):
            self.move(event, S.RETURNING_TO_ORIGIN)
        elif outcome == FailureOutcome.HOLD:
            self.move(event, S.ON_HOLD)
        else:
            self.move(event, S.ATTEMPT_FAILED)

    def collected(self, event: CodCollected) -> None:
        if self.collections:
            self.conflict(
                ConflictKind.DOUBLE_COLLECTION,
                [self.collections[0], event],
                "COD collected twice for one shipment",
            )
        expected = self.cod_expected
        got = Money(event.payload.amount, event.payload.currency)
        if expected is None or got != expected:
            wanted = expected.format() if expected else "no COD"
            self.conflict(
                ConflictKind.COD_AMOUNT_MISMATCH,
                [event],
                f"collected {got.format()} but expected {wanted}",
            )
        self.collections.append(event)

    def lost_reported(self, event: MarkedLost) -> None:
        if self.delivery is not None:
            self.conflict(
                ConflictKind.DELIVERED_AND_LOST,
                [self.delivery, event],
                "marked lost after a recorded delivery; the delivery stands",
            )
            return
        if self.status in TERMINAL_STATUSES:
            self.after_final(event)
            return
        self.lost = event
        self.move(event, S.LOST)

    def after_final(self, event: Event) -> None:
        self.conflict(
            ConflictKind.EVENT_AFTER_FINAL,
            [event],
            f"{type(event).__name__} recorded after the shipment was {self.status}",
        )


def transition_error(status: ShipmentStatus, kind: str) -> str | None:
    """Why a ``kind`` event may not be appended to a shipment now ``status``, or
    ``None``. The one rule the merchant API and every sync path apply."""
    allowed = _ONLY_FROM.get(kind)
    if allowed is None or status in allowed:
        return None
    wanted = " or ".join(sorted(allowed))
    return f"shipment is {status}: only a {wanted} shipment can be {kind}"


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events in the fold order ``(hlc, id)``; duplicates by id dropped."""
    unique = {e.id: e for e in events}
    return sorted(unique.values(), key=lambda e: e.sort_key)


def fold_shipment(
    events: Iterable[Event],
    cod_expected: Money | None,
    max_attempts: int = 0,
) -> ShipmentState:
    """Status, attempts, COD collections and conflicts of one shipment.

    ``max_attempts`` (0: the one the ``created`` event carries, else
    :data:`DEFAULT_MAX_ATTEMPTS`): failed attempts before the automatic return."""
    ordered = sort_events(events)
    fold = _Fold(cod_expected=cod_expected, max_attempts=max_attempts)
    for event in ordered:
        fold.apply(event)
    return ShipmentState(
        status=fold.status,
        attempts=fold.attempts,
        collections=tuple(
            Collection(e.id, Money(e.payload.amount, e.payload.currency), e.payload.method, e.hlc)
            for e in fold.collections
        ),
        conflicts=mark_resolved(fold.conflicts, ordered),
        history=tuple(fold.history),
        delivered_at=fold.delivery.hlc if fold.delivery else None,
        created_at=fold.created_at,
        handed_back_at=fold.handed_back_at,
    )
