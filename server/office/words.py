"""Codes in plain words for head office: statuses, kinds, roles, who must act.

A table cell keeps its code (filters compare codes); the page and the CSV
show :func:`plain` of it, with the code beside it where a person may want it
(a hover on the page, a ``... code`` column in the CSV). A code without a
phrase here reads as its words (``at_depot`` -> "At depot").
"""

from __future__ import annotations

import re

PHRASES: dict[str, dict[str, str]] = {
    "status": {
        "created": "Announced, not received yet",
        "at_depot": "At the depot",
        "out_for_delivery": "Out for delivery",
        "delivered": "Delivered",
        "attempt_failed": "Delivery attempt failed",
        "on_hold": "On hold (waiting for the sender)",
        "returning_to_origin": "Returning to the sender",
        "returned_to_origin": "Returned to the sender",
        "lost": "Lost",
        "cancelled": "Cancelled",
        "requested": "Return requested",
        "picked_up": "Picked up",
        "received": "Received at the depot",
        "inspected": "Inspected",
        "completed": "Completed",
    },
    "kind": {
        # discrepancies
        "short_collection": "Collected less than the COD due",
        "excess_collection": "Collected more than the COD due",
        "double_collection": "COD collected twice",
        "foreign_currency": "Collected in another currency",
        "count_mismatch": "Desk count differs from the handover",
        "collected_on_returned": "Cash collected on a returned parcel",
        "missing_book_entry": "Collection missing from the courier's cash book",
        "entry_without_collection": "Cash book entry without a collection",
        "handover_above_cash": "Handover larger than the cash in hand",
        # conflicts
        "delivered_and_lost": "Delivered and also marked lost",
        "double_delivery": "Two proofs of delivery",
        "cod_amount_mismatch": "COD amount differs from the one due",
        "event_after_final": "Event after the shipment was closed",
        "double_grading": "Return item graded twice",
        "pin_mismatch": "Delivery without the recipient's PIN",
        # alerts
        "late": "Late: the promised slot has ended",
        "stuck": "Stuck: no progress for too long",
        "device_silent": "Device has not synced",
        "device_quarantine": "Device has refused updates",
        "cash_over_limit": "Courier holds more cash than allowed",
        "handover_overdue": "Cash from earlier days not handed over",
        "unresolved_conflict": "Conflict to decide",
        # ledger account kinds
        "recipient": "Recipient",
        "courier": "Courier's hand",
        "desk": "Depot cash desk",
        "bank": "Bank",
        "card": "Card settlement",
        "payable": "Owed to merchant",
        "paid": "Paid to merchant",
        "fees": "Fees",
        "suspense": "Suspense",
    },
    "role": {
        "courier": "Courier handheld",
        "depot": "Depot",
        "office": "Head office",
        "merchant": "Merchant system",
    },
    "type": {"shipment": "Shipment", "return": "Return", "cashbook": "Cash book"},
    "entry": {
        "collect": "collected at the door",
        "handover": "handed over",
        "count": "desk count difference",
        "deposit": "deposited",
        "fee": "COD fee",
        "payable": "the merchant's share",
        "remit": "paid to the merchant",
        "reverse": "reversed to the recipient",
        "suspense": "held until refunded",
        "adjust": "count adjustment",
    },
    "action": {
        "conflict_resolution": "Conflict resolved",
        "remittance": "Merchant paid",
        "cash_limit": "Cash limit set",
        "revoke": "Device revoked",
        "enrol": "Device enrolled",
        "reversal": "Reversal or count adjustment",
        "terms": "Fee terms set",
    },
}


def plain(vocabulary: str, code: str) -> str:
    """``code`` in plain words; codes with no phrase read as their words."""
    if not code:
        return ""
    phrase = PHRASES.get(vocabulary, {}).get(code)
    return phrase or code.replace("_", " ").capitalize()


# "kind:id" references (who must act, ledger accounts, exception subjects): the words
# before the name, and which names the id is looked up in
_PREFIX: dict[str, tuple[str, str]] = {
    "courier": ("Courier", "courier"),
    "depot": ("Depot", "depot"),
    "desk": ("Cash desk of", "depot"),
    "bank": ("Bank deposits of", "depot"),
    "merchant": ("Merchant", "merchant"),
    "payable": ("Owed to", "merchant"),
    "paid": ("Paid to", "merchant"),
    "device": ("Device", "device"),
    "shipment": ("Shipment", "shipment"),
    "recipient": ("Recipient of", "shipment"),
    "suspense": ("Suspense of", "shipment"),
}


def who_text(ref: str, names: dict[str, dict[str, str]]) -> str:
    """``courier:<id>``, ``desk:<depot>``, ``office``... as a person reads it, with names."""
    kind, _, party = ref.partition(":")
    if not party:
        return plain("role", ref) if ref in PHRASES["role"] else plain("kind", ref)
    if kind not in _PREFIX:
        return f"{plain('kind', kind)} {party}"
    words, lookup = _PREFIX[kind]
    return f"{words} {names.get(lookup, {}).get(party, party)}"


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PARTIES = ("courier", "depot", "merchant", "device")


def flat_names(names: dict[str, dict[str, str]]) -> dict[str, str]:
    """Party id -> name over couriers, depots, merchants and devices."""
    return {party: name for kind in PARTIES for party, name in names.get(kind, {}).items()}


def name_ids(text: str, flat: dict[str, str]) -> str:
    """``text`` with every whole-word party id replaced by the party's name."""
    return _TOKEN.sub(lambda m: flat.get(m.group(), m.group()), text) if flat else text
