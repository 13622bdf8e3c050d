"""What a recipient reads on the tracking page: statuses and events in plain words
(English here, Russian, Bulgarian and Romanian in :mod:`.track_words`).

Pure functions of codes. Sentences are fixed text chosen by the event type and
an enumerated code (failure reason, sender decision, proof relation); free
text from a payload (names, notes, amounts) never reaches the page.
"""

from __future__ import annotations

from typing import Any

from protocol.vocab import FailureReason, PodRelation, ShipmentStatus

from .track_words import EVENT, FAILURE, RELATION, STATUS

STATUS_WORDS: dict[str, str] = {
    ShipmentStatus.CREATED: "The sender has announced your parcel; we have not received it yet.",
    ShipmentStatus.AT_DEPOT: "Your parcel is at our depot.",
    ShipmentStatus.OUT_FOR_DELIVERY: "Your parcel is out for delivery.",
    ShipmentStatus.DELIVERED: "Your parcel has been delivered.",
    ShipmentStatus.ATTEMPT_FAILED: "We could not deliver your parcel; we will try again.",
    ShipmentStatus.ON_HOLD: "Your parcel is on hold while we wait for the sender's instructions.",
    ShipmentStatus.RETURNING_TO_ORIGIN: "Your parcel is on its way back to the sender.",
    ShipmentStatus.RETURNED_TO_ORIGIN: "Your parcel was returned to the sender.",
    ShipmentStatus.LOST: "We cannot locate your parcel; the sender has been informed.",
    ShipmentStatus.CANCELLED: "The sender cancelled this delivery.",
}

FAILURE_WORDS: dict[str, str] = {
    FailureReason.NOT_HOME: "nobody was home",
    FailureReason.NO_ACCESS: "the courier could not reach the door",
    FailureReason.CASH_NOT_READY: "the payment due on delivery was not ready",
    FailureReason.VEHICLE_FULL: "the van was full; it goes out again on the next round",
    FailureReason.MISSORTED: "the parcel was sorted onto the wrong route",
    FailureReason.ADDRESS_INCOMPLETE: "the address is incomplete; we asked the sender",
    FailureReason.NEW_DATE_REQUESTED: "a new delivery date was requested",
    FailureReason.COD_AMOUNT_DISPUTED: "the amount due was disputed; we asked the sender",
    FailureReason.REFUSED: "the parcel was refused; it goes back to the sender",
    FailureReason.DAMAGED: "the parcel was damaged; it goes back to the sender",
    FailureReason.ATTEMPTS_EXHAUSTED: "every delivery attempt was used; it goes back to the sender",
}

RELATION_WORDS: dict[str, str] = {
    PodRelation.SELF: "Delivered to the recipient.",
    PodRelation.NEIGHBOUR: "Delivered to a neighbour.",
    PodRelation.SAFE_PLACE: "Left in a safe place.",
}

RECIPIENT_WORDS: dict[str, str] = {
    "recipient_day": "You asked for a new delivery date.",
    "recipient_note": "You left instructions for the courier.",
}


def _asked(payload: dict[str, Any]) -> str:
    """The words of a recipient's request: a new day, else instructions (never their text)."""
    return "recipient_day" if payload.get("route_day") else "recipient_note"


_FIXED: dict[str, str] = {
    "created": "The sender announced the parcel.",
    "received_at_depot": "The parcel arrived at our depot.",
    "out_for_delivery": "The parcel is out for delivery.",
    "cod_collected": "Payment received at the door.",
    "returned_to_origin": "The parcel was returned to the sender.",
    "marked_lost": "We could not locate the parcel; the sender has been informed.",
    "cancelled": "The sender cancelled the delivery.",
}


def status_sentence(status: str, lang: str = "en") -> str:
    """The current status in words; unknown codes get a neutral sentence."""
    if lang in STATUS:
        words = STATUS[lang]
        return words.get(status, words[""])
    return STATUS_WORDS.get(status, "Your parcel is on its way.")


def event_sentence(event_type: str, payload: dict[str, Any], lang: str = "en") -> str | None:
    """One history line, or None for internal events a recipient need not see."""
    if lang in EVENT:
        return _translated(event_type, payload, lang)
    match event_type:
        case "delivered":
            return RELATION_WORDS.get(str(payload.get("relation")), "The parcel was delivered.")
        case "attempt_failed":
            reason = FAILURE_WORDS.get(str(payload.get("reason")), "")
            return f"Delivery attempt failed: {reason}." if reason else "Delivery attempt failed."
        case "sender_decision":
            if payload.get("decision") == "return":
                return "The sender asked us to return the parcel."
            return "The sender asked us to try again."
        case "recipient_request":
            return RECIPIENT_WORDS[_asked(payload)]
    return _FIXED.get(event_type)


def _translated(event_type: str, payload: dict[str, Any], lang: str) -> str | None:
    words = EVENT[lang]
    match event_type:
        case "delivered":
            return RELATION[lang].get(str(payload.get("relation")), words["delivered"])
        case "attempt_failed":
            reason = FAILURE[lang].get(str(payload.get("reason")), "")
            return (
                words["attempt_failed"].format(reason=reason)
                if reason
                else words["attempt_failed_bare"]
            )
        case "sender_decision":
            return words[
                "decision_return" if payload.get("decision") == "return" else "decision_retry"
            ]
        case "recipient_request":
            return words[_asked(payload)]
    return words.get(event_type) if event_type in _FIXED else None
