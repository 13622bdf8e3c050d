"""Scopes: which documents a node may see, by depot, courier route or merchant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protocol.permissions import SCOPE_FIELDS, Device
from protocol.vocab import Role
from protocol.wire import Scope

from ._records import ScopeKeys

_INDEX = {"depot": 0, "courier": 1, "merchant": 2}


def scope_keys(info: dict[str, Any]) -> ScopeKeys:
    """The scope keys of a document, read from its info map."""
    depot, courier, merchant = (str(info.get(name) or "") for name in SCOPE_FIELDS)
    return (depot, courier, merchant)


def matches(scopes: Sequence[Scope], keys: ScopeKeys) -> bool:
    """True when a document with ``keys`` is inside any of ``scopes``."""
    for scope in scopes:
        if scope.kind == "all":
            return True
        index = _INDEX[scope.kind]
        if scope.key and keys[index] == scope.key:
            return True
    return False


def scope_sql(scopes: Sequence[Scope]) -> tuple[str, list[str]]:
    if any(s.kind == "all" for s in scopes):
        return "1 = 1", []
    clauses = [f"{s.kind}_id = ?" for s in scopes if s.key]
    where = "(" + " OR ".join(clauses) + ")" if clauses else "1 = 0"
    return where, [s.key for s in scopes if s.key]


def device_scopes(device: Device) -> list[Scope]:
    """The scopes an enrolled device may read."""
    match device.role:
        case Role.OFFICE:
            return [Scope("all")]
        case Role.DEPOT:
            return [Scope("depot", device.depot_id or "")]
        case Role.COURIER:
            return [Scope("courier", device.courier_id or "")]
        case Role.MERCHANT:
            return [Scope("merchant", device.merchant_id or "")]
    return []


def allowed(requested: Sequence[Scope], permitted: Sequence[Scope]) -> bool:
    """True when every requested scope is one the device may read."""
    if any(p.kind == "all" for p in permitted):
        return True
    return all(r in permitted for r in requested)
