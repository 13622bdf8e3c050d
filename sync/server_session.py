"""Serving sync: validated push and scoped, paged pull, over any transport.

The same class serves central (to depots, handhelds and office) and a depot
edge (to its handhelds, with ``relay=True`` so accepted updates also queue for
central, attributed to the device that wrote them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import msgspec
from pycrdt import merge_updates

from protocol.cash_rules import entry_refusal
from protocol.events import CashCollected, Event
from protocol.ids import is_uuid
from protocol.info import CashBookInfo, ShipmentInfo
from protocol.permissions import Device, check_change
from protocol.vocab import DocType, Role
from protocol.wire import (
    DocUpdate,
    ItemResult,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    Scope,
)

from ._doc_cache import DEFAULT_CAPACITY, DocCache, LoadedDoc
from ._records import DocWrite, LogRow, OutboxEntry, ScopeKeys
from ._writes import write_record
from .documents import Content, doc_type_of
from .errors import ScopeDenied, UnknownDocType
from .scopes import allowed, device_scopes, matches
from .store import ReplicaStore
from .validation import changes_content, inspect_update, money_refusal

DeviceLookup = Callable[[str], Awaitable[Device | None]]
MAX_PULL_LIMIT = 2000


@dataclass(slots=True)
class _Working:
    """One document during a push: its stored state and what this push accepted."""

    doc_type: str
    state: bytes | None  # as stored before this push (None: new)
    previous_scope: ScopeKeys | None
    loaded: LoadedDoc | None = None  # the stored state plus ``updates``, once needed
    stored: Content | None = None  # the content of ``state``, once loaded
    updates: list[bytes] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # the writer of each of ``updates``


class Rejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class SyncServer:
    """Push and pull handlers over a replica store.

    Recently pushed-to documents stay loaded between pushes, at most
    ``cache_size`` of them (~16 KB each), so memory does not grow with the
    number of documents.
    """

    def __init__(
        self,
        store: ReplicaStore,
        devices: DeviceLookup,
        *,
        relay: bool = False,
        on_change: Callable[[int], Awaitable[None]] | None = None,
        cache_size: int = DEFAULT_CAPACITY,
    ):
        self.store = store
        self._devices = devices
        self._relay = relay
        self._on_change = on_change
        self._push_lock = asyncio.Lock()
        self._cache = DocCache(cache_size)  # used only under ``_push_lock``

    async def push(self, sender: Device, request: PushRequest) -> PushResponse:
        """Validate and store each item; answer per item, in order."""
        request.hello.check()
        async with self._push_lock:
            stored = await self.store.load(item.doc_id for item in request.items)
            working: dict[str, _Working] = {
                d.doc_id: _Working(d.doc_type, d.state, d.scope) for d in stored.values()
            }
            results = []
            for item in request.items:
                try:
                    await self._accept(sender, item, working)
                    results.append(ItemResult(item.doc_id, True))
                except Rejected as exc:
                    results.append(ItemResult(item.doc_id, False, exc.code, exc.message))
            writes = [self._write(doc_id, w) for doc_id, w in working.items() if w.updates]
            computed = {w.doc_id: w.state for w in writes}
            head = await self.store.write(writes) if writes else await self.store.head()
            self._keep_loaded(working, writes, computed)
        if writes and self._on_change:
            await self._on_change(head)
        return PushResponse(results=results, cursor=head)

    async def _writer(self, sender: Device, item: PushItem) -> Device:
        if item.origin_device is None or item.origin_device == sender.id:
            return sender
        if sender.role != Role.DEPOT:
            raise Rejected("not_a_relay", "only a depot edge may relay other devices' updates")
        origin = await self._devices(item.origin_device)
        if origin is None:
            raise Rejected("unknown_device", f"origin_device {item.origin_device} is not enrolled")
        if origin.depot_id != sender.depot_id:
            raise Rejected("out_of_scope", "a depot may relay only its own devices")
        return origin

    async def _accept(self, sender: Device, item: PushItem, working: dict[str, _Working]) -> None:
        if not is_uuid(item.doc_id):
            raise Rejected("invalid_doc_id", f"doc_id {item.doc_id!r} is not a UUID")
        try:
            doc_type = doc_type_of(item.doc_type)
        except UnknownDocType as exc:
            raise Rejected(exc.code, str(exc)) from None
        writer = await self._writer(sender, item)
        current = working.get(item.doc_id)
        if current is not None and current.doc_type != doc_type:
            raise Rejected("doc_type_mismatch", f"{item.doc_id} is a {current.doc_type}")
        loaded = self._loaded(item.doc_id, current)
        if current is not None and _already_has(loaded, item):
            if not changes_content(loaded, item.update):
                return  # a re-send: accepted, not logged twice
        try:
            content, new_events = _validated(writer, doc_type, loaded, current is None, item.update)
            if doc_type == DocType.CASHBOOK:
                await self._entries_checked(content, new_events, working)
            loaded.content = content
        except Rejected:
            if current is not None:
                current.loaded = None  # the refused update is in the doc: reload it
            raise
        entry = current or _Working(doc_type.value, None, None)
        entry.loaded = loaded
        entry.updates.append(item.update)
        entry.origins.append(writer.id)
        if self._relay:
            entry.outbox.append(
                OutboxEntry(item.doc_id, doc_type.value, item.update, item.command, writer.id)
            )
        working[item.doc_id] = entry

    async def _entries_checked(
        self, book: Content, new_events: tuple[Event, ...], working: dict[str, _Working]
    ) -> None:
        """``Rejected`` unless each new ``collected`` entry matches the shipment it names
        (:func:`protocol.cash_rules.entry_refusal`), as this push leaves that shipment."""
        entries = [e for e in new_events if isinstance(e, CashCollected)]
        if not entries:
            return
        info = book.typed_info(DocType.CASHBOOK)
        assert isinstance(info, CashBookInfo)
        for entry in entries:
            shipment = await self._shipment(entry.payload.shipment_id, working)
            refusal = entry_refusal(info, entry, *shipment)
            if refusal is not None:
                raise Rejected(refusal.code, refusal.message)

    async def _shipment(
        self, doc_id: str, working: dict[str, _Working]
    ) -> tuple[ShipmentInfo | None, list[Event]]:
        """A shipment's info and events as this push has it so far (``None`` if unknown)."""
        if doc_id not in working:
            working.update(
                (d.doc_id, _Working(d.doc_type, d.state, d.scope))
                for d in (await self.store.load([doc_id])).values()
            )
        w = working.get(doc_id)
        if w is None or w.doc_type != DocType.SHIPMENT.value:
            return None, []
        content = self._loaded(doc_id, w).content
        info = content.typed_info(DocType.SHIPMENT)
        assert isinstance(info, ShipmentInfo)
        return info, content.typed_events(DocType.SHIPMENT)

    def _loaded(self, doc_id: str, w: _Working | None) -> LoadedDoc:
        """The document as this push has it so far, loaded once."""
        if w is None:
            return self._cache.take(doc_id, None)
        if w.loaded is None:
            if w.updates:
                base = [w.state] if w.state is not None else []
                w.loaded = LoadedDoc.of(merge_updates(*base, *w.updates))
            else:
                w.loaded = self._cache.take(doc_id, w.state)
                w.stored = w.loaded.content
        return w.loaded

    def _write(self, doc_id: str, w: _Working) -> DocWrite:
        """The write record of an accepted document; when this push only appended
        events to the stored content, the rows of the stored events are not made
        again (see :func:`.projection.project`)."""
        loaded = self._loaded(doc_id, w)
        state, state_vector = loaded.doc.encode()
        before = w.stored.events if w.stored is not None else []
        appended = loaded.content.events[: len(before)] == before
        write = write_record(
            doc_id,
            w.doc_type,
            state,
            state_vector,
            loaded.content,
            w.previous_scope,
            w.updates,
            w.origins[-1],
            len(before) if appended else 0,
        )
        write.outbox, write.update_origins = w.outbox, w.origins
        return write

    def _keep_loaded(
        self, working: dict[str, _Working], writes: list[DocWrite], computed: dict[str, bytes]
    ) -> None:
        """After a committed write, cache each loaded document under the state stored
        for it; one the store rebased on a concurrent change (its state is no longer
        the one computed here) is dropped instead."""
        written = {w.doc_id: w.state for w in writes}
        for doc_id, w in working.items():
            state = written.get(doc_id, w.state)
            if w.loaded is None or state is None:
                continue
            if doc_id not in computed or computed[doc_id] is state:
                self._cache.keep(doc_id, state, w.loaded)

    async def pull(self, device: Device, request: PullRequest) -> PullResponse:
        """Updates after the client's cursor in its scopes, paged, with the resets
        the device has not acknowledged yet (see :mod:`sync._resets`).

        A cursor from another replica file (``request.replica`` names another
        one) or from beyond this log's head (a file restored from a backup) is
        not trusted: the client gets a snapshot, and its acknowledgement of
        another file's resets is ignored.
        """
        request.hello.check()
        permitted = device_scopes(device)
        scopes: Sequence[Scope] = request.scopes or permitted
        if not allowed(scopes, permitted):
            raise ScopeDenied(f"device {device.id} may not read scopes {list(scopes)}")
        limit = max(1, min(request.limit, MAX_PULL_LIMIT))
        replica = await self.store.replica_id()
        if request.replica and request.replica != replica:
            request = msgspec.structs.replace(request, cursor=0, reset_ack=0, snapshot_after="")
        resync, gone = await self._resync(scopes, request.resync)
        resets = await self.store.pending_resets(device.id, request.reset_ack)
        floor = await self.store.log_floor()
        from_log = not (request.snapshot_after or request.cursor == 0 or request.cursor < floor)
        rows: list[LogRow] = []
        head = 0
        if from_log:
            rows, head = await self.store.read_log(request.cursor, scopes, limit + 1)
        if not from_log or request.cursor > head:
            snapshot = await self._snapshot(request, scopes, limit, resync, gone)
            return msgspec.structs.replace(snapshot, resets=resets, replica=replica)
        has_more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1].seq if has_more else head
        updates, entering, leaving = await self._group(rows, scopes)
        return PullResponse(
            updates,
            resync + entering,
            gone + leaving,
            cursor,
            has_more,
            resets=resets,
            replica=replica,
        )

    async def _resync(
        self, scopes: Sequence[Scope], doc_ids: Sequence[str]
    ) -> tuple[list[DocUpdate], list[str]]:
        """Whole states of the requested documents; those out of scope are gone."""
        docs = await self.store.load(doc_ids[:MAX_PULL_LIMIT])
        whole = [
            DocUpdate(d.doc_id, d.doc_type, d.state)
            for d in docs.values()
            if matches(scopes, d.scope)
        ]
        sent = {u.doc_id for u in whole}
        return whole, [d for d in doc_ids[:MAX_PULL_LIMIT] if d not in sent]

    async def _snapshot(
        self,
        request: PullRequest,
        scopes: Sequence[Scope],
        limit: int,
        resync: list[DocUpdate],
        gone: list[str],
    ) -> PullResponse:
        docs, head = await self.store.snapshot_page(scopes, request.snapshot_after, limit)
        has_more = len(docs) == limit
        cursor = request.cursor if request.snapshot_after else head
        return PullResponse(
            updates=[],
            entering=resync + [DocUpdate(d.doc_id, d.doc_type, d.state) for d in docs],
            leaving=gone,
            cursor=cursor,
            has_more=has_more,
            snapshot=True,
            snapshot_after=docs[-1].doc_id if has_more else "",
        )

    async def _group(
        self, rows: list[LogRow], scopes: Sequence[Scope]
    ) -> tuple[list[DocUpdate], list[DocUpdate], list[str]]:
        by_doc: dict[str, list[LogRow]] = {}
        for row in rows:
            by_doc.setdefault(row.doc_id, []).append(row)
        current = await self.store.load(by_doc)
        updates, entering, leaving = [], [], []
        for doc_id, doc_rows in by_doc.items():
            kinds = {r.kind for r in doc_rows}
            now = current.get(doc_id)
            inside = now is not None and matches(scopes, now.scope)
            if now is None or not inside:
                if "leave" in kinds:
                    leaving.append(doc_id)
            elif "enter" in kinds:
                entering.append(DocUpdate(doc_id, now.doc_type, now.state))
            else:
                for r in doc_rows:
                    if r.update is not None:
                        updates.append(DocUpdate(doc_id, r.doc_type, r.update))
        return updates, entering, leaving


def _validated(
    writer: Device, doc_type: DocType, loaded: LoadedDoc, created: bool, update: bytes
) -> tuple[Content, tuple[Event, ...]]:
    """The content after ``update`` (applied to ``loaded``'s doc) and its new events,
    or ``Rejected`` saying why ``writer`` may not make it."""
    inspection = inspect_update(
        doc_type, loaded, created, update, need_status=writer.role == Role.MERCHANT
    )
    if inspection.refusal is not None:
        raise Rejected(inspection.refusal.code, inspection.refusal.message)
    assert inspection.change is not None and inspection.after is not None
    refusal = check_change(writer, inspection.change) or money_refusal(
        doc_type, inspection.change, inspection.after
    )
    if refusal is not None:
        raise Rejected(refusal.code, refusal.message)
    return inspection.after, inspection.change.new_events


def _already_has(loaded: LoadedDoc, item: PushItem) -> bool:
    """True when ``item`` brings no item the document does not have (a re-send,
    or an update of deletions only)."""
    try:
        return loaded.doc.holds_all_of(item.update)
    except ValueError:
        return False
