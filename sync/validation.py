"""Inspect one incoming update on a scratch copy: what did it change?

The receiver applies the update to a loaded ``Doc``, compares content before
and after, and turns it into a :class:`protocol.permissions.Change` for the
trust rules. Structural violations (deleting or editing events, unknown roots,
missing dependencies, invalid fields) are refused here, before any role check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, get_update

from protocol.errors import ProtocolError
from protocol.events import decode_event
from protocol.info import ShipmentInfo, decode_info
from protocol.lifecycle import fold_shipment
from protocol.permissions import Change, Refusal
from protocol.vocab import DocType

from .documents import ROOTS, Content, read_content, root_names
from .yencoding import update_has_structs


@dataclass(frozen=True, slots=True)
class Inspection:
    """Either the change an update makes or the refusal of it."""

    change: Change | None
    refusal: Refusal | None


def _refuse(code: str, message: str) -> Inspection:
    return Inspection(None, Refusal(code, message))


def _status_before(doc_type: DocType, content: Content) -> Any:
    if doc_type != DocType.SHIPMENT or not content.info:
        return None
    info = content.typed_info(doc_type)
    assert isinstance(info, ShipmentInfo)
    return fold_shipment(content.typed_events(doc_type), info.cod).status


def _new_events(before: Content, after: Content) -> tuple[list[Any], Inspection | None]:
    old = {raw.get("id"): raw for raw in before.events if isinstance(raw, dict)}
    seen: set[Any] = set()
    added: list[Any] = []
    for raw in after.events:
        if not isinstance(raw, dict):
            return [], _refuse("invalid_event", "events must be plain maps")
        event_id = raw.get("id")
        if event_id in seen:
            return [], _refuse("duplicate_event", f"event id {event_id!r} appears twice")
        seen.add(event_id)
        if event_id in old:
            if old[event_id] != raw:
                return [], _refuse("event_edited", f"event {event_id!r} was changed")
        else:
            added.append(raw)
    if not old.keys() <= seen:
        return [], _refuse("event_deleted", "events are append-only: one was deleted")
    return added, None


def inspect_update(
    doc_type: DocType, doc: Doc[Any], created: bool, update: bytes, *, need_status: bool = True
) -> Inspection:
    """Apply ``update`` to ``doc`` (mutating it) and describe or refuse the change.

    ``need_status`` folds the shipment's status before the change, which only
    the merchant rule (edits before pickup) needs; other writers skip the fold.
    """
    before = read_content(doc)
    try:
        doc.apply_update(update)
    except ValueError as exc:
        return _refuse("bad_update", f"update does not decode: {exc}")
    if _has_pending(doc, update):
        return _refuse(
            "missing_dependency",
            "update depends on changes this node has not received; resync the document",
        )
    extra = root_names(doc) - ROOTS
    if extra:
        return _refuse("unknown_root", f"unexpected root types: {', '.join(sorted(extra))}")
    after = read_content(doc)
    added, refusal = _new_events(before, after)
    if refusal:
        return refusal
    try:
        decode_info(doc_type, after.info)
        new_events = tuple(decode_event(doc_type, raw) for raw in added)
        status_before = None if created or not need_status else _status_before(doc_type, before)
    except ProtocolError as exc:
        return _refuse(exc.code, str(exc))
    change = Change(
        doc_type=doc_type,
        created=created,
        info_before=before.info,
        info_after=after.info,
        new_events=new_events,
        status_before=status_before,
    )
    return Inspection(change, None)


def _has_pending(doc: Doc[Any], update: bytes) -> bool:
    """True when part of ``update`` could not be integrated (a gap in its clocks)."""
    return update_has_structs(get_update(update, doc.get_state()))
