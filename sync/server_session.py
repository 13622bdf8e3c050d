"""Serving sync: validated push and scoped, paged pull, over any transport.

The same class serves central (to depots, handhelds and office) and a depot
edge (to its handhelds, with ``relay=True`` so accepted updates also queue for
central, attributed to the device that wrote them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec
from pycrdt import merge_updates

from protocol.cash_rules import entry_refusal
from protocol.contents import DEFAULT_MAX_SKEW_MS, Facts, check_contents, facts_needed
from protocol.events import CashCollected, Event
from protocol.ids import is_uuid
from protocol.info import CashBookInfo, ShipmentInfo
from protocol.permissions import Change, Device, check_change
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
from ._group_commit import GroupCommit
from ._records import DocWrite, LogRow, OutboxEntry, ScopeKeys
from ._sqlite import Step
from ._writes import write_record
from .documents import Content, doc_type_of
from .errors import ScopeDenied, UnknownDocType
from .limits import Limits
from .ports import SyncStore
from .scopes import allowed, device_scopes, matches
from .validation import changes_content, inspect_update, money_refusal

DeviceLookup = Callable[[str], Awaitable[Device | None]]
MAX_PULL_LIMIT = 2000
T = TypeVar("T")
YIELD_EVERY = 16  # items validated between two turns of the event loop given to others


class Knowledge(Protocol):
    """What a receiver knows beyond the document, for :func:`protocol.contents.check_contents`."""

    async def courier_depots(self, courier_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """Courier id -> the depots its enrolled devices belong to."""
        ...

    async def tracking_holders(self, numbers: Collection[str]) -> dict[str, frozenset[str]]:
        """Tracking number -> the documents it was issued to or is held by."""
        ...


MAX_GROUP_ITEMS = 2000  # push items validated and committed together at most
Recorded = tuple[list[Step], Callable[[], None]]  # see SyncServer.recorded


@dataclass(slots=True)
class _Working:
    """One document during a push: its stored state and what this push accepted."""

    doc_type: str
    state: bytes | None  # as stored before this push (None: new)
    previous_scope: ScopeKeys | None
    size: int = 0  # bytes: the stored state plus the updates accepted (its bound)
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
    number of documents. ``limits`` bounds what one push or pull carries; a
    push gives the event loop to other requests every ``YIELD_EVERY`` items.

    ``wall`` (ms) bounds incoming HLCs to ``max_skew_ms`` ahead of it (no bound
    without it); ``knowledge`` supplies the enrolments and issued tracking
    numbers the content rules check (a depot relay has none: central checks).
    """

    def __init__(
        self,
        store: SyncStore,
        devices: DeviceLookup,
        *,
        relay: bool = False,
        on_change: Callable[[int], Awaitable[None]] | None = None,
        cache_size: int = DEFAULT_CAPACITY,
        wall: Callable[[], int] | None = None,
        max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
        knowledge: Knowledge | None = None,
        limits: Limits | None = None,
    ):
        self.store = store
        self._wall, self._max_skew_ms, self._knowledge = wall, max_skew_ms, knowledge
        self.limits = limits or Limits()
        self._devices = devices
        self._relay = relay
        self._on_change = on_change
        self._cache = DocCache(cache_size)  # used only by the group commit's writer
        self._pushes: GroupCommit[tuple[Device, PushRequest], PushResponse] = GroupCommit(
            self._push_group, MAX_GROUP_ITEMS
        )

    async def push(self, sender: Device, request: PushRequest) -> PushResponse:
        """Validate and store each item; answer per item, in order, once stored durably.

        Pushes arriving while others are written are validated and written
        together (group commit: one transaction and one fsync for all of them),
        in the order they arrived, each seeing the ones before it.
        """
        request.hello.check()
        self.limits.check_push(len(request.items))
        return await self._pushes.submit((sender, request), max(1, len(request.items)))

    async def _push_group(self, pushes: Sequence[tuple[Device, PushRequest]]) -> list[PushResponse]:
        """Validate ``pushes`` in order and store what they add in one transaction."""
        stored = await self.store.load(item.doc_id for _, r in pushes for item in r.items)
        working: dict[str, _Working] = {
            d.doc_id: _Working(d.doc_type, d.state, d.scope, len(d.state)) for d in stored.values()
        }
        answers = []
        # the tracking numbers the group's accepted shipments hold: a later push of the
        # group must see an earlier one's, which is not committed yet
        claims: dict[str, frozenset[str]] = {}
        validated = 0  # items of the whole group, so small pushes also give the loop a turn
        for sender, request in pushes:
            results = []
            for item in request.items:
                validated += 1
                if validated % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the other requests in
                try:
                    await self._accept(sender, item, working, claims)
                    results.append(ItemResult(item.doc_id, True))
                except Rejected as exc:
                    results.append(ItemResult(item.doc_id, False, exc.code, exc.message))
            answers.append(results)
        writes = [self._write(doc_id, w) for doc_id, w in working.items() if w.updates]
        computed = {w.doc_id: w.state for w in writes}
        recorded = [await self.recorded(sender, request) for sender, request in pushes]
        also = [step for steps, _ in recorded for step in steps]
        if writes or also:
            head = await self.store.write(writes, also=also)
        else:
            head = await self.store.head()
        self._keep_loaded(working, writes, computed)
        for _, done in recorded:
            done()
        if writes and self._on_change:
            await self._on_change(head)
        return [PushResponse(results=results, cursor=head) for results in answers]

    async def recorded(self, sender: Device, request: PushRequest) -> Recorded:
        """Hook: steps to commit with a push's writes, and what to call once they are
        durable (nothing here)."""
        return [], lambda: None

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

    async def _accept(
        self,
        sender: Device,
        item: PushItem,
        working: dict[str, _Working],
        claims: dict[str, frozenset[str]],
    ) -> None:
        """Validate ``item`` and add it to ``working`` (``claims``: the tracking
        numbers this push's accepted shipments hold), or raise ``Rejected``."""
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
        size = (current.size if current else 0) + len(item.update)
        if size > self.limits.document_bytes:
            if current is not None:
                current.loaded = None  # the re-send check may have applied it: reload
            raise Rejected(
                "document_too_large",
                f"update: document {item.doc_id} would grow past "
                f"{self.limits.document_bytes} bytes",
            )
        try:
            change, after = _validated(
                writer, doc_type, loaded, current is None, item.update, item.doc_id, self.limits
            )
            refusal = check_contents(writer, change, await self._facts(writer, change, claims))
            if refusal is not None:
                raise Rejected(refusal.code, refusal.message)
            if doc_type == DocType.CASHBOOK:
                await self._entries_checked(after, change.new_events, working)
            loaded.advance(after, [event.id for event in change.new_events])
        except Rejected:
            if current is not None:
                current.loaded = None  # the refused update is in the doc: reload it
            raise
        entry = current or _Working(doc_type.value, None, None)
        entry.loaded = loaded
        entry.size = size
        entry.updates.append(item.update)
        entry.origins.append(writer.id)
        if self._relay:
            entry.outbox.append(
                OutboxEntry(item.doc_id, doc_type.value, item.update, item.command, writer.id)
            )
        working[item.doc_id] = entry
        number = change.info_after.get("tracking_number")
        if doc_type == DocType.SHIPMENT and number:
            claims[str(number)] = frozenset({item.doc_id})

    async def _facts(
        self, writer: Device, change: Change, claims: Mapping[str, frozenset[str]]
    ) -> Facts:
        """What the content rules need to know about ``change``, looked up only
        when it assigns a courier or sets a tracking number."""
        needed = facts_needed(writer, change)
        now = self._wall() if self._wall is not None else None
        if self._knowledge is None:
            return Facts(now, self._max_skew_ms)
        couriers = needed.couriers and await self._knowledge.courier_depots(needed.couriers)
        holders = {}
        if needed.tracking_numbers:
            holders = await self._knowledge.tracking_holders(needed.tracking_numbers)
            for number in needed.tracking_numbers & claims.keys():
                holders[number] = holders.get(number, frozenset()) | claims[number]
        return Facts(now, self._max_skew_ms, couriers or {}, holders)

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
                (d.doc_id, _Working(d.doc_type, d.state, d.scope, len(d.state)))
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
        fitting = _fitting(rows, lambda r: len(r.update or b""), self.limits.pull_bytes)
        has_more = has_more or len(fitting) < len(rows)
        rows = fitting
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
        fitting = _fitting(docs, lambda d: len(d.state), self.limits.pull_bytes)
        has_more = len(docs) == limit or len(fitting) < len(docs)
        docs = fitting
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
    writer: Device,
    doc_type: DocType,
    loaded: LoadedDoc,
    created: bool,
    update: bytes,
    doc_id: str,
    limits: Limits,
) -> tuple[Change, Content]:
    """The change ``update`` makes (applied to ``loaded``'s doc) and the content
    after it, or ``Rejected`` saying why ``writer`` may not make it."""
    need_status = writer.role in (Role.MERCHANT, Role.OFFICE)
    inspection = inspect_update(
        doc_type, loaded, created, update, need_status=need_status, doc_id=doc_id
    )
    if inspection.refusal is not None:
        raise Rejected(inspection.refusal.code, inspection.refusal.message)
    assert inspection.change is not None and inspection.after is not None
    for raw in inspection.added:
        size = len(msgspec.json.encode(raw))
        if size > limits.event_bytes:
            raise Rejected(
                "event_too_large",
                f"event {raw.get('id')!r}: {size} bytes as JSON, at most {limits.event_bytes}",
            )
    refusal = check_change(writer, inspection.change) or money_refusal(
        doc_type, inspection.change, inspection.after
    )
    if refusal is not None:
        raise Rejected(refusal.code, refusal.message)
    return inspection.change, inspection.after


def _fitting(items: list[T], size: Callable[[T], int], budget: int) -> list[T]:
    """The longest prefix of ``items`` within ``budget`` bytes, and always the first
    (a page carries at least one, so paging makes progress)."""
    total = 0
    for n, item in enumerate(items):
        total += size(item)
        if total > budget and n > 0:
            return items[:n]
    return items


def _already_has(loaded: LoadedDoc, item: PushItem) -> bool:
    """True when ``item`` brings no item the document does not have (a re-send,
    or an update of deletions only)."""
    try:
        return loaded.doc.holds_all_of(item.update)
    except ValueError:
        return False
