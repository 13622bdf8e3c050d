"""What the courier reads: statuses, failure reasons and sync refusals in plain words.

Pure functions of codes; the grouping of failure reasons is the protocol's
(:data:`protocol.vocab.FAILURE_OUTCOME`), only the sentences live here.
"""

from __future__ import annotations

from protocol.vocab import FAILURE_OUTCOME, FailureOutcome, FailureReason, ShipmentStatus

S = ShipmentStatus

STATUS_LABEL: dict[str, str] = {
    S.CREATED: "not at the depot yet",
    S.AT_DEPOT: "to load",
    S.OUT_FOR_DELIVERY: "out for delivery",
    S.DELIVERED: "delivered",
    S.ATTEMPT_FAILED: "attempt failed",
    S.ON_HOLD: "on hold",
    S.RETURNING_TO_ORIGIN: "back to sender",
    S.RETURNED_TO_ORIGIN: "returned",
    S.LOST: "lost",
    S.CANCELLED: "cancelled",
}

REASON_LABEL: dict[str, str] = {
    FailureReason.NOT_HOME: "Nobody home",
    FailureReason.NO_ACCESS: "Cannot reach the door",
    FailureReason.CASH_NOT_READY: "Payment not ready",
    FailureReason.VEHICLE_FULL: "Van full, no time",
    FailureReason.MISSORTED: "Wrong route (missorted)",
    FailureReason.ADDRESS_INCOMPLETE: "Address incomplete",
    FailureReason.NEW_DATE_REQUESTED: "Recipient asks another day",
    FailureReason.COD_AMOUNT_DISPUTED: "Amount due disputed",
    FailureReason.REFUSED: "Refused by the recipient",
    FailureReason.DAMAGED: "Parcel damaged",
    FailureReason.ATTEMPTS_EXHAUSTED: "Last attempt used",
}

NEXT_STEP: dict[FailureOutcome, tuple[str, str]] = {
    FailureOutcome.NEXT_ATTEMPT: (
        "Try again later",
        "The parcel stays on your route: it goes out again on the next attempt.",
    ),
    FailureOutcome.HOLD: (
        "Hold for the sender",
        "Bring the parcel back to the depot: it waits there until the sender decides.",
    ),
    FailureOutcome.RETURN: (
        "Return to the sender",
        "Bring the parcel back to the depot: it goes back to the sender.",
    ),
}

AFTER_FAILURE: dict[str, str] = {
    S.ATTEMPT_FAILED: NEXT_STEP[FailureOutcome.NEXT_ATTEMPT][1],
    S.ON_HOLD: NEXT_STEP[FailureOutcome.HOLD][1],
    S.RETURNING_TO_ORIGIN: NEXT_STEP[FailureOutcome.RETURN][1],
}

REFUSAL_ADVICE: dict[str, str] = {
    "forbidden": "Your handheld was not allowed to record this. Call the depot.",
    "out_of_scope": "The parcel is no longer on your route. Give it back at the depot.",
    "invalid_event": "The record was malformed. Call the depot; do not record it again.",
}


FILE_ADVICE = (
    "The delivery itself is recorded; tell the depot the picture did not reach the office."
)


def status_label(status: str) -> str:
    """A short label for a shipment status."""
    return STATUS_LABEL.get(status, status.replace("_", " "))


def reason_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``(title, what happens next, [(reason code, label)])`` per outcome, in order."""
    groups = []
    for kind, (title, next_step) in NEXT_STEP.items():
        reasons = [(r.value, REASON_LABEL[r]) for r, o in FAILURE_OUTCOME.items() if o == kind]
        groups.append((title, next_step, reasons))
    return groups


def refusal_advice(code: str) -> str:
    """What the courier should do about an update the office refused."""
    return REFUSAL_ADVICE.get(
        code, "The office refused this record; your other work keeps syncing. Call the depot."
    )
