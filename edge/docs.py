"""Typed, folded views of the documents a command reads before it writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.cash import CashBookState, fold_cash_book
from protocol.delivery import effective_info
from protocol.errors import InvalidTrackingNumber
from protocol.events import Event
from protocol.ids import is_uuid, validate_tracking_number
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.lifecycle import ShipmentState, fold_shipment
from protocol.returns import ReturnState, fold_return
from protocol.vocab import DocType
from sync.documents import Content, load, read_content

from .errors import UnknownDocument, UnknownParcel
from .read_store import cash_book_ids, shipment_ids
from .store import EdgeStore


@dataclass(frozen=True, slots=True)
class ShipmentView:
    doc_id: str
    info: ShipmentInfo
    events: list[Event]
    state: ShipmentState

    @property
    def hlcs(self) -> list[str]:
        return [e.hlc for e in self.events]


@dataclass(frozen=True, slots=True)
class ReturnView:
    doc_id: str
    info: ReturnInfo
    events: list[Event]
    state: ReturnState

    @property
    def hlcs(self) -> list[str]:
        return [e.hlc for e in self.events]


@dataclass(frozen=True, slots=True)
class CashBookView:
    doc_id: str
    info: CashBookInfo
    events: list[Event]
    state: CashBookState

    @property
    def hlcs(self) -> list[str]:
        return [e.hlc for e in self.events]


async def contents(store: EdgeStore, doc_ids: list[str]) -> dict[str, tuple[str, Content]]:
    """``doc_id -> (doc_type, content)`` of the documents held among ``doc_ids``."""
    stored = await store.load(doc_ids)
    return {d: (s.doc_type, read_content(load(s.state))) for d, s in stored.items()}


def _typed(doc_type: DocType, content: Content) -> tuple[Any, list[Event]]:
    return content.typed_info(doc_type), content.typed_events(doc_type)


async def shipment_by_id(store: EdgeStore, doc_id: str) -> ShipmentView | None:
    """The shipment ``doc_id`` folded, or None when not held here."""
    found = (await contents(store, [doc_id])).get(doc_id)
    if found is None or found[0] != DocType.SHIPMENT or not found[1].info:
        return None
    info, events = _typed(DocType.SHIPMENT, found[1])
    info = effective_info(info, events)  # the address, slot and day after every correction
    return ShipmentView(doc_id, info, events, fold_shipment(events, info.cod))


async def find_shipment(store: EdgeStore, code: str) -> ShipmentView:
    """A shipment by tracking number, parcel barcode or document id."""
    code = code.strip()
    if is_uuid(code):
        view = await shipment_by_id(store, code)
        if view is not None:
            return view
        raise UnknownParcel(f"no shipment {code} on this node: is it on your route? sync first")
    try:
        tracking = validate_tracking_number(code)
        ids = await shipment_ids(store, tracking)
    except InvalidTrackingNumber:
        ids = await _by_barcode(store, code)
    if not ids:
        raise UnknownParcel(
            f"no parcel {code!r} on this node: check the label, or sync if it was just assigned"
        )
    view = await shipment_by_id(store, ids[0])
    assert view is not None
    return view


async def _by_barcode(store: EdgeStore, code: str) -> list[str]:
    for doc_id, (_, content) in (await contents(store, await shipment_ids(store))).items():
        if any(p.get("barcode") == code for p in content.info.get("parcels") or []):
            return [doc_id]
    return []


async def return_by_id(store: EdgeStore, doc_id: str) -> ReturnView:
    """A return (RMA) folded; ``UnknownDocument`` when not held here."""
    found = (await contents(store, [doc_id])).get(doc_id)
    if found is None or found[0] != DocType.RETURN or not found[1].info:
        raise UnknownDocument(f"no return {doc_id} on this node: check the id, or sync first")
    info, events = _typed(DocType.RETURN, found[1])
    return ReturnView(doc_id, info, events, fold_return(events))


async def returns_by_id(store: EdgeStore, doc_ids: list[str]) -> list[ReturnView]:
    """The returns among ``doc_ids`` held here, folded, in the order of ``doc_ids``."""
    found = await contents(store, doc_ids)
    views = []
    for doc_id in doc_ids:
        doc_type, content = found.get(doc_id, ("", None))
        if doc_type == DocType.RETURN and content is not None and content.info:
            info, events = _typed(DocType.RETURN, content)
            views.append(ReturnView(doc_id, info, events, fold_return(events)))
    return views


async def cash_books(store: EdgeStore, doc_ids: list[str]) -> list[CashBookView]:
    """The cash books among ``doc_ids`` held here, folded."""
    views = []
    for doc_id, (doc_type, content) in (await contents(store, doc_ids)).items():
        if doc_type != DocType.CASHBOOK or not content.info:
            continue
        info, events = _typed(DocType.CASHBOOK, content)
        views.append(CashBookView(doc_id, info, events, fold_cash_book(events, info.currency)))
    return sorted(views, key=lambda v: (v.info.day, v.doc_id))


async def books_where(
    store: EdgeStore,
    *,
    depot_id: str | None = None,
    owner_kind: str | None = None,
    owner_id: str | None = None,
) -> list[CashBookView]:
    """Cash books whose projection row matches every filter given, folded."""
    ids = await cash_book_ids(store, depot_id=depot_id, owner_kind=owner_kind, owner_id=owner_id)
    return await cash_books(store, ids)
