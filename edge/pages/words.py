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

CALL = "Call the depot; do not record it again."

# refusal code -> (why, in plain words; what the courier should do)
REFUSALS: dict[str, tuple[str, str]] = {
    "out_of_scope": (
        "the parcel is no longer on your route",
        "Give it back at the depot; the courier it moved to delivers it.",
    ),
    "forbidden": ("your handheld may not record this", CALL),
    "forbidden_event": ("your handheld may not record this", CALL),
    "forbidden_field": ("your handheld may not change these parcel details", CALL),
    "invalid_event": ("the record was malformed", CALL),
    "transition_refused": (
        "the parcel had already moved on (delivered, returned or cancelled elsewhere)",
        "Keep the parcel and bring it back to the depot; the office sorts it out.",
    ),
    "hlc_in_future": (
        "the handheld's clock is far ahead",
        "Set the phone's date and time to automatic, then call the depot.",
    ),
    "invalid_hlc": ("the handheld's clock stamp could not be read", CALL),
    "wrong_actor": ("the record names another person than you", CALL),
    "wrong_device": ("the record names another handheld", CALL),
    "wrong_courier": ("the record names another courier", CALL),
    "wrong_depot": ("the record names another depot", CALL),
    "wrong_cash_book": ("the cash entry went to the wrong cash book", CALL),
    "not_a_courier_book": ("the cash entry went to the wrong cash book", CALL),
    "no_cod": (
        "the office has no cash to collect on this parcel",
        "Keep the cash apart and hand it to the depot desk with a note.",
    ),
    "unknown_shipment": ("the office does not know this parcel", CALL),
    "amount_mismatch": (
        "the amount does not match what the office expects",
        "Hand the cash to the depot desk; they count it and correct the record.",
    ),
    "wrong_currency": (
        "the amount is in another currency than the parcel's",
        "Hand the cash to the depot desk; they count it and correct the record.",
    ),
    "handover_above_cash": (
        "the handover is more than the cash the office knows you hold",
        "Hand the cash to the depot desk; they count what you really bring.",
    ),
    "card_in_cash_book": ("a card payment was written as cash", CALL),
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


COMMAND_LABEL: dict[str, str] = {
    "deliver": "Delivery",
    "collect": "COD collection",
    "fail": "Failed attempt",
    "out": "Out for delivery",
    "handover": "Cash handover",
    "pickup": "Return pickup",
}


def refusal_words(code: str, message: str) -> tuple[str, str]:
    """Why the office refused an update, in plain words, and what the courier should do;
    an unknown code keeps the office's own message."""
    return REFUSALS.get(
        code,
        (message, "Your other work keeps syncing. Call the depot about this one."),
    )


def command_label(command: str, doc_type: str) -> str:
    """What a refused update was, as the courier recorded it."""
    return COMMAND_LABEL.get(command, f"{command or 'update'} of a {doc_type}")
