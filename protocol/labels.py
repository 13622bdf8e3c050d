"""What a shipping label says, as pure functions: the sort code of a parcel.

A sort code routes a parcel through sorting: the depot that delivers it, then
the delivery district inside that depot's area. Every node computes the same
code from the shipment's ``depot_id`` and ``postcode``, with no registry to ask.
"""

from __future__ import annotations

import base64
import hashlib
import re

_DISTRICT = re.compile(r"[A-Z0-9]+")
_ALPHABET = str.maketrans("", "", "=")


def depot_tag(depot_id: str) -> str:
    """Four letters and digits naming ``depot_id`` (stable, the same on every node).

    A short id of letters, digits and dashes (``AMS1``, ``D-7``) is its own tag,
    upper-cased; a long one (a UUID) is shortened to four base32 characters of
    its SHA-256.
    """
    cleaned = depot_id.strip().upper()
    if not cleaned:
        raise ValueError("depot_id is empty: a parcel without a depot has no sort code")
    if len(cleaned) <= 8 and re.fullmatch(r"[A-Z0-9-]+", cleaned):
        return cleaned
    digest = hashlib.sha256(cleaned.encode()).digest()
    return base64.b32encode(digest).decode().translate(_ALPHABET)[:4]


def district(postcode: str) -> str:
    """The delivery district of a postcode: its first run of letters and digits, at most 4."""
    match = _DISTRICT.search(postcode.upper())
    return match.group(0)[:4] if match else "0000"


def sort_code(depot_id: str, postcode: str) -> str:
    """``TAG-DIST``: the depot's tag and the postcode's district, e.g. ``AMS1-1012``."""
    return f"{depot_tag(depot_id)}-{district(postcode)}"
