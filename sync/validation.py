"""Inspect one incoming update on a loaded document: what did it change?

The receiver applies the update to a :class:`LoadedDoc` (whose content before
is already decoded), reads the content after, and turns the difference into a
:class:`protocol.permissions.Change` for the trust rules. Structural violations
(deleting or editing events, unknown roots, missing dependencies, invalid
fields) are refused here, before any role check.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from protocol.cash_rules import book_refusal, collection_refusal
from protocol.cash_totals import UNDECIDED, handover_refusal
from protocol.errors import ProtocolError
from protocol.events import Event, ints_from_floats
from protocol.info import ReturnInfo, ShipmentInfo
from protocol.lifecycle import fold_shipment
from protocol.permissions import Change, Refusal
from protocol.return_rules import return_refusal
from protocol.vocab import DocType

from ._doc_cache import LoadedDoc
from ._typed import events_of, info_of
from ._ydoc import Delta
from .documents import ROOTS, Content


@dataclass(frozen=True, slots=True)
class Inspection:
    """Either the change an update makes (and the content after it) or the refusal of it."""

    change: Change | None
    refusal: Refusal | None
    after: Content | None = None
    added: tuple[Any, ...] = ()  # the new events as the document holds them (raw maps)
    appended: bool = False  # the change only appended events after the ones there were


def _refuse(code: str, message: str) -> Inspection:
    return Inspection(None, Refusal(code, message))


def _status_before(doc_type: DocType, content: Content) -> Any:
    if doc_type != DocType.SHIPMENT or not content.info:
        return None
    info = content.typed_info(doc_type)
    assert isinstance(info, ShipmentInfo)
    return fold_shipment(content.typed_events(doc_type), info.cod).status


def _new_events(before: list[Any], after: list[Any]) -> tuple[list[Any], Inspection | None]:
    """The events ``after`` holds that ``before`` did not, or the refusal of a list
    that edits, deletes or repeats one."""
    old = {raw.get("id"): raw for raw in before if isinstance(raw, dict)}
    if after[: len(before)] == before and len(old) == len(before):
        return _checked_added(after[len(before) :], set(old))  # the usual change: appends
    _, refusal = _checked_added(after, set())
    if refusal:
        return [], refusal
    for raw in after:
        if raw.get("id") in old and old[raw.get("id")] != raw:
            return [], _refuse("event_edited", f"event {raw.get('id')!r} was changed")
    if not old.keys() <= {raw.get("id") for raw in after}:
        return [], _refuse("event_deleted", "events are append-only: one was deleted")
    return [raw for raw in after if raw.get("id") not in old], None


def _checked_added(
    added: list[Any], old_ids: set[Any], held: Set[Any] = frozenset()
) -> tuple[list[Any], Inspection | None]:
    """``added``, if each is a map whose id is neither in ``old_ids`` or ``held``
    nor repeated; else the refusal (``old_ids`` grows, ``held`` is only read)."""
    seen = old_ids
    for raw in added:
        if not isinstance(raw, dict):
            return [], _refuse("invalid_event", "events must be plain maps")
        event_id = raw.get("id")
        if event_id in seen or event_id in held:
            return [], _refuse("duplicate_event", f"event id {event_id!r} appears twice")
        seen.add(event_id)
    return added, None


def _after(
    doc_type: DocType, before: Content, info: dict[str, Any], events: list[Any], added: list[Any]
) -> tuple[Content, list[Event], bool]:
    """The content after the change, decoded; raises ``ProtocolError`` on bad fields.

    What was decoded before carries over: the info struct when the map is
    unchanged, the events when the new ones were appended at the end.
    """
    info_typed = before.typed_info(doc_type) if info == before.info else info_of(doc_type, info)
    new_events = events_of(doc_type, added)
    tail = events[len(before.events) :]
    appended = new_events if tail == added else None
    after = before.evolved(info, info_typed, events, appended)
    return after, new_events, appended is not None


def changes_content(loaded: LoadedDoc, update: bytes) -> bool:
    """Apply ``update`` (one with no new items: a re-send, or deletions only) and say
    whether the content moved; if it did, :func:`inspect_update` judges it."""
    try:
        delta = loaded.doc.apply_observed(update)
    except ValueError:
        return True  # let the inspection refuse it, saying why
    loaded.unread += delta  # for the inspection, if it comes
    return bool(delta) or loaded.doc.read_info() != loaded.content.info


def _appended(delta: Delta, before: int) -> list[Any] | None:
    """The plain events a delta on the events array appends after the ``before``
    there were, when that is all it does; ``None`` for anything else."""
    ops = delta[1:] if before and delta[:1] == [{"retain": before}] else delta
    if not ops:
        return []
    if len(ops) != 1 or not isinstance(ops[0].get("insert"), list):
        return None
    inserted = ops[0]["insert"]
    if not all(isinstance(raw, dict) for raw in inserted):
        return None  # nested shared types: read them the general way
    return [ints_from_floats(raw) for raw in inserted]


def _read_after(
    loaded: LoadedDoc, delta: Delta
) -> tuple[dict[str, Any], list[Any], list[Any], Inspection | None]:
    """The info map, the events and the events added after an update.

    When the update only appended events (the usual change), only those are
    read and checked, so the cost is what was added, not the document's size.
    """
    before = loaded.content
    appended = _appended(delta, len(before.events))
    ids = loaded.event_ids()
    if appended is not None and len(ids) == len(before.events):
        added, refusal = _checked_added(appended, set(), ids)
        return loaded.doc.read_info(), before.events + appended, added, refusal
    info, events = loaded.doc.read()
    added, refusal = _new_events(before.events, events)
    return info, events, added, refusal


def inspect_update(
    doc_type: DocType,
    loaded: LoadedDoc,
    created: bool,
    update: bytes,
    *,
    need_status: bool = True,
    doc_id: str = "",
) -> Inspection:
    """Apply ``update`` to ``loaded``'s doc and describe or refuse the change; the
    content after it is in the inspection (``loaded.content`` is left as it was,
    so after a refusal the doc no longer matches it and must be reloaded).

    ``need_status`` folds the shipment's status before the change, which only
    the merchant and office rules (edits before pickup, the lifecycle) need;
    other writers skip the fold. ``doc_id`` names the document in the change.
    """
    before = loaded.content
    try:
        roots, integrated, delta = loaded.doc.integrate(update)
        delta, loaded.unread = loaded.unread + delta, []
    except ValueError as exc:
        return _refuse("bad_update", f"update does not decode: {exc}")
    if not integrated:
        return _refuse(
            "missing_dependency",
            "update depends on changes this node has not received; resync the document",
        )
    extra = roots - ROOTS
    if extra:
        return _refuse("unknown_root", f"unexpected root types: {', '.join(sorted(extra))}")
    info, events, added, refusal = _read_after(loaded, delta)
    if refusal:
        return refusal
    try:
        after, new_events, appended = _after(doc_type, before, info, events, added)
        status_before = None if created or not need_status else _status_before(doc_type, before)
    except ProtocolError as exc:
        return _refuse(exc.code, str(exc))
    change = Change(
        doc_type=doc_type,
        created=created,
        info_before=before.info,
        info_after=after.info,
        new_events=tuple(new_events),
        status_before=status_before,
        doc_id=doc_id,
    )
    return Inspection(change, None, after, tuple(added), appended)


def money_refusal(
    doc_type: DocType, change: Change, before: Content, after: Content
) -> Refusal | None:
    """The money rules one document decides (see :mod:`protocol.cash_rules`): a COD
    collection in the shipment's currency, a handover within the cash in hand.

    A cash book's handovers are judged from its running totals when they come
    after every entry it held (the usual append), else by the ordered fold."""
    if not change.new_events:
        return None
    if doc_type == DocType.SHIPMENT:
        info = after.typed_info(doc_type)
        assert isinstance(info, ShipmentInfo)
        return collection_refusal(info, change.new_events)
    if doc_type == DocType.CASHBOOK:
        new = change.new_events
        verdict = handover_refusal(before.book_totals(), after.book_totals(), new)
        if verdict != UNDECIDED:
            return verdict  # type: ignore[return-value]
        return book_refusal(after.typed_events(doc_type), {e.id for e in new})
    return None


def returns_refusal(doc_type: DocType, change: Change, after: Content) -> Refusal | None:
    """The rules one return document decides (see :mod:`protocol.return_rules`): its
    RMA fields fixed, gradings within the RMA, stock movements within their source."""
    if doc_type != DocType.RETURN or not (change.new_events or change.changed_fields):
        return None
    info = after.typed_info(doc_type)
    assert isinstance(info, ReturnInfo)
    new_ids = {e.id for e in change.new_events}
    return return_refusal(change, info, after.typed_events(doc_type), new_ids)
